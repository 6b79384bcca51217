"""Field-by-field diffs between two revisions, as data for templates (which escape every piece).

Lines are matched with difflib; a changed line pair is refined character by character, which suits
Chinese text where words are not separated by spaces.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

Segment = tuple[str, bool]  # (text, changed)


@dataclass
class DiffRow:
    kind: str  # "equal" | "replace" | "delete" | "insert"
    left: list[Segment] = field(default_factory=list)
    right: list[Segment] = field(default_factory=list)
    left_no: int | None = None
    right_no: int | None = None


@dataclass
class FieldDiff:
    name: str
    label: Any
    changed: bool
    rows: list[DiffRow]


def _refine(a: str, b: str) -> tuple[list[Segment], list[Segment]]:
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append((a[i1:i2], False))
            right.append((b[j1:j2], False))
        else:
            if i2 > i1:
                left.append((a[i1:i2], True))
            if j2 > j1:
                right.append((b[j1:j2], True))
    return left, right


def diff_text(old: str, new: str, *, context: int | None = None) -> list[DiffRow]:
    """Side-by-side rows; ``context`` limits unchanged lines around changes (None = show all)."""
    a = (old or "").splitlines() or ([""] if old else [])
    b = (new or "").splitlines() or ([""] if new else [])
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    groups = [matcher.get_opcodes()] if context is None else list(matcher.get_grouped_opcodes(context))
    for group in groups:
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for k in range(i2 - i1):
                    rows.append(
                        DiffRow("equal", [(a[i1 + k], False)], [(b[j1 + k], False)], i1 + k + 1, j1 + k + 1)
                    )
            elif tag == "replace":
                for k in range(max(i2 - i1, j2 - j1)):
                    left_line = a[i1 + k] if i1 + k < i2 else None
                    right_line = b[j1 + k] if j1 + k < j2 else None
                    if left_line is not None and right_line is not None:
                        left, right = _refine(left_line, right_line)
                        rows.append(DiffRow("replace", left, right, i1 + k + 1, j1 + k + 1))
                    elif left_line is not None:
                        rows.append(DiffRow("delete", [(left_line, True)], [], i1 + k + 1, None))
                    elif right_line is not None:  # always, as k is below one of the two lengths
                        rows.append(DiffRow("insert", [], [(right_line, True)], None, j1 + k + 1))
            elif tag == "delete":
                for k in range(i1, i2):
                    rows.append(DiffRow("delete", [(a[k], True)], [], k + 1, None))
            else:
                for k in range(j1, j2):
                    rows.append(DiffRow("insert", [], [(b[k], True)], None, k + 1))
    return rows


def diff_contents(old: dict[str, Any], new: dict[str, Any], labels: dict[str, Any]) -> list[FieldDiff]:
    """One FieldDiff per field in ``labels`` order; values are shown as text (lists joined)."""
    result = []
    for name, label in labels.items():
        a, b = old.get(name), new.get(name)
        a_text = ", ".join(a) if isinstance(a, list) else ("" if a is None else str(a))
        b_text = ", ".join(b) if isinstance(b, list) else ("" if b is None else str(b))
        changed = a_text != b_text
        result.append(FieldDiff(name, label, changed, diff_text(a_text, b_text) if changed else []))
    return result


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    names = []
    for name in new:
        a, b = old.get(name), new.get(name)
        if isinstance(a, list) and isinstance(b, list):
            if sorted(a) != sorted(b):
                names.append(name)
        elif a != b:
            names.append(name)
    return names
