"""Translation catalogue helper (each package has its own catalogue under PKG/translations).

python tools/i18n.py update PKG          extract PKG's strings and merge them into its zh_CN catalogue
python tools/i18n.py fill PKG FILE.json  set zh_CN translations from a JSON object {msgid: msgstr}
python tools/i18n.py missing [PKG...]    list msgids without a zh_CN translation (exit 1 if any)
python tools/i18n.py compile             compile every catalogue to .mo (run by make)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "articles", "qa")
LOCALE = "zh_Hans_CN"  # what Babel calls zh_CN; gettext finds catalogues by this name


def _po_path(pkg: str) -> Path:
    return ROOT / pkg / "translations" / LOCALE / "LC_MESSAGES" / "messages.po"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)  # noqa: S603


def update(pkg: str) -> None:
    pot = ROOT / pkg / "translations" / "messages.pot"
    pot.parent.mkdir(parents=True, exist_ok=True)
    _pybabel(
        "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), pkg
    )
    if _po_path(pkg).exists():
        _pybabel("update", "-i", str(pot), "-d", str(pot.parent), "-l", LOCALE, "--no-fuzzy-matching")
    else:
        _pybabel("init", "-i", str(pot), "-d", str(pot.parent), "-l", LOCALE)


def fill(pkg: str, mapping_file: str) -> None:
    mapping = json.loads(Path(mapping_file).read_text(encoding="utf-8"))
    path = _po_path(pkg)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=LOCALE)
    for message in catalog:
        if message.id and isinstance(message.id, str) and message.id in mapping:
            message.string = mapping[message.id]
            message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=120)


def missing(pkgs: list[str]) -> int:
    count = 0
    for pkg in pkgs:
        path = _po_path(pkg)
        if not path.exists():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=LOCALE)
        for message in catalog:
            if message.id and not message.string:
                print(f"{pkg}: {message.id!r}")
                count += 1
    return 1 if count else 0


def compile_all() -> None:
    for pkg in PACKAGES:
        path = _po_path(pkg)
        if not path.exists():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=LOCALE)
        with path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    if command == "update" and len(args) == 1:
        update(args[0])
    elif command == "fill" and len(args) == 2:
        fill(args[0], args[1])
    elif command == "missing":
        return missing(args or list(PACKAGES))
    elif command == "compile":
        compile_all()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
