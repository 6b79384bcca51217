"""Browsers ask every site for /favicon.ico: the portal answers with its icon instead of a 404 on every
page, and every page names its icon."""

from __future__ import annotations

from tests.factories import make_user


def test_favicon_ico_answers_with_an_icon_without_logging_in(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert r.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
    r.close()


def test_every_page_links_its_icon_and_the_icon_files_are_served(client, db, login):
    pages = [client.get("/login").get_data(as_text=True)]
    login(make_user(db, "fav_agent", ("agent",)))
    pages.append(client.get("/").get_data(as_text=True))
    pages.append(client.get("/articles/").get_data(as_text=True))
    for page in pages:
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
        assert '<link rel="icon" href="/static/favicon.ico" sizes="32x32">' in page
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    svg.close()
    ico = client.get("/static/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"
    ico.close()
