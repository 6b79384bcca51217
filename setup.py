"""Build step of the wheel: compile the translation catalogues (.po → .mo) into it.

Everything else about the project is in pyproject.toml. The .mo files are never committed, so without this
step a plain `pip install` would ship only the .po sources and show the portal in English. Babel is a build
requirement (pyproject.toml [build-system]).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGUES = "*/translations/*/LC_MESSAGES/messages.po"


class BuildWithCatalogues(build_py):
    """build_py, then every package's catalogue compiled next to its source in the build directory (in the
    source tree for an editable install, which imports the packages from there)."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for po in sorted(root.glob(CATALOGUES)):
            relative = po.relative_to(root)
            base = root if getattr(self, "editable_mode", False) else Path(self.build_lib)
            target = (base / relative).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=relative.parts[2])
            with target.open("wb") as fh:
                write_mo(fh, catalog)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """Declared so that setuptools records the compiled catalogues among the wheel's files."""
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            root = Path(__file__).resolve().parent
            outputs += [
                str((Path(self.build_lib) / po.relative_to(root)).with_suffix(".mo"))
                for po in sorted(root.glob(CATALOGUES))
            ]
        return outputs


setup(cmdclass={"build_py": BuildWithCatalogues})
