"""The test client checks every HTML page it gets (tests/pages.py), unless a test opts out."""

from __future__ import annotations

import pytest

BROKEN = '<!doctype html><html><head></head><body><input id="x"><p id="x"></p></body></html>'


@pytest.fixture
def broken(app):
    app.add_url_rule("/test/broken", "test_broken", lambda: BROKEN)
    app.add_url_rule("/test/broken.json", "test_broken_json",
                     lambda: ({"html": BROKEN}, 200))
    app.add_url_rule("/test/away", "test_away",
                     lambda: (BROKEN, 302, {"Location": "/test/broken"}))
    return app


def test_a_page_without_title_lang_unique_ids_or_labels_fails_the_test_that_renders_it(
        broken):
    with pytest.raises(AssertionError, match=r"200 /test/broken: page has no title"):
        broken.test_client().get("/test/broken")


def test_json_redirects_and_head_requests_are_not_pages(broken):
    client = broken.test_client()
    assert client.get("/test/broken.json").status_code == 200
    assert client.get("/test/away").status_code == 302
    assert client.head("/test/broken").status_code == 200
    assert client.get("/login").status_code == 200  # and a real page passes


@pytest.mark.unchecked_pages
def test_a_test_marked_unchecked_pages_gets_any_page(broken):
    assert broken.test_client().get("/test/broken").get_data(as_text=True) == BROKEN


def test_one_client_can_opt_out(broken):
    client = broken.test_client()
    client.check_pages = False
    assert client.get("/test/broken").status_code == 200
