"""The one spelling that indexing and querying share: NFKC, lower case, traditional → simplified.

Applied character by character through a cached ``str.translate`` table, so normalising is cheap and
(nearly always) length-preserving, which keeps highlighting offsets trivial.
"""

from __future__ import annotations

import re
import unicodedata

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


class _NormTable(dict[int, str]):
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


#: One Han (CJK ideograph) character: the unified block, extension A and the compatibility block.
HAN_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_han(s: str) -> bool:
    """True when ``s`` contains at least one Han character."""
    return bool(HAN_CHAR.search(s))
