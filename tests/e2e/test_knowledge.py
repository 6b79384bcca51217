"""Knowledge-base journeys: the agent searches, reads, links a ticket, gives feedback and writes an article;
the lead reviews with a diff, rejects, the agent fixes and resubmits, the lead approves, and the article is
live and found by search."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.support import SEED_ARTICLES, assert_no_horizontal_scroll, shot

pytestmark = pytest.mark.e2e

TICKET = "20231123-A001"


def search(page: Page, query: str) -> None:
    page.locator("header nav.mainnav a[href='/search']").click()
    box = page.locator("main form[role=search] input[name=q]")
    box.fill(query)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))


def write_article(
    page: Page, title: str, *, solution: str, category: str = "问题/故障 › 物流异常"
) -> Locator:
    """Fill the new-article form from the navigation and save the draft; ends on the article page."""
    page.locator("header nav.mainnav a[href='/articles/new']").click()
    form = page.locator("main form.kb-form")
    form.locator("#title").fill(title)
    form.locator("#scenario").fill("客户收到的包裹外包装破损，商品有磕碰。")
    form.locator("#solution").fill(solution)
    form.locator("#notes").fill("处理过程中保持礼貌，先安抚客户情绪。")
    form.locator("#category_id").select_option(label=category)
    form.locator("#tags").fill("破损，物流")
    return form


def submit_for_review(page: Page) -> None:
    page.locator("main form[action$='/submit'] button").first.click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main .kb-meta .status-in_review").first).to_be_visible()


def test_agent_searches_reads_links_a_ticket_and_gives_feedback(open_page):
    page = open_page("agent")
    invoice = SEED_ARTICLES[0]["title"]

    search(page, "客户怎么开发票")
    hits = page.locator("main ol.search-results li.search-hit")
    expect(hits.first).to_be_visible()
    expect(hits.first.locator("a.search-title")).to_have_text(invoice)
    expect(hits.first.locator("mark").first).to_be_visible()  # the matched words are highlighted
    shot(page, "agent-search")

    hits.first.locator("a.search-title").click()
    expect(page.locator("main h1.kb-title")).to_have_text(invoice)
    expect(page.locator("main .kb-body").first).to_be_visible()
    shot(page, "agent-article")

    tickets = page.locator("main section.kb-tickets")
    # The section also holds a "Remove link" button per link the agent made; this is the link form.
    link_form = tickets.locator("form", has=page.locator("input[name=ticket_id]"))
    link_form.locator("input[name=ticket_id]").fill(TICKET)
    link_form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text(TICKET)
    expect(page.locator("main section.kb-tickets li", has_text=TICKET)).to_have_count(1)
    # The agent made this link, so the agent may remove it again.
    expect(tickets.locator("li", has_text=TICKET).locator("form button.danger")).to_have_count(1)
    shot(page, "agent-linked-ticket")

    # A ticket number that is not a real date is refused next to the field (the article page again, the
    # typed ID kept to correct), never stored.
    link_form.locator("input[name=ticket_id]").fill("20231131-A001")
    link_form.locator("button[type=submit]").click()
    expect(page.locator("main h1.kb-title")).to_have_text(invoice)
    ticket_field = page.locator("main section.kb-tickets .field.has-error")
    expect(ticket_field.locator(".error")).to_contain_text("20231131-A001")
    expect(ticket_field.locator("input[name=ticket_id]")).to_have_value("20231131-A001")
    expect(ticket_field.locator("input[name=ticket_id]")).to_be_focused()
    shot(page, "agent-invalid-ticket")
    expect(page.locator("main section.kb-tickets li")).to_have_count(1)

    # The ticket page gathers what is known about the ticket, including this article.
    page.goto(f"/tickets/{TICKET}")
    expect(page.locator("main h1")).to_contain_text(TICKET)
    expect(page.locator("main a", has_text=invoice)).to_have_count(1)
    shot(page, "agent-ticket-page")
    page.locator("main a", has_text=invoice).click()
    expect(page.locator("main h1.kb-title")).to_have_text(invoice)

    feedback = page.locator("main section.kb-feedback")
    feedback.locator("textarea[name=reason]").fill("步骤清楚，客户一次就开好了")
    feedback.locator("button[name=helpful][value=yes]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main section.kb-feedback p.muted").first).to_contain_text("1")
    shot(page, "agent-article-after-feedback")


def test_agent_writes_and_submits_an_article(open_page):
    page = open_page("agent")
    title = "快递包裹破损的理赔流程"
    form = write_article(page, title, solution="1. 请客户拍照留证。\n2. 在工单系统登记破损理赔。")
    shot(page, "agent-new-article")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main h1.kb-title")).to_have_text(title)
    expect(page.locator("main .kb-meta .status-draft").first).to_be_visible()
    shot(page, "agent-draft")

    submit_for_review(page)
    shot(page, "agent-submitted")

    page.locator("header nav.mainnav a[href='/articles/mine']").click()
    row = page.locator("main table tbody tr", has_text=title)
    expect(row.locator(".status-in_review")).to_be_visible()
    shot(page, "agent-my-articles")


def test_lead_rejects_agent_fixes_lead_approves_and_article_is_found(open_page):
    agent = open_page("agent2")
    lead = open_page("lead")
    title = "冷链商品到货融化的赔付标准"
    first_solution = "1. 请客户拍照。\n2. 直接全额退款。"
    fixed_solution = "1. 请客户在签收 2 小时内拍照留证。\n2. 核实冷链记录后按商品金额赔付。"

    form = write_article(agent, title, solution=first_solution, category="问题/故障 › 产品质量")
    form.locator("button[type=submit]").click()
    expect(agent.locator("main h1.kb-title")).to_have_text(title)
    submit_for_review(agent)

    # The lead's queue lists it; the review page shows the proposed text as a diff.
    lead.locator("header nav.mainnav a[href='/articles/review-queue']").click()
    row = lead.locator("main table tbody tr", has_text=title)
    expect(row).to_have_count(1)
    shot(lead, "lead-review-queue")
    row.locator("a").first.click()
    expect(lead.locator("main h1")).to_contain_text(title)
    diff = lead.locator("main table.kb-diff").first
    expect(diff).to_be_visible()
    expect(lead.locator("main table.kb-diff td.kb-right", has_text="直接全额退款")).to_have_count(1)
    shot(lead, "lead-review-new-article")

    reject = lead.locator("main form.kb-reject")
    reject.locator("textarea[name=comment]").fill("请补充拍照时限和冷链记录核实步骤，不能直接全额退款。")
    reject.locator("button[type=submit]").click()
    expect(lead.locator(".flash-success")).to_be_visible()
    expect(lead.locator("main table tbody tr", has_text=title)).to_have_count(0)

    # The author sees the comment, fixes the text and submits again.
    agent.locator("header nav.mainnav a[href='/articles/mine']").click()
    mine = agent.locator("main table tbody tr", has_text=title)
    expect(mine).to_contain_text("不能直接全额退款")
    expect(mine.locator(".status-rejected")).to_be_visible()
    shot(agent, "agent-my-articles-rejected")
    mine.locator("a").first.click()
    agent.locator("main .kb-actions a[href$='/edit']").click()
    expect(agent.locator("main .kb-comment")).to_contain_text("不能直接全额退款")
    agent.locator("main form.kb-form #solution").fill(fixed_solution)
    shot(agent, "agent-edit-after-rejection")
    agent.locator("main form.kb-form button[type=submit]").click()
    expect(agent.locator(".flash-success")).to_be_visible()
    submit_for_review(agent)

    # The lead sees the fix, compares, and approves.
    lead.locator("header nav.mainnav a[href='/articles/review-queue']").click()
    lead.locator("main table tbody tr", has_text=title).locator("a").first.click()
    expect(lead.locator("main table.kb-diff td.kb-right", has_text="核实冷链记录")).to_have_count(1)
    shot(lead, "lead-review-resubmitted")
    lead.locator("main form[action$='/approve'] button").click()
    expect(lead.locator(".flash-success")).to_be_visible()
    expect(lead.locator("main table tbody tr", has_text=title)).to_have_count(0)

    # The knowledge dashboard (KCS metrics) renders for the lead.
    lead.locator("header nav.mainnav a[href='/kcs']").click()
    expect(lead.locator("main .tiles .tile")).to_have_count(4)
    shot(lead, "lead-knowledge-dashboard")

    # Live for everyone, and found by a search in the customer's words.
    reader = open_page("agent")
    search(reader, "冷链 融化 赔付")
    hit = reader.locator("main li.search-hit", has_text=title)
    expect(hit).to_have_count(1)
    hit.locator("a.search-title").click()
    expect(reader.locator("main h1.kb-title")).to_have_text(title)
    expect(reader.locator("main .kb-meta .status-published").first).to_be_visible()
    expect(reader.locator("main")).to_contain_text("核实冷链记录")
    shot(reader, "agent-approved-article")

    # The author's history compares the rejected revision with the approved one.
    agent.goto(reader.url)
    agent.locator("main .kb-actions a[href$='/history']").click()
    expect(agent.locator("main table.kb-diff td.kb-left", has_text="直接全额退款")).to_have_count(1)
    expect(agent.locator("main table.kb-diff td.kb-right", has_text="核实冷链记录")).to_have_count(1)
    shot(agent, "article-history")


def test_agent_on_a_phone_searches_and_reads(open_page):
    page = open_page("agent", phone=True)
    toggle = page.locator("header label.nav-toggle-label")
    expect(toggle).to_be_visible()
    toggle.click()
    page.locator("header nav.mainnav a[href='/search']").click()
    box = page.locator("main form[role=search] input[name=q]")
    box.fill("没发货")
    box.press("Enter")
    hit = page.locator("main li.search-hit", has_text=SEED_ARTICLES[1]["title"])
    expect(hit).to_have_count(1)
    assert_no_horizontal_scroll(page)
    shot(page, "phone-agent-search")
    hit.locator("a.search-title").click()
    expect(page.locator("main h1.kb-title")).to_have_text(SEED_ARTICLES[1]["title"])
    expect(page.locator("main section.kb-feedback button[value=yes]")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot(page, "phone-agent-article")
