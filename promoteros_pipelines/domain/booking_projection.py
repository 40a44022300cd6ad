"""The money side of a booking recommendation: attendance, gross, costs, the artist's fee,
break-even and margin, each with the assumption that produced it.

Pure arithmetic, no I/O: ``defs/booking/opportunities.py`` gathers the inputs (the demand
model's expected sell-through, the venue's price and costs) and stores what ``project``
returns as the opportunity's ``projection`` (jsonb), so the numbers a manager reads, the
offer PDF and the weekly report all come from one calculation.

Attendance quantiles. The demand model predicts one number, a show's final sell-through
share. Its spread comes from the model's own held-out mean absolute error (MAE): we treat the
error as normal with that MAE, so its standard deviation is MAE x sqrt(pi/2) and P10/P90 sit
1.2816 standard deviations either side of the prediction (about 1.61 x MAE), clipped to the
room. That is an approximation and the projection says so in its ``assumptions``.

The fee rule (``FeeRule``): a guarantee between 40 % and 60 % of the net box office at P10
attendance (so a weak night still covers it), and a back-end split: the artist also takes
70 % of whatever the night nets above the guarantee. Break-even is the attendance at which
ticket income covers the venue's costs plus the middle guarantee.
"""

import math
from dataclasses import dataclass

Z_90 = 1.2816  # the standard normal's 90th percentile
MAE_TO_SIGMA = math.sqrt(math.pi / 2)  # a normal error's sd from its mean absolute error


@dataclass(frozen=True)
class FeeRule:
    """How the suggested artist fee is derived from the projection."""

    guarantee_low: float = 0.4  # share of the net box office at P10
    guarantee_high: float = 0.6
    artist_split: float = 0.7  # the artist's share of the net above the guarantee

    def describe(self) -> str:
        return (
            f"guarantee {self.guarantee_low:.0%}-{self.guarantee_high:.0%} of the net box "
            f"office at P10 attendance, plus {self.artist_split:.0%} to the artist of the "
            "net above the guarantee"
        )


@dataclass(frozen=True)
class ProjectionInputs:
    """What one projection needs; shares are fractions of ``capacity``."""

    capacity: int
    ticket_price: float
    fixed_cost: float
    cost_per_head: float
    expected_share: float  # P50 sell-through
    share_mae: float  # the demand estimate's mean absolute error, in share units
    demand_source: str  # where expected_share came from, in words
    currency: str = ""


def attendance_quantiles(inputs: ProjectionInputs) -> dict[str, int]:
    """P10/P50/P90 attendance: the expected share +- 1.2816 sd (sd from the MAE), clipped to
    [0, capacity] and rounded to whole people."""
    sigma = max(0.0, inputs.share_mae) * MAE_TO_SIGMA
    out = {}
    for name, z in (("p10", -Z_90), ("p50", 0.0), ("p90", Z_90)):
        share = min(1.0, max(0.0, inputs.expected_share + z * sigma))
        out[name] = round(share * inputs.capacity)
    return out


def net_box_office(inputs: ProjectionInputs, attendance: float) -> float:
    """Ticket income minus the venue's costs at ``attendance`` (before the artist's fee)."""
    return attendance * (inputs.ticket_price - inputs.cost_per_head) - inputs.fixed_cost


def break_even_attendance(inputs: ProjectionInputs, guarantee: float) -> int | None:
    """The fewest tickets at which income covers the fixed cost, the per-head cost and the
    guarantee; None when a ticket does not even cover its own per-head cost."""
    per_head = inputs.ticket_price - inputs.cost_per_head
    if per_head <= 0:
        return None
    return math.ceil(round((inputs.fixed_cost + guarantee) / per_head, 9))


def artist_fee(net: float, guarantee: float, rule: FeeRule) -> float:
    """The guarantee, plus the artist's split of the net above it."""
    return guarantee + rule.artist_split * max(0.0, net - guarantee)


def _round_money(value: float) -> float:
    return round(value, 2)


def project(inputs: ProjectionInputs, rule: FeeRule | None = None) -> dict:
    """The projection as stored and shown: attendance, gross, costs, fee, break-even and the
    promoter's margin at P10/P50/P90, with every assumption in words."""
    rule = rule or FeeRule()
    attendance = attendance_quantiles(inputs)
    net_p10 = max(0.0, net_box_office(inputs, attendance["p10"]))
    low = round(net_p10 * rule.guarantee_low, -2)
    high = round(net_p10 * rule.guarantee_high, -2)
    guarantee = (low + high) / 2
    scenarios = {}
    for name, people in attendance.items():
        gross = people * inputs.ticket_price
        costs = inputs.fixed_cost + inputs.cost_per_head * people
        net = gross - costs
        fee = artist_fee(net, guarantee, rule)
        margin = net - fee
        scenarios[name] = {
            "attendance": people,
            "gross": _round_money(gross),
            "venue_costs": _round_money(costs),
            "artist_fee": _round_money(fee),
            "margin": _round_money(margin),
            "margin_share": round(margin / gross, 4) if gross else None,
        }
    return {
        "currency": inputs.currency,
        "capacity": inputs.capacity,
        "ticket_price": inputs.ticket_price,
        "fixed_cost": inputs.fixed_cost,
        "cost_per_head": inputs.cost_per_head,
        "expected_share": round(inputs.expected_share, 4),
        "share_mae": round(inputs.share_mae, 4),
        "scenarios": scenarios,
        "fee": {
            "guarantee_low": low,
            "guarantee_high": high,
            "guarantee": guarantee,
            "artist_split": rule.artist_split,
            "rule": rule.describe(),
        },
        "break_even_attendance": break_even_attendance(inputs, guarantee),
        "expected_gross": scenarios["p50"]["gross"],
        "assumptions": [
            f"Expected sell-through {inputs.expected_share:.0%} of {inputs.capacity:,} "
            f"({inputs.demand_source}).",
            "P10 and P90 attendance: the expected share minus and plus 1.28 standard "
            f"deviations of its error, the standard deviation taken as sqrt(pi/2) x the mean "
            f"absolute error ({inputs.share_mae:.0%} of capacity); a normal-error "
            "approximation, clipped to the room.",
            f"Ticket price {inputs.ticket_price:,.2f} {inputs.currency} (the venue's typical "
            "price); gross = attendance x ticket price.",
            f"Venue costs = fixed {inputs.fixed_cost:,.0f} + {inputs.cost_per_head:,.2f} per "
            "head (the venue's reference costs).",
            f"Artist fee: {rule.describe()}.",
            "Break-even: the attendance at which ticket income covers the venue's costs and "
            "the middle guarantee. Margin: what is left for us after costs and the fee.",
        ],
    }


def p10_margin_share_of_fee(projection: dict) -> float | None:
    """The P10 margin as a share of the fee (what the offer auto-approval rule reads)."""
    p10 = projection.get("scenarios", {}).get("p10")
    if not p10 or not p10.get("artist_fee"):
        return None
    return p10["margin"] / p10["artist_fee"]
