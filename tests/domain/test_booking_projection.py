"""The booking projection on hand-worked cases."""

import pytest

from promoteros_pipelines.domain.booking_projection import (
    FeeRule,
    ProjectionInputs,
    attendance_quantiles,
    break_even_attendance,
    project,
)

# 1,000 seats at 30, fixed cost 4,000, 5 per head; the demand estimate has no spread, so
# P10 = P50 = P90 = 800 people.
ROOM = ProjectionInputs(
    capacity=1000,
    ticket_price=30.0,
    fixed_cost=4000.0,
    cost_per_head=5.0,
    expected_share=0.8,
    share_mae=0.0,
    demand_source="hand-worked",
    currency="GBP",
)


def test_break_even_on_a_hand_worked_case():
    # net at 800 people: 800 x (30 - 5) - 4,000 = 16,000; guarantee 40-60 % of it:
    # 6,400-9,600, middle 8,000; break-even: (4,000 + 8,000) / 25 = 480 tickets
    projection = project(ROOM)
    assert projection["fee"]["guarantee_low"] == 6400
    assert projection["fee"]["guarantee_high"] == 9600
    assert projection["fee"]["guarantee"] == 8000
    assert projection["break_even_attendance"] == 480
    p50 = projection["scenarios"]["p50"]
    # gross 24,000; costs 4,000 + 5 x 800 = 8,000; fee 8,000 + 70 % x (16,000 - 8,000) = 13,600
    assert (p50["gross"], p50["venue_costs"], p50["artist_fee"]) == (24000, 8000, 13600)
    assert p50["margin"] == 2400
    assert p50["margin_share"] == pytest.approx(0.1)


def test_break_even_rounds_up_to_a_whole_ticket_and_none_when_a_ticket_loses_money():
    assert break_even_attendance(ROOM, guarantee=8001) == 481
    losing = ProjectionInputs(**{**ROOM.__dict__, "cost_per_head": 30.0})
    assert break_even_attendance(losing, guarantee=0) is None


def test_quantiles_spread_from_the_mae_and_stay_inside_the_room():
    # sd = 0.1 x sqrt(pi/2) = 0.12533; 1.2816 sd = 0.16062 -> 0.5394 and 0.8606 of 1,000
    spread = ProjectionInputs(**{**ROOM.__dict__, "expected_share": 0.7, "share_mae": 0.1})
    assert attendance_quantiles(spread) == {"p10": 539, "p50": 700, "p90": 861}
    full = ProjectionInputs(**{**ROOM.__dict__, "expected_share": 0.95, "share_mae": 0.1})
    assert attendance_quantiles(full)["p90"] == 1000


def test_margin_below_break_even_is_a_loss_of_the_guarantee_not_covered():
    rule = FeeRule()
    projection = project(
        ProjectionInputs(**{**ROOM.__dict__, "expected_share": 0.7, "share_mae": 0.1}), rule
    )
    p10 = projection["scenarios"]["p10"]
    # 539 people: net 539 x 25 - 4,000 = 9,475; guarantee 40-60 % of 9,475 = 3,800-5,700
    assert projection["fee"]["guarantee"] == 4750
    assert p10["artist_fee"] == pytest.approx(4750 + 0.7 * (9475 - 4750))
    assert projection["assumptions"] and "normal-error approximation" in " ".join(
        projection["assumptions"]
    )
