"""An image added to a published article in the browser goes through review: the uploader sees it in their
pending edit, other agents' live page does not show it, the lead's review page says it is new, and it is live
once the lead approves. Screenshots in Chinese and English (the language is switched back afterwards, as it
is saved on the account)."""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import shot

pytestmark = pytest.mark.e2e

TITLE = "退款到账时间说明"
EXTERNAL_ID = "e2e-image-review"
IMAGE_NAME = "退款进度截图.png"


def _png(width: int = 240, height: int = 140) -> bytes:
    """A real PNG (a blue bar on white) so the browser draws the thumbnail."""
    rows = b"".join(
        b"\x00" + b"".join(b"\x0b\x69\xa3" if 40 <= y < 100 else b"\xff\xff\xff" for _x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@contextmanager
def english(page: Page) -> Iterator[None]:
    page.locator("header .langswitch button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    try:
        yield
    finally:
        page.locator("header .langswitch button[value=zh_CN]").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def _publish_article(portal_server) -> None:
    line = {
        "external_id": EXTERNAL_ID,
        "title": TITLE,
        "scenario": "客户申请退款后询问钱什么时候到账。",
        "solution": "1. 在订单详情查看退款进度。\n2. 原路退回一般 1-3 个工作日到账。",
        "notes": "",
        "category": "咨询 › 售后政策咨询",
        "tags": ["退款"],
        "tickets": [],
    }
    path = portal_server.instance_dir / "image-review.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    portal_server.cli("import-articles", str(path), "--publish")


def test_an_image_added_to_a_published_article_is_live_only_after_review(open_page, portal_server):
    _publish_article(portal_server)
    uploader, reader, lead = open_page("agent2"), open_page("agent"), open_page("lead")

    uploader.goto("/articles/")
    uploader.locator("main a", has_text=TITLE).first.click()
    expect(uploader.locator("main h1.kb-title")).to_have_text(TITLE)
    article_url = uploader.url.split("?")[0]
    files = uploader.locator("main section.kb-files")
    expect(files.locator(".kb-upload-note")).to_be_visible()
    files.locator("input[type=file]").set_input_files(
        files=[{"name": IMAGE_NAME, "mimeType": "image/png", "buffer": _png()}]
    )
    files.locator("button[type=submit]").click()
    expect(uploader).to_have_url(re.compile(r"pending=1"))
    expect(uploader.locator(".flash-success")).to_contain_text("组长审核通过后")
    expect(uploader.locator("main section.kb-files img.kb-thumb")).to_have_count(1)
    expect(uploader.locator("main section.kb-files .kb-image-mark")).to_have_text("待审核上线")
    shot(uploader, "a-agent-pending-image-zh")
    with english(uploader):
        shot(uploader, "a-agent-pending-image-en", check_chinese=False)
    uploader.locator("main .kb-pending form[action$='/submit'] button").click()
    expect(uploader.locator(".flash-success")).to_be_visible()

    # Another agent reads the live text: no new image yet.
    reader.goto(article_url)
    expect(reader.locator("main h1.kb-title")).to_have_text(TITLE)
    expect(reader.locator("main section.kb-files img")).to_have_count(0)
    shot(reader, "a-reader-live-before-approval-zh")

    # The lead's review page names the added image.
    lead.goto(article_url + "/review")
    images = lead.locator("main section.kb-review-images")
    expect(images.locator(".kb-image-added")).to_have_count(1)
    expect(images.locator(".kb-image-added")).to_contain_text(IMAGE_NAME)
    expect(images).to_contain_text("新增")
    expect(lead.locator("main")).to_contain_text("文字没有改动")
    expect(images.locator("img.kb-thumb")).to_have_js_property("naturalWidth", 240)
    shot(lead, "a-lead-review-image-zh")
    with english(lead):
        expect(lead.locator("main section.kb-review-images")).to_contain_text("Added")
        shot(lead, "a-lead-review-image-en", check_chinese=False)
    lead.locator("main form[action$='/approve'] button").click()
    expect(lead.locator(".flash-success")).to_be_visible()

    # Live for every reader now.
    reader.goto(article_url)
    expect(reader.locator("main section.kb-files img.kb-thumb")).to_have_count(1)
    expect(reader.locator("main section.kb-files img.kb-thumb")).to_have_js_property("naturalWidth", 240)
    expect(reader.locator("main section.kb-files .kb-image-mark")).to_have_count(0)
    shot(reader, "a-reader-live-after-approval-zh")
    with english(reader):
        shot(reader, "a-reader-live-after-approval-en", check_chinese=False)
