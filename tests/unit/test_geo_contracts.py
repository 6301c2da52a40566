"""Which contract may take a referral, where and when; overlaps; gaps after a contract ends."""

from __future__ import annotations

import datetime as dt

from geo.contracts import (
    ContractGap,
    ContractTerm,
    candidates,
    check_days,
    choose,
    contract_gaps,
    overlapping,
)

DAY = dt.date(2026, 3, 1)
NOORD = ("BU01", "WK01", "GM01")
ZUID = ("BU02", "WK02", "GM01")
NO_BUURT = (None, None, "GM01")
PARENTS = {"BU01": "WK01", "BU02": "WK02", "WK01": "GM01", "WK02": "GM01"}


def term(key: str, partner: str = "a", *, domains: tuple[str, ...] = ("wmo",),
         areas: tuple[str, ...] = (), starts_on: dt.date = dt.date(2025, 1, 1),
         ends_on: dt.date | None = None, product: str = "individuele_begeleiding",
         accepting: bool = True, accepts_again_on: dt.date | None = None) -> ContractTerm:
    return ContractTerm(key=key, partner=partner, product=product, domains=domains,
                        areas=areas, starts_on=starts_on, ends_on=ends_on, accepting=accepting,
                        accepts_again_on=accepts_again_on)


def keys(found: list[ContractTerm]) -> list[str]:
    return [item.key for item in found]


def test_a_contract_runs_from_its_first_to_its_last_day_both_included():
    running = term("k", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    assert not running.live_on(dt.date(2025, 12, 31))
    assert running.live_on(dt.date(2026, 1, 1))
    assert running.live_on(dt.date(2026, 12, 31))
    assert not running.live_on(dt.date(2027, 1, 1))
    assert term("open").live_on(dt.date(2099, 1, 1))


def test_only_live_contracts_for_the_domain_that_cover_the_place_are_candidates():
    terms = [term("ended", "a", ends_on=DAY - dt.timedelta(days=1)),
             term("later", "b", starts_on=DAY + dt.timedelta(days=1)),
             term("other-domain", "c", domains=("schulden",)),
             term("zuid", "d", areas=("WK02",)),
             term("noord", "e", areas=("BU01",))]
    assert keys(candidates(terms, "wmo", NOORD, DAY)) == ["noord"]
    assert keys(candidates(terms, "wmo", ZUID, DAY)) == ["zuid"]


def test_the_preferred_partner_comes_first_then_the_closest_area_then_the_oldest():
    terms = [term("city", "a"), term("wijk", "b", areas=("WK01",)),
             term("buurt", "c", areas=("BU01",)),
             term("old-city", "d", starts_on=dt.date(2020, 1, 1))]
    assert keys(candidates(terms, "wmo", NOORD, DAY)) == ["buurt", "wijk", "old-city", "city"]
    assert keys(candidates(terms, "wmo", NOORD, DAY, preferred="a"))[0] == "city"
    assert keys(candidates(terms, "wmo", NOORD, DAY, excluded={"buurt"}))[0] == "wijk"


def test_one_candidate_per_partner_and_without_a_buurt_only_the_whole_municipality():
    terms = [term("a-wijk", "a", areas=("WK01",)), term("a-city", "a"),
             term("b-gemeente", "b", areas=("GM01",))]
    assert keys(candidates(terms, "wmo", NOORD, DAY)) == ["a-wijk", "b-gemeente"]
    assert keys(candidates(terms, "wmo", NO_BUURT, DAY)) == ["b-gemeente", "a-city"]


def test_the_same_partner_and_product_in_the_same_area_and_time_overlap():
    base = term("base", "a", areas=("WK01",), ends_on=dt.date(2026, 12, 31))
    others = [
        term("same-buurt-inside", "a", areas=("BU01",)),          # BU01 lies in WK01
        term("whole-city", "a", starts_on=dt.date(2026, 6, 1)),    # the city holds WK01
        term("other-wijk", "a", areas=("WK02",)),
        term("after", "a", areas=("WK01",), starts_on=dt.date(2027, 1, 1)),
        term("other-partner", "b", areas=("WK01",)),
        term("other-product", "a", areas=("WK01",), product="dagbegeleiding"),
    ]
    assert keys(overlapping(base, others, PARENTS)) == ["same-buurt-inside", "whole-city"]
    assert keys(overlapping(base, [base])) == []


def test_the_days_checked_are_the_day_and_the_day_after_every_later_end():
    terms = [term("a", ends_on=dt.date(2026, 6, 30)), term("b", ends_on=dt.date(2025, 1, 1)),
             term("c")]
    assert check_days(terms, DAY) == [DAY, dt.date(2026, 7, 1)]


def test_a_gap_is_reported_from_the_first_day_after_the_last_contract_ends():
    terms = [term("noord", "a", areas=("WK01",), ends_on=dt.date(2026, 6, 30)),
             term("city", "b", ends_on=dt.date(2026, 9, 30))]
    needs = [("BU01", NOORD, "wmo"), ("BU02", ZUID, "wmo"), (None, NO_BUURT, "wmo"),
             ("BU01", NOORD, "schulden")]
    assert contract_gaps(needs, terms, DAY) == [
        ContractGap(dt.date(2026, 3, 1), "schulden", "BU01"),
        ContractGap(dt.date(2026, 10, 1), "wmo", None),
        ContractGap(dt.date(2026, 10, 1), "wmo", "BU01"),
        ContractGap(dt.date(2026, 10, 1), "wmo", "BU02"),
    ]
    # A successor from the day after closes the gap.
    successor = term("next", "c", starts_on=dt.date(2026, 10, 1))
    assert [gap.domain for gap in contract_gaps(needs, [*terms, successor], DAY)] == [
        "schulden"]


# --- Capacity --------------------------------------------------------------------------------

def test_a_full_service_has_room_again_from_the_day_it_named_and_not_before():
    full = term("k", accepting=False, accepts_again_on=DAY)
    assert not full.has_room_on(DAY - dt.timedelta(days=1))
    assert full.has_room_on(DAY)
    assert full.room_expected_on(DAY - dt.timedelta(days=3)) == DAY
    unknown = term("u", accepting=False)
    assert not unknown.has_room_on(dt.date(2099, 1, 1))
    assert unknown.room_expected_on(DAY) is None
    assert term("open").room_expected_on(DAY) == DAY


def test_a_full_preferred_partner_gives_way_to_the_next_with_room():
    terms = [term("pref", "a", accepting=False), term("next", "b"), term("third", "c")]
    chosen = choose(terms, "wmo", NOORD, DAY, preferred="a")
    assert chosen.contract is not None and chosen.contract.key == "next"
    assert not chosen.held


def test_with_everybody_full_the_referral_is_held_where_room_comes_first():
    later = DAY + dt.timedelta(days=30)
    sooner = DAY + dt.timedelta(days=10)
    terms = [term("pref", "a", accepting=False),
             term("later", "b", accepting=False, accepts_again_on=later),
             term("sooner", "c", accepting=False, accepts_again_on=sooner)]
    chosen = choose(terms, "wmo", NOORD, DAY, preferred="a")
    assert chosen.held and chosen.contract is not None and chosen.contract.key == "sooner"
    # Nobody named a day: it waits at the best candidate, the preferred one.
    nobody_knows = [term("pref", "a", accepting=False), term("b", "b", accepting=False)]
    chosen = choose(nobody_knows, "wmo", NOORD, DAY, preferred="a")
    assert chosen.held and chosen.contract is not None and chosen.contract.key == "pref"
    # On the day the sooner one has room again, it is referred there, not held.
    assert not choose(terms, "wmo", NOORD, sooner, preferred="a").held


def test_without_a_live_contract_there_is_no_choice_at_all():
    chosen = choose([term("ended", ends_on=DAY - dt.timedelta(days=1))], "wmo", NOORD, DAY)
    assert chosen.contract is None and not chosen.held
