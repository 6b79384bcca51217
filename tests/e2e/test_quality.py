"""Quality-inspection journeys: QA imports conversations (masked on the way in), draws a sample and scores
one; the agent disputes that evaluation; the lead resolves it; the reports render."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.support import USERS, assert_no_horizontal_scroll, shot

pytestmark = pytest.mark.e2e

CENTRE_TZ = ZoneInfo("Asia/Shanghai")
PHONE_NUMBER = "13812345678"
PHONE_MASKED = "138****5678"
ID_NUMBER = "11010519491231002X"  # a valid GB 11643 check digit
ID_MASKED = "110***********002X"


def write_conversations_csv(path, now: datetime) -> dict[str, str]:
    """Two conversations of the agent from a few hours ago, Chinese headers, as an Excel user would save
    them. Returns their ticket IDs."""
    start = now - timedelta(hours=3)
    day = start.strftime("%Y%m%d")
    tickets = {"complaint": f"{day}-Q101", "invoice": f"{day}-Q102"}

    def at(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).isoformat(timespec="seconds")

    rows = [
        [tickets["complaint"], "在线客服", "agent", at(0), at(12), "2", "是", "客户", at(0),
         f"你好，我的手机号是{PHONE_NUMBER}，身份证号{ID_NUMBER}，订单三天了还没发货"],
        [tickets["complaint"], "在线客服", "agent", at(0), at(12), "2", "是", "客服", at(3),
         "您好，我马上帮您查询物流信息"],
        [tickets["complaint"], "在线客服", "agent", at(0), at(12), "2", "是", "客户", at(5), "快点，我要投诉"],
        [tickets["invoice"], "电话", "agent", at(30), at(36), "5", "否", "客户", at(30), "请问怎么开发票"],
        [tickets["invoice"], "电话", "agent", at(30), at(36), "5", "否", "客服", at(31),
         "您可以在订单详情页申请电子发票"],
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["工单号", "渠道", "客服", "开始时间", "结束时间", "满意度", "投诉", "发言人", "时间", "内容"]
        )
        writer.writerows(rows)
    return tickets


def qa_imports_conversations(page, tmp_path) -> dict[str, str]:
    """QA uploads a CSV through the import page and checks the transcript shows masked personal data."""
    now = datetime.now(CENTRE_TZ)
    upload = tmp_path / "会话记录.csv"
    tickets = write_conversations_csv(upload, now)

    page.locator("header nav.mainnav a[href='/qa/interactions']").click()
    expect(page).to_have_url("/qa/interactions")
    page.locator("main a.button[href='/qa/interactions/import']").click()
    shot(page, "qa-import")
    page.locator("main form input[type=file]").set_input_files(upload)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    shot(page, "qa-import-result")

    page.goto("/qa/interactions")
    row = page.locator("main table tbody tr", has_text=tickets["complaint"])
    expect(row).to_have_count(1)
    shot(page, "qa-conversations")
    row.locator("a").first.click()
    expect(page.locator("main h1")).to_contain_text(tickets["complaint"])
    chat = page.locator("main .qa-chat")
    expect(chat).to_contain_text(PHONE_MASKED)
    expect(chat).to_contain_text(ID_MASKED)
    expect(chat).not_to_contain_text(PHONE_NUMBER)
    expect(chat).not_to_contain_text(ID_NUMBER)
    expect(chat.locator("mark.qa-masked")).to_have_count(2)
    shot(page, "qa-transcript-masked")
    return tickets


def qa_draws_a_sample(page, tickets: dict[str, str]) -> None:
    """A custom-range plan over the last week for our agent, with a fixed seed; preview, then draw."""
    today = datetime.now(CENTRE_TZ).date()
    page.locator("header nav.mainnav a[href='/qa/plans']").click()
    expect(page).to_have_url("/qa/plans")
    page.locator("main a.button[href='/qa/plans/new']").click()
    form = page.locator("main form").filter(has=page.locator("#name"))
    form.locator("#name").fill("近一周抽检（E2E）")
    form.locator("#period").select_option("custom")
    form.locator("#date_from").fill((today - timedelta(days=7)).isoformat())
    form.locator("#date_to").fill(today.isoformat())
    form.locator("input[name=agents][value=agent]").check()
    form.locator("#quota_per_agent").fill("5")
    form.locator("#seed").fill("20241123")
    shot(page, "qa-plan-new")
    form.locator("button[type=submit]").click()

    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main h1")).to_have_text("近一周抽检（E2E）")
    shot(page, "qa-plan-preview")
    page.locator("main form[action$='/draw'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    sample = page.locator("main table", has=page.locator("td", has_text=tickets["complaint"]))
    expect(sample).to_contain_text(tickets["invoice"])
    expect(page.locator("main form[action$='/draw']")).to_have_count(0)  # drawn once, for good
    shot(page, "qa-plan-drawn")


def qa_scores_the_complaint(page, tickets: dict[str, str]) -> str:
    """From the queue, score the complaint conversation on the default scorecard; returns the score shown."""
    page.locator("header nav.mainnav a[href='/qa/queue']").click()
    row = page.locator("main table tbody tr", has_text=tickets["complaint"])
    expect(row).to_have_count(1)
    shot(page, "qa-queue")
    row.locator("a.button").click()
    expect(page.locator("main h1")).to_contain_text(tickets["complaint"])

    criteria = page.locator("form#qa-evaluation .qa-criterion")
    expect(criteria.first).to_be_visible()
    count = criteria.count()
    assert count >= 5, f"the default scorecard has {count} criteria"
    for index in range(count):
        criterion = criteria.nth(index)
        best = criterion.get_attribute("data-max")
        criterion.locator(f"input[type=radio][value='{best}']").check()
    # One weakness, with a comment and quoted evidence, so the score is not a plain 100.
    first = criteria.first
    lowest = first.get_attribute("data-min")
    first.locator(f"input[type=radio][value='{lowest}']").check()
    first.locator("summary").click()
    first.locator("textarea[name^=comment_]").fill("客户催促时没有安抚情绪")
    first.locator("textarea[name^=evidence_]").fill("快点，我要投诉")
    page.locator("form#qa-evaluation textarea[name=comment]").fill("整体处理及时，但需注意安抚客户情绪。")
    live = page.locator("#qa-live-score")
    expect(live).not_to_have_text("—")
    preview = live.inner_text().strip()
    shot(page, "qa-evaluate")

    page.locator("form#qa-evaluation #submit_evaluation").click()
    expect(page.locator(".flash-success")).to_be_visible()
    total = page.locator("main .qa-total b")
    expect(total).not_to_have_text("—")
    score = total.inner_text().strip()
    assert score == preview, f"the page previewed {preview}, the server saved {score}"
    assert float(score) < 100, score  # the weak criterion counts
    expect(page.locator("main")).to_contain_text("客户催促时没有安抚情绪")
    shot(page, "qa-evaluation")
    return score


# What the QA journey produced, for the journeys that continue from it (they redo it when run alone).
_scored: dict[str, object] = {}


def scored_evaluation(open_page, tmp_path) -> dict[str, object]:
    if not _scored:
        page = open_page("qa")
        tickets = qa_imports_conversations(page, tmp_path)
        qa_draws_a_sample(page, tickets)
        score = qa_scores_the_complaint(page, tickets)
        _scored.update(tickets=tickets, score=score, url=page.url)
    return _scored


def test_qa_imports_draws_a_sample_and_scores_a_conversation(open_page, tmp_path):
    assert not _scored, "this journey runs first in its module"
    scored_evaluation(open_page, tmp_path)


def test_agent_disputes_and_lead_adjusts_the_score(open_page, tmp_path):
    scored = scored_evaluation(open_page, tmp_path)
    ticket = scored["tickets"]["complaint"]
    original = scored["score"]

    agent = open_page("agent")
    agent.locator("header nav.mainnav a[href='/qa/my']").click()
    row = agent.locator("main table tbody tr", has_text=ticket)
    expect(row).to_contain_text(original)
    shot(agent, "agent-my-evaluations")
    row.locator("a.button").click()
    expect(agent.locator("main h1")).to_contain_text(ticket)
    expect(agent.locator("main .qa-total b")).to_have_text(original)
    shot(agent, "agent-evaluation-feedback")

    dispute = agent.locator("main form.loop-dispute-form")
    dispute.locator("input[name=criteria]").first.check()
    dispute.locator("textarea[name=reason]").fill(
        "我已使用规范问候语，见会话第二句“您好，我马上帮您查询物流信息”。"
    )
    dispute.locator("button[type=submit]").click()
    expect(agent.locator(".flash-success")).to_be_visible()
    expect(agent.locator("main .status-disputed").first).to_be_visible()
    expect(agent.locator("main form.loop-dispute-form")).to_have_count(0)
    shot(agent, "agent-disputed")

    lead = open_page("lead")
    lead.locator("header nav.mainnav a[href='/qa/disputes']").click()
    open_row = lead.locator("main table tbody tr", has_text=ticket)
    expect(open_row).to_contain_text("我已使用规范问候语")
    shot(lead, "lead-disputes")
    open_row.locator("a.button").click()
    resolve = lead.locator("main form[action$='/resolve']")
    resolve.locator("input[name=outcome][value=adjusted]").check()
    first_rating = resolve.locator("select[name^=rating_]").first
    best = first_rating.locator("option").first.get_attribute("value")  # highest level first
    first_rating.select_option(best)
    resolve.locator("textarea[name=comment]").fill("复核录音，问候语规范，调整该项评分。")
    shot(lead, "lead-arbitrate")
    resolve.locator("button[type=submit]").click()
    expect(lead.locator(".flash-success")).to_be_visible()
    adjusted = lead.locator("main .qa-total b")
    expect(adjusted).not_to_have_text(original)
    new_score = adjusted.inner_text().strip()
    assert float(new_score) > float(original), (original, new_score)
    history = lead.locator("main table", has=lead.locator("td", has_text="复核录音"))
    expect(history).to_contain_text(original)  # the original score stays in the history
    expect(history).to_contain_text(new_score)
    shot(lead, "lead-dispute-resolved")

    # The agent sees the outcome; the ticket page gathers conversation and evaluation.
    agent.reload()
    expect(agent.locator("main .qa-total b")).to_have_text(new_score)
    expect(agent.locator("main .status-adjusted").first).to_be_visible()
    agent.locator("main h1 a", has_text=ticket).click()
    expect(agent).to_have_url(f"/tickets/{ticket}")
    expect(agent.locator("main table").first).to_contain_text(USERS["agent"].display_name)
    expect(agent.locator("main a", has_text=re.compile(r"^\d+$"))).to_have_count(1)
    shot(agent, "ticket-page")


def test_lead_reads_the_reports_and_the_bulletin(open_page, tmp_path):
    scored_evaluation(open_page, tmp_path)
    today = datetime.now(CENTRE_TZ).date()
    lead = open_page("lead")
    lead.locator("header nav.mainnav a[href='/qa/reports']").click()
    filters = lead.locator("main form.filters")
    filters.locator("input[name=from]").fill((today - timedelta(days=7)).isoformat())
    filters.locator("input[name=to]").fill(today.isoformat())
    filters.locator("select[name=group_by]").select_option("agent")
    filters.locator("button[type=submit]").click()
    expect(lead).to_have_url(re.compile(r"/qa/reports\?"))
    iqs = lead.locator("main .loop-kpis .tile b").first
    expect(iqs).to_have_text(re.compile(r"^\d+(\.\d)?$"))
    expect(lead.locator("main #table-iqs table")).to_contain_text(USERS["agent"].display_name)
    expect(lead.locator("main #table-iqs svg").first).to_be_visible()  # the chart rendered
    shot(lead, "lead-reports")

    with lead.expect_download() as download:
        lead.locator("main .loop-export a.button").click()
    assert download.value.suggested_filename.endswith(".xlsx"), download.value.suggested_filename

    filters.locator("select[name=group_by]").select_option("channel")
    filters.locator("button[type=submit]").click()
    expect(lead.locator("main #table-iqs table tbody tr").first).to_be_visible()
    shot(lead, "lead-reports-by-channel")

    lead.locator("header nav.mainnav a[href^='/qa/reports/bulletin']").click()
    expect(lead.locator("main .loop-bulletin h1")).to_be_visible()
    shot(lead, "lead-quality-bulletin")


def test_qa_pages_on_a_phone(open_page, tmp_path):
    scored = scored_evaluation(open_page, tmp_path)
    page = open_page("qa", phone=True)
    page.goto(scored["url"])
    expect(page.locator("main .qa-total b")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot(page, "phone-qa-evaluation")
    page.locator("header label.nav-toggle-label").click()
    page.locator("header nav.mainnav a[href='/qa/queue']").click()
    expect(page.locator("main h1")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot(page, "phone-qa-queue")
