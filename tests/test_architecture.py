"""The structure rules of docs/ARCHITECTURE.md that a linter does not check by itself.

The one-way import rule itself is checked by import-linter (`lint-imports`, run by `make check`/`make test`);
these tests keep the other promises: small modules, qa in rooms, search behind its facade, and no
hand-written OpenAPI schema dictionaries in application code.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGES = ("portal", "articles", "qa", "search_index")
MAX_MODULE_LINES = 400


def _modules(*packages: str) -> list[Path]:
    found = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            found.append(path)
    return found


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from search_index import lexical` imports a module too
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_application_module_is_longer_than_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules(*APP_PACKAGES)
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"split these modules by responsibility: {long}"


def test_qa_has_at_most_eight_loose_modules():
    loose = sorted(p.name for p in (ROOT / "qa").glob("*.py"))
    assert len(loose) <= 8, f"qa/ keeps its code in rooms (sub-packages); loose modules: {loose}"


def test_other_packages_enter_search_index_through_its_facade():
    used: dict[str, set[str]] = {}
    for path in _modules("portal", "articles", "qa"):
        for name in _imported_modules(path):
            if name == "search_index" or name.startswith("search_index."):
                used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    real_modules = {
        name
        for name in used
        if (ROOT / Path(*name.split("."))).with_suffix(".py").exists()
        or (ROOT / Path(*name.split(".")) / "__init__.py").exists()
    }
    assert len(real_modules) <= 3, f"search_index modules imported from outside: {sorted(real_modules)}"


def test_no_hand_written_openapi_property_dicts_in_application_code():
    offenders = []
    for path in _modules("portal", "articles", "qa"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if "properties" in keys and "type" in keys:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], f"generate the schema from a typed model instead: {offenders}"
