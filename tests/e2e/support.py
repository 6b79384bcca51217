"""Helpers for the browser journeys: the users the server is started with, logging in through the real form,
screenshots, and a check that a Chinese page shows no untranslated English interface text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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


def shot(page: Page, name: str, *, check_chinese: bool = True) -> Path:
    """Save a full-page screenshot as test-output/screenshots/NAME.png; on a Chinese page, first check that
    no interface text was left in English (a missing translation)."""
    page.wait_for_load_state("load")
    if check_chinese and page.locator("html").get_attribute("lang") == "zh-CN":
        assert_chinese_ui(page)
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
        "title",
    ]
)
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
}
# Our own test data and user names may appear inside a heading or a label.
ALLOWED_DATA_WORDS = {user.username for user in USERS.values()}


def untranslated_texts(page: Page) -> list[str]:
    """Interface texts without any Chinese character that contain an English word (not an acronym)."""
    found = []
    for text in page.locator(UI_TEXT_SELECTOR).evaluate_all(
        "els => els.filter(e => e.tagName === 'TITLE' || e.getClientRects().length > 0)"
        ".map(e => (e.innerText || e.textContent || '').trim())"
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


def assert_chinese_ui(page: Page) -> None:
    missing = untranslated_texts(page)
    assert not missing, f"untranslated interface text on {page.url}: {missing}"


def assert_no_horizontal_scroll(page: Page) -> None:
    """The page fits the viewport's width (a phone must not scroll sideways to reach the controls)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] + 1, f"{page.url} is {widths[0]} px wide in a {widths[1]} px viewport"
