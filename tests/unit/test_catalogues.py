"""The catalogues are complete: no empty or fuzzy entries, and the template is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.translations_tool import problems

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))


def test_there_are_dutch_and_english_catalogues():
    assert {path.parts[-3] for path in CATALOGUES} >= {"nl", "en"}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: p.parts[-3])
def test_a_catalogue_has_no_empty_or_fuzzy_entries(catalogue):
    assert problems(catalogue) == []


def test_the_template_holds_every_string_in_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-o", str(fresh), "--no-location", "--sort-output", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    from babel.messages.pofile import read_po

    def ids(path: Path) -> set[str]:
        with path.open("rb") as handle:
            return {str(m.id) for m in read_po(handle) if m.id}

    missing = ids(fresh) - ids(ROOT / "translations" / "messages.pot")
    assert not missing, f"run `make translations`; missing: {sorted(missing)[:10]}"


def test_every_language_shows_its_own_name_and_direction():
    from app.config import load_config
    from app.i18n import language_direction, language_name

    names = {code: language_name(code) for code in load_config({})["LANGUAGES"]}
    assert names["nl"] == "Nederlands"
    assert names["pl"] == "Polski"  # CLDR writes it lower case; a list starts with a capital
    assert names["uk"] == "Українська"
    assert language_direction("ar") == "rtl"
    assert language_direction("nl") == "ltr"


def test_a_language_babel_does_not_know_fails_loudly():
    from babel import UnknownLocaleError

    from app.i18n import language_name

    with pytest.raises(UnknownLocaleError):
        language_name("xx")
