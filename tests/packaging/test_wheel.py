"""A plain `pip install` of the built wheel must speak Chinese: the wheel carries the compiled catalogues,
compiled by the build itself (the .mo files are never committed, and `make` is not the only way in)."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "articles", "qa", "search_index")
CATALOGUES = [
    f"{pkg}/translations/zh_Hans_CN/LC_MESSAGES/messages.mo" for pkg in ("portal", "articles", "qa")
]


def _copy_sources(target: Path) -> None:
    """The sources a wheel is built from, without compiled catalogues or caches, so that the test proves the
    build compiles them and never writes build/ or *.egg-info into the working tree."""
    for name in ("pyproject.toml", "setup.py", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, target / name)
    ignore = shutil.ignore_patterns("*.mo", "__pycache__", "*.pyc")
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, target / pkg, ignore=ignore)


@pytest.mark.slow
def test_the_built_wheel_contains_the_compiled_chinese_catalogues(tmp_path):
    source, out = tmp_path / "src", tmp_path / "dist"
    source.mkdir()
    _copy_sources(source)
    assert not list(source.rglob("*.mo"))
    # No build isolation: the build requirements (setuptools, wheel, babel) are the venv's, no network.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        cwd=tmp_path,
        timeout=300,
    )
    (wheel,) = out.glob("portal-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert set(CATALOGUES) <= names, sorted(n for n in names if "translations" in n)
        zf.extract("articles/translations/zh_Hans_CN/LC_MESSAGES/messages.mo", tmp_path / "x")
    with (tmp_path / "x/articles/translations/zh_Hans_CN/LC_MESSAGES/messages.mo").open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.gettext("New article") != "New article"  # a real translation, not an empty catalogue
    # compiled into the build directory, not next to the sources
    assert not [p for pkg in PACKAGES for p in (source / pkg).rglob("*.mo")]
