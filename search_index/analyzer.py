"""Text analysis shared by indexing and querying.

Everything the index stores and everything a query is matched with goes through :func:`normalize_text`
first, so that full-width/half-width forms, upper/lower case and common traditional characters meet
in one spelling. Chinese is segmented with jieba in *search* mode (a long word also yields its
shorter words), English words are lower-cased and Porter-stemmed, and mixed text is handled by the
same pass because jieba keeps ASCII runs together.

Public interface (other modules build on these names):

- :func:`normalize_text` / :func:`normalize_with_offsets`
- :func:`word_tokens` (plain list of index terms), :func:`outer_word_tokens`, :func:`cjk_bigrams`,
  :func:`cjk_unigrams`, :func:`latin_grams`, :func:`spelling_tokens`
- :func:`chinese_analyzer`, :func:`bigram_analyzer`, :func:`latin_gram_analyzer`,
  :func:`spelling_analyzer` (Whoosh analyzers)
- :func:`load_user_dictionary` (admin-edited words added to jieba at run time)
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import jieba
from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem as porter_stem

jieba.setLogLevel(logging.WARNING)

# Traditional → simplified for the characters that actually occur in customer-service text
# (accounts, payments, orders, delivery, refunds). A full OpenCC table would be more complete but is
# a heavy dependency; one-to-one character pairs keep normalisation length-preserving and cheap.
_TRAD = (
    "會員賬帳號碼戶貸銀錢轉還撥額變開關閉為麼們個這說時後與業東車電話機線網買賣貨運費訂單條"
    "險證據驗聯繫係點擊設選項實際數據庫處處裡裏哪認識讓給從對應該發現問題應當後臺臺灣灣"
    "優惠劵券領紅積積綁換錯誤務態鐘頭專員詢類屬於聽說讀寫記錄録陸際濟紀總結筆記簡體繁體預約"
    "報價審核標準規範響時產品質檢測評價論壇壓縮歷史紀錄過濾權限續費幣種匯率稅務發票據"
    "層級廣告獎勵彈窗視頻鏈接圖片請詳細寬帶線路維修擁護補償賠償損壞壞掉舊換貨倉庫遞送達"
    "來進帶長門間問題顯示隱藏備份復製刪除編輯創建餘額儲蓄卡動態碼簽約鎖凍結解凍兌現剛剛"
    "麽異常無關聯統計節購嗎嗎僅衹隻盡盤團隊內幫助歡迎謝謝您務負責調閱覽權唄貝螞蟻寶淨氣裝"
)
_SIMP = (
    "会员账帐号码户贷银钱转还拨额变开关闭为么们个这说时后与业东车电话机线网买卖货运费订单条"
    "险证据验联系系点击设选项实际数据库处处里里哪认识让给从对应该发现问题应当后台台湾湾"
    "优惠券券领红积积绑换错误务态钟头专员询类属于听说读写记录录陆际济纪总结笔记简体繁体预约"
    "报价审核标准规范响时产品质检测评价论坛压缩历史纪录过滤权限续费币种汇率税务发票据"
    "层级广告奖励弹窗视频链接图片请详细宽带线路维修拥护补偿赔偿损坏坏掉旧换货仓库递送达"
    "来进带长门间问题显示隐藏备份复制删除编辑创建余额储蓄卡动态码签约锁冻结解冻兑现刚刚"
    "么异常无关联统计节购吗吗仅只只尽盘团队内帮助欢迎谢谢您务负责调阅览权呗贝蚂蚁宝净气装"
)
if len(_TRAD) != len(_SIMP):  # pragma: no cover - guards the table above against edit mistakes
    raise RuntimeError("traditional/simplified tables are misaligned")
_T2S = {ord(t): s for t, s in zip(_TRAD, _SIMP, strict=True) if t != s}
# 帳號 is written 账号 in simplified customer-service text, not 帐号.
_T2S[ord("帳")] = "账"


class _NormTable(dict):
    """``str.translate`` table that computes (and caches) each character's normal form on first use."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = unicodedata.normalize("NFKC", ch).lower()
        out = out.translate(_T2S)
        # Line breaks, tabs and exotic spaces all become one plain space so tokenisation ignores them.
        # Punctuation whose compatibility form is longer (… → ...) becomes one space too: it is never
        # searched, and keeping the text length unchanged keeps highlighting offsets trivial.
        if out.isspace() or (len(out) > 1 and not _USEFUL_CHARS.search(out)):
            out = " "
        self[code] = out
        return out


_USEFUL_CHARS = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]")
_NORM = _NormTable()


def normalize_text(s: str | None) -> str:
    """Return ``s`` in the one spelling used for indexing and querying.

    NFKC (full-width letters, digits and punctuation become half-width), lower case, common traditional
    characters become simplified ones. Applied character by character, so the result is as long as the
    input except for the rare characters whose compatibility form is longer (for example ``①`` → ``1``).
    """
    if not s:
        return ""
    if s.isascii():
        return s.lower()
    return s.translate(_NORM)


def normalize_with_offsets(s: str) -> tuple[str, list[int]]:
    """Normalise ``s`` and also return, for every output character, the index of its source character.

    Highlighting uses the map to put ``<mark>`` around the original text, not the normalised one.
    """
    if s.isascii():
        return s.lower(), list(range(len(s)))
    norm = s.translate(_NORM)
    if len(norm) == len(s):  # the usual case: every character maps to one character
        return norm, list(range(len(s)))
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(s):
        n = _NORM[ord(ch)] if not ch.isascii() else ch.lower()
        out.append(n)
        where.extend([i] * len(n))
    return "".join(out), where


# Filler words of customer questions: they say *how* someone asks, not *what* about. Negations
# (不, 没, 无法) and verbs such as 还 (repay) stay, they change the meaning.
ZH_STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "哦",
        "嘛",
        "么",
        "啦",
        "哈",
        "嗯",
        "噢",
        "喔",
        "哟",
        "诶",
        "哇",
        "呐",
        "咯",
        "么",
        "滴",
        "得",
        "地",
        "着",
        "过",
        "请问",
        "请",
        "您好",
        "你好",
        "麻烦",
        "谢谢",
        "一下",
        "下",
        "我",
        "我的",
        "我们",
        "你",
        "你们",
        "您",
        "他",
        "她",
        "它",
        "它们",
        "咱",
        "俺",
        "自己",
        "本人",
        "怎么",
        "怎么样",
        "怎样",
        "如何",
        "怎么办",
        "咋",
        "咋办",
        "为什么",
        "为啥",
        "什么",
        "啥",
        "是不是",
        "是否",
        "能不能",
        "可不可以",
        "会不会",
        "有没有",
        "可以",
        "能",
        "能够",
        "是",
        "在",
        "就",
        "都",
        "也",
        "又",
        "和",
        "与",
        "及",
        "或",
        "或者",
        "跟",
        "把",
        "被",
        "给",
        "让",
        "这",
        "那",
        "这个",
        "那个",
        "这样",
        "那样",
        "这些",
        "那些",
        "还是",
        "然后",
        "但是",
        "可是",
        "因为",
        "所以",
        "如果",
        "就是",
        "已经",
        "一个",
        "一直",
        "现在",
        "刚刚",
        "刚才",
        "之前",
        "以后",
        "一些",
        "有些",
        "还有",
        "个",
        "要",
        "想",
        "想要",
        "需要",
        "请教",
        "问",
        "问下",
        "问一下",
        "知道",
        "告诉",
        "帮",
        "帮我",
        "帮忙",
        "下吗",
        "呢吗",
        "时候",
        "时",
        "吗吗",
        # Search mode splits 怎么回事 / 什么意思 / 会不会 into these pieces, which carry no topic either.
        "回事",
        "怎么回事",
        "意思",
        "什么意思",
        "啥意思",
        "会",
        "不会",
        "才能",
        "大概",
        "的话",
        "上面",
        "一样",
    ]
)

EN_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "had",
        "has",
        "have",
        "having",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "it's",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "am",
        "any",
        "just",
        "can't",
        "don't",
        "i'm",
    ]
)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORDCHAR = re.compile(r"\w", re.UNICODE)
# A token worth indexing has a letter, digit or Han character; "***" (masked numbers), "_" and
# emoji are not searchable content.
_USEFUL = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u00c0-\u024f\u0400-\u04ff]")

_RUNS = re.compile(r"([\x00-\x7f]+)|([^\x00-\x7f]+)")
# Like jieba's own rule for Latin runs: letters and digits joined by + # & . _ % - stay one token
# (c++, e-mail, 3.5), apostrophes keep contractions together so the stopword list can drop them.
_ASCII_WORD = re.compile(r"[0-9a-z](?:[0-9a-z+#&_%'\-]|\.(?=[0-9a-z]))*")
_jieba_lock = threading.Lock()
_DEFAULT_DICT = Path(__file__).with_name("data") / "userdict_zh.txt"
_default_dict_loaded = False


def _ensure_default_dictionary() -> None:
    # Lazy so that importing the package stays cheap; jieba loads its own dictionary on first use too.
    global _default_dict_loaded
    if _default_dict_loaded:
        return
    _default_dict_loaded = True
    load_user_dictionary(read_word_list(_DEFAULT_DICT.read_text(encoding="utf-8")))


def warm_up() -> None:
    """Load jieba's dictionary and the default user dictionary now instead of at the first search (a
    server's master does this before forking, so its workers share the memory)."""
    word_tokens("预热")


def read_word_list(text: str) -> list[str | tuple[str, int]]:
    """Parse a user-dictionary text: one word a line, optional frequency after a space, ``#`` comments."""
    out: list[str | tuple[str, int]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            out.append((parts[0], int(parts[1])))
        else:
            out.append(parts[0])
    return out


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return porter_stem(word)


def _term_for(word: str, *, stem: bool) -> str | None:
    """Map one jieba piece (already normalised) to its index term, or None when it is not content."""
    if not _USEFUL.search(word):
        return None
    if word.isascii():
        w = word.strip("._-'&%")
        if not w or w in EN_STOPWORDS or not _USEFUL.search(w):
            return None
        return _stem(w) if stem and w.isalpha() else w
    if word in ZH_STOPWORDS:
        return None
    return word


def iter_word_spans(
    normalized: str, *, stem: bool = True, latin_only: bool = False
) -> Iterator[tuple[str, int, int]]:
    """Yield ``(term, start, end)`` for the index terms of an already normalised string.

    jieba search mode yields a long word and also its shorter dictionary words (蚂蚁花呗 → 蚂蚁, 花呗,
    蚂蚁花呗), so a query for either form finds the other. ``latin_only`` skips the non-ASCII runs
    (and jieba): the Latin-word terms alone, for fields that only use those.
    """
    if not normalized:
        return
    if not _default_dict_loaded and not latin_only:
        _ensure_default_dictionary()
    # ASCII runs are split by a regex (jieba is slow on long English text and would only split on
    # the same characters); the rest goes through jieba. Both paths serve documents and queries alike.
    for run in _RUNS.finditer(normalized):
        base = run.start()
        if run.group(1) is not None:
            for m in _ASCII_WORD.finditer(run.group(1)):
                term = _term_for(m.group(), stem=stem)
                if term is not None:
                    yield term, base + m.start(), base + m.end()
            continue
        if latin_only:
            continue
        for word, start, end in _jieba_search(run.group(2)):
            term = _term_for(word, stem=stem)
            if term is not None:
                yield term, base + start, base + end


@lru_cache(maxsize=50_000)
def _jieba_search(run: str) -> tuple[tuple[str, int, int], ...]:
    # Cached: the index tokenises a title for several fields, and popular queries repeat.
    # HMM off: its guesses for unknown words (我交, 没扣) differ between two phrasings of one question,
    # while dictionary words and the bigram field match reliably (measured in benchmarks/search_bench.py).
    return tuple(jieba.tokenize(run, mode="search", HMM=False))


def word_tokens(text: str, *, stem: bool = True, normalized: bool = False) -> list[str]:
    """Return the word-level index terms of ``text`` (normalised first unless ``normalized``)."""
    norm = text if normalized else normalize_text(text)
    return [t for t, _s, _e in iter_word_spans(norm, stem=stem)]


def outer_word_tokens(text: str, *, stem: bool = True, normalized: bool = False) -> list[str]:
    """Word terms without the shorter words search mode adds inside longer ones (蚂蚁花呗, not 蚂蚁).

    Used for synonym expansions: the member 蚂蚁花呗 should add that product name, not 蚂蚁 on its own
    (which would pull in 蚂蚁借呗 articles).
    """
    norm = text if normalized else normalize_text(text)
    spans = list(iter_word_spans(norm, stem=stem))
    return [
        t
        for t, s, e in spans
        if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for _t2, s2, e2 in spans)
    ]


def spelling_tokens(text: str, *, normalized: bool = False) -> list[str]:
    """Word terms without stemming: the vocabulary "did you mean" suggests from."""
    return word_tokens(text, stem=False, normalized=normalized)


def cjk_bigrams(text: str, *, normalized: bool = False) -> list[str]:
    """Overlapping Han-character bigrams (a single Han character stays a unigram).

    Customers paraphrase Chinese questions with words jieba segments differently from the article
    (花呗提额 vs 提升花呗额度); character bigrams still overlap where whole words do not.
    """
    norm = text if normalized else normalize_text(text)
    out: list[str] = []
    for run in _HAN_RUN.findall(norm):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


#: Length of the character n-grams of Latin-script words (see :func:`latin_grams`).
LATIN_GRAM = 4


def _latin_gram_spans(normalized: str) -> Iterator[tuple[str, int, int]]:
    # Grams of the *index term* (stemmed, stop words dropped), marked at both ends, so "git hub" and
    # "github" share #git and hub#, and a misspelt "colaborator" still shares most grams of "collaborator".
    for term, start, end in iter_word_spans(normalized, stem=True, latin_only=True):
        marked = f"#{term}#"
        if len(marked) <= LATIN_GRAM:
            yield marked, start, end
            continue
        for i in range(len(marked) - LATIN_GRAM + 1):
            yield marked[i : i + LATIN_GRAM], start, end


def latin_grams(text: str, *, normalized: bool = False) -> list[str]:
    """Character 4-grams of the Latin-script word terms of ``text`` (``#log``, ``logi``, ``ogin``, ``gin#``).

    The English counterpart of the Han bigrams: crowd-written questions split, join or misspell words
    ("git hub", "e mails", "colaborator") that whole-word matching misses.
    """
    norm = text if normalized else normalize_text(text)
    return [t for t, _s, _e in _latin_gram_spans(norm)]


def cjk_unigrams(text: str, *, normalized: bool = False) -> list[str]:
    """Every Han character: the weakest paraphrase signal (交 in 交电费 / 缴电费 after normalisation)."""
    norm = text if normalized else normalize_text(text)
    return _HAN.findall(norm)


def load_user_dictionary(words: Iterable[str | tuple[str, int]]) -> int:
    """Add admin-edited words (product names, 蚂蚁花呗 …) to jieba's dictionary in this process.

    Each item is a word or ``(word, frequency)``. Words are normalised like indexed text. Returns how many
    words were added. Call it in every worker at start-up and after an admin edit; queries use the new
    segmentation at once, already indexed articles only after a reindex (the bigram field still matches
    them meanwhile).
    """
    if not _default_dict_loaded:
        # The bundled words go in first so that an admin's frequencies override them.
        _ensure_default_dictionary()
    n = 0
    with _jieba_lock:
        for item in words:
            word, freq = (item, None) if isinstance(item, str) else (item[0], int(item[1]))
            word = normalize_text(word).strip()
            if not word or any(c.isspace() for c in word):
                continue
            # suggest_freq makes sure the word is not split again by a higher-frequency segmentation.
            jieba.add_word(word, freq=freq if freq is not None else jieba.suggest_freq(word, tune=False))
            n += 1
    if n:
        _jieba_search.cache_clear()
        dictionary_version[0] += 1
    return n


# Bumped whenever the jieba dictionary changes, so callers that cache tokenisations can drop them.
dictionary_version = [0]


# --- Whoosh adapters --------------------------------------------------------------------------------


class _FunctionTokenizer(Tokenizer):
    """Whoosh tokenizer around one of the span functions above."""

    def __init__(self, kind: str):
        self.kind = kind

    def __eq__(self, other):
        return type(other) is type(self) and other.kind == self.kind

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        norm = normalize_text(value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if self.kind == "bigram":
            spans: Iterable[tuple[str, int, int]] = _bigram_spans(norm, unigrams=True)
        elif self.kind == "latin_gram":
            spans = _latin_gram_spans(norm)
        else:
            spans = iter_word_spans(norm, stem=self.kind == "word")
        for pos, (term, start, end) in enumerate(spans):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = norm[start:end]
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _bigram_spans(norm: str, unigrams: bool = False) -> Iterator[tuple[str, int, int]]:
    for m in _HAN_RUN.finditer(norm):
        run, base = m.group(), m.start()
        if len(run) == 1:
            yield run, base, base + 1
            continue
        for i in range(len(run) - 1):
            yield run[i : i + 2], base + i, base + i + 2
        if unigrams:
            for i, ch in enumerate(run):
                yield ch, base + i, base + i + 1


def chinese_analyzer() -> Tokenizer:
    """Whoosh analyzer for article text: normalise, jieba search mode, drop fillers, stem English."""
    return _FunctionTokenizer("word")


def spelling_analyzer() -> Tokenizer:
    """Like :func:`chinese_analyzer` but without stemming (terms are shown to users as suggestions)."""
    return _FunctionTokenizer("spell")


def bigram_analyzer() -> Tokenizer:
    """Whoosh analyzer yielding Han-character bigrams and unigrams (:func:`cjk_bigrams`,
    :func:`cjk_unigrams`); one- and two-character terms never collide, so they share a field."""
    return _FunctionTokenizer("bigram")


def latin_gram_analyzer() -> Tokenizer:
    """Whoosh analyzer yielding the character n-grams of Latin-script words (:func:`latin_grams`)."""
    return _FunctionTokenizer("latin_gram")


def has_han(s: str) -> bool:
    """True when ``s`` contains at least one Han character."""
    return bool(_HAN.search(s))
