"""Helpers for the browser journeys: the users the server is started with, logging in through the real form,
screenshots, and a check that a Chinese page shows no untranslated English interface text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = ROOT / "test-output"
SCREENSHOT_DIR = OUTPUT_DIR / "screenshots"

# A loaded two-core machine runs the unit tests next to these; waits are generous, never sleeps.
EXPECT_TIMEOUT_MS = 20_000
ACTION_TIMEOUT_MS = 30_000
NAVIGATION_TIMEOUT_MS = 60_000

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@dataclass(frozen=True)
class E2EUser:
    username: str
    display_name: str
    roles: tuple[str, ...]
    team: str | None = None

    @property
    def password(self) -> str:
        # Known to the test only; the server stores its scrypt hash like any other password.
        return f"e2e-{self.username}-Passw0rd"


USERS: dict[str, E2EUser] = {
    "agent": E2EUser("agent", "张小客", ("agent",), "一线一组"),
    "agent2": E2EUser("agent2", "李二客", ("agent",), "一线二组"),
    "lead": E2EUser("lead", "王主管", ("lead",)),
    "qa": E2EUser("qa", "赵质检", ("qa",)),
    "admin": E2EUser("admin", "系统管理员", ("admin",)),
    "bilingual": E2EUser("bilingual", "周双语", ("agent",), "一线二组"),  # switches to English
}

# Published before the server starts (`portal import-articles --publish`): what agents search for.
SEED_ARTICLES = (
    {
        "external_id": "e2e-invoice",
        "title": "如何为客户开具电子发票",
        "scenario": "客户在订单完成后询问怎么开发票，或需要修改发票抬头。",
        "solution": "1. 请客户打开“我的订单”，进入订单详情页。\n2. 点击“申请发票”，选择电子普通发票。\n"
        "3. 填写发票抬头和税号，提交后 24 小时内发送到客户邮箱。",
        "notes": "增值税专用发票需要客户提供营业执照，转财务处理。",
        "category": "咨询 › 售后政策咨询",
        "tags": ["发票", "售后"],
        "tickets": [],
    },
    {
        "external_id": "e2e-shipping",
        "title": "订单超过 48 小时未发货的处理",
        "scenario": "客户反映下单后超过 48 小时仍显示待发货。",
        "solution": "1. 在订单系统中确认库存与仓库状态。\n2. 联系仓库催发，并告知客户预计发货时间。\n"
        "3. 缺货时为客户办理退款或更换商品。",
        "notes": "大促期间发货时效会延长，先向客户说明。",
        "category": "问题/故障 › 物流异常",
        "tags": ["发货", "物流"],
        "tickets": ["20231120-B001"],
    },
    {
        "external_id": "e2e-login",
        "title": "App 登录提示密码错误",
        "scenario": "客户确认密码无误，但 App 一直提示账号或密码错误。",
        "solution": "1. 请客户升级到最新版本。\n2. 清除缓存后重新登录。\n3. 仍失败时引导客户重置密码。",
        "notes": "不要索要客户的密码或验证码。",
        "category": "问题/故障 › 软件问题",
        "tags": ["登录", "App"],
        "tickets": [],
    },
)


def login(page: Page, who: str) -> Page:
    """Log in as ``who`` (a key of USERS) through the real login form and wait for the user menu."""
    user = USERS[who]
    page.goto("/login")
    form = page.locator("main form").filter(has=page.locator("#password"))
    form.locator("#username").fill(user.username)
    form.locator("#password").fill(user.password)
    form.locator("button[type=submit]").click()
    expect(page.locator("header .usermenu")).to_contain_text(user.display_name)
    return page


def logout(page: Page) -> None:
    page.locator("header .usermenu button[type=submit]").click()
    expect(page.locator("#password")).to_be_visible()


def nav_labels(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("header nav.mainnav a").all_inner_texts()]


def shot(page: Page, name: str, *, check_chinese: bool = True, skip: str | None = None) -> Path:
    """Save a full-page screenshot as test-output/screenshots/NAME.png; on a Chinese page, first look for
    interface text left in English (a missing translation). Pages from ``open_page`` report it at the end of
    the test, with every other browser problem, so one run lists all of them. ``skip``: a CSS selector of
    data shown as is (e.g. the audit log's action codes)."""
    page.wait_for_load_state("load")
    if check_chinese and page.locator("html").get_attribute("lang") == "zh-CN":
        report = getattr(page, "e2e_report_problem", None)
        if report is None:
            assert_chinese_ui(page, skip)
        else:
            missing = untranslated_texts(page, skip)
            if missing:
                report(f"untranslated interface text on {urlsplit(page.url).path} ({name}.png): {missing}")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Interface elements whose text must be translated; user content (article bodies, transcripts) is not here.
UI_TEXT_SELECTOR = ", ".join(
    [
        "header nav.mainnav a",
        "main h1",
        "main h2",
        "main h3",
        "main th",
        "main label",
        "main legend",
        "main button",
        "main a.button",
        "main .flash",
        "main .status",
        "main p",
        "main small",
        "main summary",
        "main td",
        "main option",
        "title",
    ]
)
# User content: article text, transcripts, snippets, code samples.
USER_CONTENT = ".kb-body, .qa-chat, .search-snippet, pre, code, blockquote, .kb-diff"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# Words that stay in Latin letters in a Chinese interface.
ALLOWED_WORDS = {
    "english",
    "csv",
    "xlsx",
    "json",
    "jsonl",
    "markdown",
    "api",
    "token",
    "id",
    "iqs",
    "kcs",
    "csat",
    "app",
    "c",
}
# Our own test data and user names may appear inside a heading or a label.
ALLOWED_DATA_WORDS = {user.username for user in USERS.values()} | {"newagent"}


def untranslated_texts(page: Page, skip: str | None = None) -> list[str]:
    """Interface texts without any Chinese character that contain an English word (not an acronym)."""
    found = []
    for text in page.locator(UI_TEXT_SELECTOR).evaluate_all(
        """(els, userContent) => els
            .filter(e => ['TITLE', 'OPTION'].includes(e.tagName) || e.getClientRects().length > 0)
            .filter(e => !e.closest(userContent))
            .map(e => (e.innerText || e.textContent || '').trim())""",
        USER_CONTENT + (f", {skip}" if skip else ""),
    ):
        if not text or CJK.search(text):
            continue
        words = [
            w
            for w in ASCII_WORD.findall(text)
            if not w.isupper() and w.lower() not in ALLOWED_WORDS and w not in ALLOWED_DATA_WORDS
        ]
        if words:
            found.append(text)
    return found


def assert_chinese_ui(page: Page, skip: str | None = None) -> None:
    missing = untranslated_texts(page, skip)
    assert not missing, f"untranslated interface text on {page.url}: {missing}"


def assert_no_horizontal_scroll(page: Page) -> None:
    """The page fits the viewport's width (a phone must not scroll sideways to reach the controls)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] + 1, f"{page.url} is {widths[0]} px wide in a {widths[1]} px viewport"
