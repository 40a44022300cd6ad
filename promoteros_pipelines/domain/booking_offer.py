"""The booking workflow's rules: when a pair becomes an opportunity, which dates to propose,
what the competition looks like, what the offer says, and how its status moves.

Pure: no database, no Dagster. ``defs/booking/`` reads the inputs and writes the outcomes.

Status flow of ``booking_opportunities`` (the live ones are ``new``, ``pending_approval``,
``sent`` and ``followed_up``; the database allows one live opportunity per artist and venue):

* score >= the threshold (default 80): ``new``, and a ``booking`` alert to the venue manager;
* score > 90: an offer PDF is prepared and filed as a ``booking_offer`` approval:
  ``pending_approval``;
* approved: the offer is mailed to the artist's management: ``sent``, follow-up due 48 h later;
* 48 h after sending with no answer: one follow-up mail: ``followed_up``;
* an answer (webhook or CLI): ``accepted`` or ``declined``; a counter-offer is recorded and
  keeps the opportunity live for the people to negotiate;
* the approval rejected: ``declined`` (we declined to make the offer); the approval expired
  (nobody decided in 48 h): ``expired``; the proposed window passed: ``expired``.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

DEFAULT_THRESHOLD = 80.0
OFFER_THRESHOLD = 90.0  # strictly above: an offer document goes to the artist's management
FOLLOW_UP_AFTER = timedelta(hours=48)
LIVE = ("new", "pending_approval", "sent", "followed_up")
CLOSED = ("accepted", "declined", "expired")
STATUSES = (*LIVE, *CLOSED)
RESPONSES = ("accepted", "declined", "counter")
EARLIEST_LEAD = timedelta(days=45)  # time to announce and sell a show
HORIZON = timedelta(days=240)
WINDOW_HALF_WIDTH = 3  # days either side of the anchor date
DEFAULT_WINDOW = 7  # days, without routing evidence
ROUTING_SLACK = 4  # days between a nearby tour date and our date that still make it cheap

RIDER_BASICS = (
    "Backline: house PA and monitors, drum riser; the artist brings their own instruments.",
    "Hospitality: dressing room, hot meal and soft drinks for up to 8 touring members.",
    "Technical: load-in from 15:00, soundcheck 17:00-18:00, curfew 23:00.",
    "Guest list: up to 10 names; 4 parking places for the touring vehicles.",
)
MARKETING_COMMITMENTS = (
    "Announcement across our channels and the venue's mailing list within 7 days of signature.",
    "Paid social campaign in the venue's market for the 4 weeks before the show.",
    "Poster run in the city and listings with the main ticket outlets.",
    "Weekly ticket-sales reports to the artist's management until the show.",
)


def is_opportunity(score: float, threshold: float = DEFAULT_THRESHOLD) -> bool:
    return score >= threshold


def wants_offer(score: float) -> bool:
    """Only the strongest pairs get an offer document without a person asking for one."""
    return score > OFFER_THRESHOLD


def _open_run(anchor: date, booked: set[date], start: date, end: date) -> tuple[date, date]:
    """The open days around ``anchor`` (no show booked), at most WINDOW_HALF_WIDTH each side."""
    first = last = anchor
    for _ in range(WINDOW_HALF_WIDTH):
        before = first - timedelta(days=1)
        if before < start or before in booked:
            break
        first = before
    for _ in range(WINDOW_HALF_WIDTH):
        after = last + timedelta(days=1)
        if after > end or after in booked:
            break
        last = after
    return first, last


@dataclass(frozen=True)
class Window:
    start: date
    end: date
    reason: str


def proposed_window(
    today: date,
    booked: Iterable[date],
    nearby_tour_dates: Sequence[date] = (),
) -> Window | None:
    """An open date range at the venue (no show booked on any day of it).

    Anchored on the earliest open day within ROUTING_SLACK days of a nearby tour date (the
    artist is already in the region, so travel is cheap), else the first open run after the
    earliest lead time. None when nothing is open before the horizon.
    """
    taken = set(booked)
    start, end = today + EARLIEST_LEAD, today + HORIZON
    for tour_date in sorted(nearby_tour_dates):
        for offset in sorted(range(-ROUTING_SLACK, ROUTING_SLACK + 1), key=abs):
            day = tour_date + timedelta(days=offset)
            if start <= day <= end and day not in taken:
                first, last = _open_run(day, taken, start, end)
                return Window(first, last, f"the artist plays nearby on {tour_date.isoformat()}")
    day = start
    while day <= end:
        if day not in taken:
            last = day
            while (
                last + timedelta(days=1) <= end
                and last + timedelta(days=1) not in taken
                and (last - day).days + 1 < DEFAULT_WINDOW
            ):
                last += timedelta(days=1)
            return Window(day, last, "the first open dates after our usual on-sale lead time")
        day += timedelta(days=1)
    return None


def competition_summary(
    artist: str, market: str, other_shows: Sequence[dict], our_venue_names: set[str]
) -> dict:
    """The artist's recent and announced shows in the venue's market at other venues, and
    whether one of them is ours (then the booking competes with ourselves)."""
    ours = [s for s in other_shows if s.get("venue_name") in our_venue_names]
    if not other_shows:
        verdict = f"{artist} has no recent or announced show in {market}: an open market."
    elif ours:
        names = ", ".join(sorted({s["venue_name"] for s in ours}))
        verdict = (
            f"{artist} already plays {market} at our own {names}: book only if the dates are "
            "far enough apart not to split the audience."
        )
    else:
        verdict = (
            f"{artist} has {len(other_shows)} recent or announced show(s) in {market} at other "
            "promoters' venues: move before they take the next date."
        )
    return {
        "market": market,
        "shows": list(other_shows),
        "at_our_venues": len(ours),
        "verdict": verdict,
    }


def follow_up_due(sent_at: datetime | None, now: datetime) -> bool:
    return sent_at is not None and now >= sent_at + FOLLOW_UP_AFTER


def status_after_response(response: str) -> str:
    """``accepted`` and ``declined`` close the opportunity; a counter keeps it live."""
    if response not in RESPONSES:
        raise ValueError(f"response must be one of {', '.join(RESPONSES)}, not {response!r}")
    return {"accepted": "accepted", "declined": "declined"}.get(response, "")


def status_after_approval(approval_status: str) -> tuple[str, str] | None:
    """What a closed approval does to a ``pending_approval`` opportunity: (status, why)."""
    if approval_status == "rejected":
        return ("declined", "the offer was rejected in its approval, so it was never sent")
    if approval_status == "expired":
        return (
            "expired",
            "nobody decided the offer's approval in time (timeout = reject), so it was not sent",
        )
    return None
