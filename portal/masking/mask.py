"""``mask_text``: personal data in a text replaced by ``*``, one character for one.

Transcripts, search queries and other texts people type are masked *before* anything is stored; only
``MaskResult.text`` is ever persisted. Nothing here logs, stores or returns an unmasked value
(``MaskSpan`` carries positions and kinds only), so a ``MaskResult`` is safe to log.

Detection runs on a folded copy of the text (:mod:`portal.masking.normalise`); masks are applied to the
original characters, so the masked text has the input's length and the spans index both texts alike (a
viewer highlights ``MaskResult.spans``). What the built-in detectors find is described in
:mod:`portal.masking.detectors`. Admin patterns (:class:`~portal.masking.extra.ExtraPattern`) run in RE2 on
the text as written; every non-blank character of their matches is masked.

Masking is idempotent: the masked text, masked again, is unchanged. The text is masked again until
nothing changes, because hiding some digits can expose a shorter number the first pass did not choose
(two overlapping candidates, only one of which can win).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from portal.masking import detectors
from portal.masking.extra import ExtraPattern
from portal.masking.normalise import fold
from portal.masking.result import MASK_CHAR, MaskKind, MaskResult, MaskSpan

_MAX_PASSES = 4


def _extra_regions(text: str, extras: list[ExtraPattern]) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` for every non-empty match of an admin pattern in the text as written."""
    return [
        (m.start(), m.end(), extra.label)
        for extra in extras
        for m in extra.pattern.finditer(text)
        if m.end() > m.start()
    ]


def _mask_once(text: str, extras: list[ExtraPattern]) -> MaskResult:
    folded = fold(text)
    norm = folded.text
    builtin = detectors.select(detectors.candidates(norm))
    regions = _extra_regions(text, extras) if extras else []
    if not builtin and not regions:
        return MaskResult(text=text, spans=())
    out = list(text)

    # (start, end, candidate or None for an admin match, label), in original offsets.
    items: list[tuple[int, int, detectors.Candidate | None, str]] = [
        (folded.source(c.start), folded.source(c.end - 1) + 1, c, c.kind.value) for c in builtin
    ]
    items.extend((s, e, None, label) for s, e, label in regions)
    items.sort(key=lambda t: (t[0], -t[1]))
    spans: list[MaskSpan] = []
    i = 0
    while i < len(items):
        start, end, cand, _ = items[i]
        group = [items[i]]
        j = i + 1
        while j < len(items) and items[j][0] < end:
            end = max(end, items[j][1])
            group.append(items[j])
            j += 1
        custom = [g for g in group if g[2] is None]
        if not custom and cand is not None:  # built-ins never overlap each other: a lone built-in
            for k in detectors.masked_positions(norm, cand):
                out[folded.source(k)] = MASK_CHAR
            spans.append(MaskSpan(start, end, cand.kind, cand.kind.value))
        else:  # a group with an admin match is masked whole
            for k in range(start, end):
                if not text[k].isspace():
                    out[k] = MASK_CHAR
            spans.append(MaskSpan(start, end, MaskKind.CUSTOM, custom[0][3]))
        i = j
    return MaskResult(text="".join(out), spans=tuple(spans))


def _merge(earlier: tuple[MaskSpan, ...], later: tuple[MaskSpan, ...]) -> tuple[MaskSpan, ...]:
    """Spans of two passes as one list; a later span overlapping an earlier one widens it."""
    merged: list[MaskSpan] = []
    for span in sorted(earlier + later, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = MaskSpan(last.start, max(last.end, span.end), last.kind, last.label)
        else:
            merged.append(span)
    return tuple(merged)


def mask_text(text: str, extra_patterns: Iterable[ExtraPattern | re.Pattern[str] | str] = ()) -> MaskResult:
    """Mask personal data in ``text`` (see the module docstring).

    ``extra_patterns`` are :class:`ExtraPattern` objects (preferred), compiled Python patterns (recompiled
    in RE2) or pattern strings, validated on the spot (:class:`PatternError` if refused). Where an admin
    match overlaps a built-in one, the union is masked completely and reported as one span with the admin
    pattern's label.
    """
    if not text:
        return MaskResult(text=text, spans=())
    extras = [ExtraPattern.coerce(item) for item in extra_patterns]
    result = _mask_once(text, extras)
    passes = 1
    while result.changed and passes < _MAX_PASSES:
        again = _mask_once(result.text, [])
        if again.text == result.text:
            break
        result = MaskResult(again.text, _merge(result.spans, again.spans))
        passes += 1
    return result
