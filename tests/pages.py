"""The check every HTML page of the test client passes: a title, a ``lang``, unique ids and
a label for every input (after notifications-admin's ``client_request``).

``tests/conftest.py`` runs it on every HTML page the Flask test client renders; a test whose
page must break these rules (one rendering a fragment, say) opts out with
``@pytest.mark.unchecked_pages``, or a client with ``client.check_pages = False``.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labels_for: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self.html_lang: str | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "label" and attributes.get("for"):
            self.labels_for.add(str(attributes["for"]))
        if tag in {"input", "select", "textarea"} and attributes.get("type") not in {
            "hidden", "submit"
        }:
            self.inputs.append(attributes)
        if tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def check_page(html: str) -> _PageParser:
    """Every rendered page: a title, a lang, unique ids, a label for every input."""
    parser = _PageParser()
    parser.feed(html)
    assert parser.title.strip(), "page has no title"
    assert parser.html_lang, "page has no lang"
    duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"
    for field in parser.inputs:
        assert field.get("id") in parser.labels_for, f"input without label: {field}"
    return parser
