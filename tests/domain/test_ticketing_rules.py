"""Milestones and refunds on hand-built cumulative sales curves (domain/ticketing.py)."""

import datetime as dt

import polars as pl
import pytest

from promoteros_pipelines.domain import ticketing as rules

T0 = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)


def curve(show: str, counts: list[int], hours: list[int] | None = None) -> pl.DataFrame:
    hours = hours or list(range(len(counts)))
    return pl.DataFrame(
        {
            "show_id": [show] * len(counts),
            "observed_at": [T0 + dt.timedelta(hours=h) for h in hours],
            "tickets_sold": counts,
        },
        schema=rules.CURVE_SCHEMA,
    )


def reached(frame: pl.DataFrame, capacity: int) -> dict[int, tuple[dt.datetime, int]]:
    caps = pl.DataFrame({"show_id": [frame["show_id"][0]], "capacity": [capacity]})
    out = rules.milestones_reached(frame, caps)
    return {row["milestone"]: (row["reached_at"], row["tickets_sold"]) for row in out.to_dicts()}


def test_49_9_percent_is_not_50_and_50_0_is():
    assert reached(curve("a", [499]), 1000) == {}
    assert set(reached(curve("a", [499, 500]), 1000)) == {50}
    # 2 of 3 is 66.7 %: 50 yes, 75 no; 1 short of capacity is not sold out
    assert set(reached(curve("b", [2]), 3)) == {50}
    assert set(reached(curve("c", [999]), 1000)) == {50, 75, 90}
    assert set(reached(curve("c", [1000]), 1000)) == {50, 75, 90, 100}


def test_a_jump_reaches_several_at_the_same_observation():
    got = reached(curve("a", [400, 950]), 1000)
    assert set(got) == {50, 75, 90}
    assert {at for at, _ in got.values()} == {T0 + dt.timedelta(hours=1)}


def test_reached_at_is_the_first_observation_in_time_not_in_arrival_order():
    # arrival order: hour 5 (800) first, then hour 2 (600) late
    got = reached(curve("a", [800, 600], hours=[5, 2]), 1000)
    assert got[50] == (T0 + dt.timedelta(hours=2), 600)
    assert got[75] == (T0 + dt.timedelta(hours=5), 800)


def test_a_refund_dip_is_flagged_with_the_peak_before_and_keeps_the_milestone():
    flagged = rules.flag_refunds(curve("a", [520, 480, 530], hours=[0, 1, 2]))
    assert flagged["refund"].to_list() == [False, True, False]
    assert flagged["peak_before"].to_list() == [None, 520, 520]
    assert reached(curve("a", [520, 480, 530]), 1000)[50] == (T0, 520)


def test_new_milestones_leaves_out_those_filed():
    caps = pl.DataFrame({"show_id": ["a"], "capacity": [100]})
    got = rules.milestones_reached(curve("a", [95]), caps)
    fresh = rules.new_milestones(got, [("a", 50)])
    assert fresh["milestone"].to_list() == [75, 90]


def test_no_capacity_is_refused_naming_the_show():
    with pytest.raises(rules.ShowRefused, match="show 'tm-77' has no capacity"):
        rules.require_capacity("tm-77", None)
    assert rules.require_capacity("tm-77", 500) == 500


def test_subjects_read_like_a_person_wrote_them():
    show = rules.ShowFacts("s1", 1000, "Nova Lights", "The Leadmill", dt.date(2026, 12, 12))
    assert rules.milestone_subject(show, [90, 50, 75], 955) == (
        "Nova Lights at The Leadmill on Sat 12 Dec 2026: 50 %, 75 % and 90 % sold (955 of 1,000)"
    )
    assert rules.milestone_subject(show, [100], 1000).endswith(": sold out (1,000 of 1,000)")
    bare = rules.ShowFacts("s2", 200)
    assert rules.milestone_subject(bare, [50], 100) == "Show s2: 50 % sold (100 of 200)"


def test_a_risk_subject_says_today_not_zero_days_out():
    show = rules.ShowFacts("s1", 1000, "Nova Lights", "The Leadmill", dt.date(2026, 12, 12))
    subject = rules.risk_subject(show, 0.41, 12, 0.6)
    assert subject.endswith(": forecast 41% sold by the show, 12 days out (below 60%)")
    assert rules.risk_subject(show, 0.41, 1, 0.6).endswith(", 1 day out (below 60%)")
    assert rules.risk_subject(show, 0.01, 0, 0.6).endswith(
        ": forecast 1% sold by the show, the show is today (below 60%)"
    )


def test_status_follows_the_latest_count_but_not_for_played_or_cancelled():
    assert rules.show_status("on_sale", 1000, 1000) == "sold_out"
    assert rules.show_status("sold_out", 990, 1000) == "on_sale"  # refunds re-open sales
    assert rules.show_status("cancelled", 1000, 1000) == "cancelled"
    assert rules.show_status(None, None, 10) == "announced"


def test_a_show_observed_after_its_date_has_been_played():
    after = dt.datetime(2026, 12, 13, 9, tzinfo=dt.UTC)
    assert rules.show_status("on_sale", 400, 1000, dt.date(2026, 12, 12), after) == "played"
    assert rules.show_status("sold_out", 1000, 1000, dt.date(2026, 12, 12), after) == "played"
    same_day = dt.datetime(2026, 12, 12, 19, tzinfo=dt.UTC)
    assert rules.show_status("on_sale", 400, 1000, dt.date(2026, 12, 12), same_day) == "on_sale"
    assert rules.show_status("cancelled", 400, 1000, dt.date(2026, 12, 12), after) == "cancelled"
