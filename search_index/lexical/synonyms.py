"""Admin-edited synonyms, applied to queries (never to the index, so an edit needs no reindex).

Format, one rule a line, ``#`` starts a comment:

- ``登陆 => 登录`` one-way: the left side is rewritten to the right side. Several left words may share a
  line (``登陆, 登入 => 登录``); several right words mean "rewrite to the first, also search the others".
- ``花呗, 蚂蚁花呗`` an equivalence group: a query with any member also searches the other members, with
  a lower weight than the words the user actually typed.

Matching is on normalised text (:func:`search_index.lexical.normalize.normalize_text`), by substring for Chinese
(no spaces between words) and on word boundaries for Latin words, so ``log in`` does not fire inside
``blog interface``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from search_index.lexical.normalize import normalize_text

DEFAULT_SYNONYMS_PATH = Path(__file__).parents[1] / "data" / "synonyms_zh.txt"


@dataclass(frozen=True)
class SynonymRule:
    """One parsed line: ``sources => targets`` (one-way) or a group (``sources`` only, ``targets`` empty)."""

    sources: tuple[str, ...]
    targets: tuple[str, ...] = ()
    line: int = 0

    @property
    def one_way(self) -> bool:
        """True for ``a => b`` rules, False for equivalence groups."""
        return bool(self.targets)


@dataclass(frozen=True)
class QueryRewrite:
    """Result of :meth:`SynonymMap.apply`: the rewritten query plus extra phrases to search with."""

    text: str
    expansions: tuple[str, ...] = ()
    fired: tuple[SynonymRule, ...] = ()


def _pattern_for(word: str) -> str:
    escaped = re.escape(word)
    # Latin words need word boundaries; Chinese has none, so a substring is the unit there.
    if word[:1].isascii() and word[:1].isalnum():
        escaped = r"(?<![0-9a-z])" + escaped
    if word[-1:].isascii() and word[-1:].isalnum():
        escaped = escaped + r"(?![0-9a-z])"
    return escaped


@dataclass(frozen=True)
class SynonymMap:
    """A parsed synonym list. Immutable and cheap to share between threads."""

    rules: tuple[SynonymRule, ...] = ()
    errors: tuple[tuple[int, str], ...] = field(default=(), compare=False)

    # --- construction ---------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str | Iterable[str]) -> SynonymMap:
        """Parse a synonym list (a string or an iterable of lines). Bad lines are skipped and reported
        in :attr:`errors` as ``(line_number, message)``; parsing itself never raises."""
        lines = text.splitlines() if isinstance(text, str) else list(text)
        rules: list[SynonymRule] = []
        errors: list[tuple[int, str]] = []
        for lineno, raw in enumerate(lines, start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.count("=>") > 1:
                errors.append((lineno, "more than one '=>'"))
                continue
            if "=>" in line:
                left, right = line.split("=>")
                sources = _split_words(left)
                targets = _split_words(right)
                if not sources or not targets:
                    errors.append((lineno, "'=>' needs words on both sides"))
                    continue
                sources = tuple(s for s in sources if s not in targets)
                if not sources:
                    errors.append((lineno, "rule maps a word to itself"))
                    continue
                rules.append(SynonymRule(sources, targets, lineno))
            else:
                words = _split_words(line)
                if len(words) < 2:
                    errors.append((lineno, "a group needs at least two words separated by commas"))
                    continue
                rules.append(SynonymRule(words, (), lineno))
        return cls(tuple(rules), tuple(errors))

    @classmethod
    def empty(cls) -> SynonymMap:
        """A map that changes nothing (pass it to ``SearchIndex.search`` to switch synonyms off)."""
        return cls(())

    def merged(self, other: SynonymMap) -> SynonymMap:
        """This map's rules followed by ``other``'s (for "defaults + admin additions")."""
        return SynonymMap(self.rules + other.rules, self.errors + other.errors)

    def words(self) -> set[str]:
        """Every word the map mentions; worth adding to the jieba user dictionary."""
        out: set[str] = set()
        for rule in self.rules:
            out.update(rule.sources)
            out.update(rule.targets)
        return out

    # --- application ----------------------------------------------------------------------------
    @cached_property
    def _one_way(self) -> tuple[re.Pattern[str] | None, dict[str, SynonymRule]]:
        mapping: dict[str, SynonymRule] = {}
        for rule in self.rules:
            if rule.one_way:
                for src in rule.sources:
                    mapping.setdefault(src, rule)
        if not mapping:
            return None, mapping
        # Longest first, so 蚂蚁花贝 wins over 花贝 when both have rules.
        alternation = "|".join(_pattern_for(w) for w in sorted(mapping, key=len, reverse=True))
        return re.compile(alternation), mapping

    @cached_property
    def _groups(self) -> tuple[tuple[SynonymRule, re.Pattern[str]], ...]:
        return tuple(
            (rule, re.compile("|".join(_pattern_for(w) for w in sorted(rule.sources, key=len, reverse=True))))
            for rule in self.rules
            if not rule.one_way
        )

    def apply(self, query: str) -> QueryRewrite:
        """Rewrite ``query`` (normalised here) with the one-way rules, then collect group expansions.

        One pass: a replacement is not rewritten again, so ``a => ab`` cannot loop.
        """
        text = normalize_text(query)
        fired: list[SynonymRule] = []
        expansions: list[str] = []
        pattern, mapping = self._one_way
        if pattern is not None and text:

            def _sub(m: re.Match[str]) -> str:
                rule = mapping[m.group(0)]
                fired.append(rule)
                expansions.extend(rule.targets[1:])
                return rule.targets[0]

            text = pattern.sub(_sub, text)
        for rule, gpat in self._groups:
            present = {m.group(0) for m in gpat.finditer(text)}
            if not present:
                continue
            fired.append(rule)
            for word in rule.sources:
                if word in present:
                    continue
                # 花呗 is inside 蚂蚁花呗: when the longer member is present the shorter one is too.
                if any(word in p for p in present):
                    continue
                expansions.append(word)
        uniq = tuple(dict.fromkeys(expansions))
        return QueryRewrite(text, uniq, tuple(fired))


def _split_words(part: str) -> tuple[str, ...]:
    words = []
    for w in re.split(r"[,，、;；|]", part):
        w = normalize_text(w).strip()
        w = re.sub(r"\s+", " ", w)
        if w and w not in words:
            words.append(w)
    return tuple(words)


def parse_synonyms(text: str | Iterable[str]) -> SynonymMap:
    """Shorthand for :meth:`SynonymMap.parse`."""
    return SynonymMap.parse(text)


def validate_synonyms(text: str | Iterable[str]) -> list[tuple[int, str]]:
    """Return ``(line_number, message)`` for every line an admin form should reject; empty when valid."""
    return list(SynonymMap.parse(text).errors)


_default: SynonymMap | None = None


def default_synonyms() -> SynonymMap:
    """The bundled general customer-service synonyms (``data/synonyms_zh.txt``), parsed once."""
    global _default
    if _default is None:
        _default = SynonymMap.parse(DEFAULT_SYNONYMS_PATH.read_text(encoding="utf-8"))
    return _default
