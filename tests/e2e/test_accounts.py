"""Journeys of the shell: logging in and out, navigation per role, user administration, language, phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.support import (
    USERS,
    assert_no_horizontal_scroll,
    logout,
    nav_labels,
    shot,
)

pytestmark = pytest.mark.e2e


def test_login_page_is_chinese_and_rejects_a_wrong_password(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\b"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("main h1")).to_have_text("登录")
    expect(page.locator("label[for=username]")).to_have_text("用户名")
    expect(page.locator("label[for=password]")).to_have_text("密码")
    shot(page, "login")

    page.locator("#username").fill("agent")
    page.locator("#password").fill("not-the-password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-error")).to_have_text("用户名或密码错误。")
    expect(page.locator("header .usermenu")).to_have_count(0)
    shot(page, "login-wrong-password")


@pytest.mark.parametrize("role", ["agent", "lead", "qa", "admin"])
def test_each_role_sees_its_navigation_and_can_log_out(open_page, role):
    page = open_page(role)
    user = USERS[role]
    expect(page.locator("main h1")).to_have_text(f"欢迎，{user.display_name}")
    labels = nav_labels(page)
    admin_only = {"用户管理", "审计日志"}
    if role == "admin":
        assert admin_only <= set(labels), labels
    else:
        assert not admin_only & set(labels), labels
    shot(page, f"home-{role}")

    logout(page)
    expect(page.locator(".flash")).to_have_text("您已退出登录。")
    page.goto("/")
    expect(page.locator("#password")).to_be_visible()  # the session really ended


def test_admin_creates_a_user_who_can_then_log_in(open_page):
    page = open_page("admin")
    page.locator("header nav.mainnav a", has_text="用户管理").click()
    expect(page.locator("main h1")).to_have_text("用户管理")
    for user in USERS.values():
        expect(page.locator("main table")).to_contain_text(user.username)
    shot(page, "admin-users")

    page.locator("main a.button", has_text="新建用户").click()
    expect(page.locator("main h1")).to_have_text("新建用户")
    page.locator("#username").fill("newagent")
    page.locator("#display_name").fill("孙新人")
    page.locator("#team").fill("一线一组")
    page.locator("input[name=roles][value=agent]").check()
    page.locator("#password").fill("Xin-ren-2024!")
    shot(page, "admin-new-user")
    page.locator("main form button[type=submit]").click()

    expect(page.locator(".flash-success")).to_have_text("已创建用户 newagent。")
    row = page.locator("main table tr", has_text="newagent")
    expect(row).to_contain_text("孙新人")
    expect(row).to_contain_text("agent")

    newcomer = open_page()
    newcomer.goto("/login")
    newcomer.locator("#username").fill("newagent")
    newcomer.locator("#password").fill("Xin-ren-2024!")
    newcomer.locator("main form button[type=submit]").click()
    expect(newcomer.locator("main h1")).to_have_text("欢迎，孙新人")
    assert not {"用户管理", "审计日志"} & set(nav_labels(newcomer))

    page.locator("header nav.mainnav a", has_text="审计日志").click()
    expect(page.locator("main h1")).to_have_text("审计日志")
    expect(page.locator("main tbody tr", has_text="user.create").filter(has_text="admin")).to_have_count(1)
    shot(page, "admin-audit-log", skip="main tbody td")  # action codes and object types are identifiers


def test_language_switch_to_english_and_back(open_page):
    # A user of its own: the choice is saved on the account and must not leak into the other journeys.
    page = open_page("bilingual")
    page.locator("header .langswitch button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text(f"Welcome, {USERS['bilingual'].display_name}")
    expect(page.locator("header .usermenu button")).to_have_text("Log out")
    shot(page, "home-agent-english", check_chinese=False)

    # The choice belongs to the user: a new login elsewhere keeps English.
    elsewhere = open_page("bilingual")
    expect(elsewhere.locator("html")).to_have_attribute("lang", "en")

    page.locator("header .langswitch button[value=zh_CN]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("header .usermenu button")).to_have_text("退出登录")


def test_phone_viewport_shows_the_menu_toggle(open_page):
    page = open_page("admin", phone=True)
    nav = page.locator("header nav.mainnav")
    toggle = page.locator("header label.nav-toggle-label")
    expect(toggle).to_be_visible()
    expect(nav).to_be_hidden()
    assert_no_horizontal_scroll(page)
    shot(page, "phone-home-admin")

    toggle.click()
    expect(nav).to_be_visible()
    expect(nav.locator("a", has_text="用户管理")).to_be_visible()
    shot(page, "phone-home-admin-menu-open")
    nav.locator("a", has_text="用户管理").click()
    expect(page.locator("main h1")).to_have_text("用户管理")
    assert_no_horizontal_scroll(page)
    shot(page, "phone-admin-users")

    desktop = open_page("admin")
    expect(desktop.locator("header label.nav-toggle-label")).to_be_hidden()
    expect(desktop.locator("header nav.mainnav")).to_be_visible()


def test_a_csp_violation_is_caught_as_a_console_error(page, browser_problems):
    """The guard every journey relies on: an inline script (forbidden by our CSP) is reported."""
    page.goto("/login")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
            " document.body.appendChild(s); }"
        )
    assert page.evaluate("() => window.x") is None  # the browser refused to run it
    found = [item for item in browser_problems.items if "Content Security Policy" in item]
    assert found, browser_problems.items
    browser_problems.console.clear()  # seen on purpose; the journeys must never produce it
