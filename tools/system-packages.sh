#!/usr/bin/env bash
# Install the Debian packages the suite runs against, only those missing:
#   tools/system-packages.sh chromium [postgresql]
# chromium: the browser tests drive Debian's /usr/bin/chromium (Playwright never downloads its own);
# fonts-noto-cjk comes with it so screenshots of Chinese pages show text, not boxes.
# postgresql: .ci/run's second pass starts a throw-away server with its initdb/pg_ctl.
set -euo pipefail

missing=()
for name in "$@"; do
  case "$name" in
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium fonts-noto-cjk) ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql) ;;
    *) echo "system-packages: unknown package '$name'" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} -- install them (sudo apt-get install ${missing[*]}) and re-run" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
