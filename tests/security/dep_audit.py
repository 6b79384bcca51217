"""Dependency audit for ``make test``: pip-audit, with an explicit account of what it could not check.

pip-audit asks a vulnerability service about every installed distribution.  On machines whose only way
out is a PyPI mirror, its default service (PyPI's per-version JSON, ``/pypi/NAME/VERSION/json``)
answers 404 and OSV (api.osv.dev) does not resolve; pip-audit then marks every dependency "could not
be audited" and still prints "No known vulnerabilities found".  This wrapper never lets that pass
silently:

1. run pip-audit (JSON output); any vulnerability found fails the run;
2. for each dependency pip-audit skipped, fall back to PyPI's project JSON (``/pypi/NAME/json``), whose
   ``vulnerabilities`` list is about the *latest* release: when the installed version is that release
   the dependency is audited that way; a vulnerability found fails the run;
3. whatever is left is listed as NOT AUDITED with the reason, on stderr, with a count.

Exit status: 1 on any known vulnerability; 2 when some dependency could not be audited and
``PORTAL_REQUIRE_DEP_AUDIT=1`` (set it where the vulnerability service is reachable); 0 otherwise.
Run: ``.venv/bin/python tests/security/dep_audit.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata

from packaging.utils import canonicalize_name

PYPI_JSON = "https://pypi.org/pypi/{name}/json"
IGNORED_VULNS: dict[str, str] = {}  # id -> why it does not apply; keep empty unless reviewed
OWN_PROJECT = "portal"  # this project, installed editable; a different "portal" exists on PyPI


def run_pip_audit() -> dict:
    cmd = [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off", "-f", "json"]
    for vuln_id in IGNORED_VULNS:
        cmd += ["--ignore-vuln", vuln_id]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(proc.stderr[-2000:], file=sys.stderr)
        return {"dependencies": [], "error": f"pip-audit exited {proc.returncode} without a JSON report"}


def latest_release_vulns(name: str, version: str) -> tuple[str, list[dict] | str]:
    """(status, vulns or reason) from PyPI's project JSON; status is "audited" or "not audited"."""
    try:
        with urllib.request.urlopen(PYPI_JSON.format(name=name), timeout=20) as response:
            data = json.load(response)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        return "not audited", f"PyPI project JSON unavailable: {exc}"
    latest = data.get("info", {}).get("version")
    if latest != version:
        return "not audited", f"installed {version}, latest {latest}; the per-version endpoint is unavailable"
    vulns = [v for v in data.get("vulnerabilities") or [] if v.get("id") not in IGNORED_VULNS]
    return "audited", vulns


def main() -> int:
    report = run_pip_audit()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    found: list[str] = []
    audited: list[str] = []
    skipped: list[tuple[str, str]] = []
    for dep in report.get("dependencies", []):
        name = canonicalize_name(dep["name"])
        if name == OWN_PROJECT:
            continue
        if "skip_reason" in dep:
            skipped.append((name, dep["skip_reason"]))
            continue
        audited.append(name)
        for vuln in dep.get("vulns", []):
            found.append(
                f"{name} {dep.get('version')}: {vuln.get('id')} (fixed in {vuln.get('fix_versions')})"
            )

    not_audited: list[tuple[str, str]] = []
    if skipped:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = pool.map(
                lambda item: (item[0], *latest_release_vulns(item[0], installed.get(item[0], "?"))), skipped
            )
            for name, status, detail in results:
                if status == "audited":
                    audited.append(name)
                    for vuln in detail:
                        found.append(
                            f"{name} {installed.get(name)}: {vuln.get('id')} (fixed in {vuln.get('fixed_in')})"
                        )
                else:
                    not_audited.append((name, detail))

    print(
        f"dependency audit: {len(audited)} audited, {len(not_audited)} NOT audited, {len(found)} known vulnerabilities"
    )
    if report.get("error"):
        print(f"pip-audit failed: {report['error']}", file=sys.stderr)
    for line in found:
        print(f"  VULNERABLE {line}")
    if not_audited:
        print(
            "NOT AUDITED (pip-audit's vulnerability service is unreachable from this machine and the "
            "installed version is not PyPI's latest release):",
            file=sys.stderr,
        )
        for name, reason in sorted(not_audited):
            print(f"  {name}: {reason}", file=sys.stderr)
    if found:
        return 1
    if (not_audited or report.get("error")) and os.environ.get("PORTAL_REQUIRE_DEP_AUDIT") == "1":
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
