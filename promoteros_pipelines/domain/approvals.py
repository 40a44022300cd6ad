"""Approval gates: who may decide what, when a request is decided, and when it times out.

Pure rules, no database: ``defs/approvals/store.py`` loads an approval and the people who may
decide it, asks ``judge`` what a decision does, and writes the outcome in one transaction.
A refused decision raises ``DecisionRefused`` with a sentence a person can act on, and the
store then changes nothing.

Policies are per kind (``POLICIES``): the recipient roles that may decide (a venue manager
only for their own venue), how many distinct approvers it takes, how long a request waits,
and what a timeout means. Timeout means reject unless a policy says otherwise: a request
nobody looked at must not go out.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STATUSES = ("pending", "approved", "rejected", "expired", "auto_approved")
OPEN = "pending"
DECISIONS = ("approved", "rejected")
PRIORITIES = ("low", "normal", "high", "urgent")
# the reminder goes out once, when this share of the request's lifetime is left
REMINDER_SHARE_LEFT = 0.25


class DecisionRefused(Exception):
    """A decision that must change nothing; the message says why, for the person deciding."""


@dataclass(frozen=True)
class Policy:
    """How one kind of request is decided."""

    name: str
    kind: str
    roles: frozenset[str]
    required_approvals: int = 1
    lifetime: timedelta = timedelta(hours=48)
    on_timeout: str = "reject"  # "reject" -> status expired; "approve" -> status approved
    venue_roles: frozenset[str] = frozenset()  # roles that may decide only at their venue
    auto_threshold: float | None = None  # confidence at or above which it auto-approves
    daily_cap: int = 0  # auto-approvals per organisation and UTC day


POLICIES: dict[str, Policy] = {
    "booking_offer": Policy(
        name="booking_offer_v1",
        kind="booking_offer",
        roles=frozenset({"exec", "venue_manager"}),
        venue_roles=frozenset({"venue_manager"}),
        lifetime=timedelta(hours=48),
        auto_threshold=85.0,
        daily_cap=5,
    ),
    "pipeline_trigger": Policy(
        name="pipeline_trigger_v1",
        kind="pipeline_trigger",
        roles=frozenset({"ops"}),
        lifetime=timedelta(hours=4),
    ),
}


def policy_for(kind: str) -> Policy:
    """The policy of ``kind``; an unknown kind is a programming error, said plainly."""
    try:
        return POLICIES[kind]
    except KeyError:
        known = ", ".join(POLICIES)
        raise ValueError(f"no approval policy for kind {kind!r}; known: {known}") from None


@dataclass(frozen=True)
class Person:
    """A recipient who might decide: their email, role and (for venue managers) venue."""

    email: str
    name: str
    role: str
    venue: str | None = None


@dataclass(frozen=True)
class Decision:
    decided_by: str
    decision: str


@dataclass(frozen=True)
class Approval:
    """What the rules need to know about one request."""

    approval_id: str
    kind: str
    status: str
    requested_by: str
    expires_at: datetime
    required_approvals: int
    venue: str | None = None
    decided_at: datetime | None = None
    decisions: Sequence[Decision] = field(default_factory=tuple)


@dataclass(frozen=True)
class Verdict:
    """What an accepted decision does: the approval's status afterwards (``pending`` while
    more approvers are needed) and who decided (the matched person's email)."""

    status: str
    decided_by: str
    approvals_so_far: int


def same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def find_person(who: str, people: Sequence[Person]) -> Person | None:
    """The recipient ``who`` names: by email, else by a name only one of them has."""
    by_email = [p for p in people if same_person(p.email, who)]
    if by_email:
        return by_email[0]
    by_name = [p for p in people if same_person(p.name, who)]
    return by_name[0] if len(by_name) == 1 else None


def may_decide(person: Person, approval: Approval, policy: Policy) -> bool:
    """The role the policy names; a venue-scoped role only at the request's own venue."""
    if person.role not in policy.roles:
        return False
    if person.role in policy.venue_roles:
        return approval.venue is not None and person.venue == approval.venue
    return True


def _refuse_closed(approval: Approval, now: datetime) -> None:
    if approval.status != OPEN:
        when = f" at {approval.decided_at:%Y-%m-%d %H:%M} UTC" if approval.decided_at else ""
        raise DecisionRefused(
            f"approval {approval.approval_id} is already {approval.status}{when}; "
            "a decided approval cannot be decided again"
        )
    if now >= approval.expires_at:
        raise DecisionRefused(
            f"approval {approval.approval_id} expired at {approval.expires_at:%Y-%m-%d %H:%M} "
            "UTC; ask for a new request"
        )


def judge(
    approval: Approval,
    who: str,
    decision: str,
    people: Sequence[Person],
    now: datetime,
) -> Verdict:
    """What ``who`` deciding ``decision`` does to ``approval``, or ``DecisionRefused``.

    ``people`` are the recipients of the approval's organisation. One rejection closes the
    request; it is approved once ``required_approvals`` distinct people approved it.
    """
    if decision not in DECISIONS:
        raise DecisionRefused(f"decision must be approved or rejected, not {decision!r}")
    _refuse_closed(approval, now)
    policy = policy_for(approval.kind)
    if same_person(who, approval.requested_by):
        raise DecisionRefused(
            f"{who} requested approval {approval.approval_id} and cannot decide it themselves"
        )
    person = find_person(who, people)
    if person is None:
        raise DecisionRefused(
            f"{who} is not a recipient of this organisation; only "
            f"{' or '.join(sorted(policy.roles))} may decide {approval.kind} approvals"
        )
    if same_person(person.email, approval.requested_by):
        raise DecisionRefused(
            f"{person.email} requested approval {approval.approval_id} and cannot decide it "
            "themselves"
        )
    if not may_decide(person, approval, policy):
        where = " (venue managers only for their own venue)" if policy.venue_roles else ""
        raise DecisionRefused(
            f"{person.email} is {person.role}; only {' or '.join(sorted(policy.roles))} may "
            f"decide {approval.kind} approvals{where}"
        )
    if any(same_person(d.decided_by, person.email) for d in approval.decisions):
        raise DecisionRefused(
            f"{person.email} has already decided approval {approval.approval_id}; each person "
            "decides once"
        )
    approvals = 1 + sum(1 for d in approval.decisions if d.decision == "approved")
    if decision == "rejected":
        return Verdict("rejected", person.email, approvals - 1)
    status = "approved" if approvals >= approval.required_approvals else OPEN
    return Verdict(status, person.email, approvals)


def timeout_status(kind: str) -> str:
    """The status a request of ``kind`` takes when nobody decided in time."""
    return "approved" if policy_for(kind).on_timeout == "approve" else "expired"


@dataclass(frozen=True)
class OfferEvidence:
    """What the offer auto-approval rule reads (all optional: missing counts as nothing)."""

    booking_score: float | None = None  # 0-100
    p10_margin: float | None = None  # projected margin at P10, as a share of the fee
    shows_with_artist: int = 0  # earlier shows of this artist with the organisation
    shows_at_venue: int = 0  # earlier shows of this artist at this venue


def offer_confidence(evidence: OfferEvidence) -> float:
    """A rule-based confidence 0-100 for an offer: 50% the booking score, 30% the P10
    margin (0 at break-even or worse, full at a 30% margin), 20% history (10 points per
    earlier show with the organisation, 5 more per show at the venue, at most 20)."""
    score = max(0.0, min(100.0, evidence.booking_score or 0.0)) * 0.5
    margin = max(0.0, min(0.3, evidence.p10_margin or 0.0)) / 0.3 * 30.0
    history = min(20.0, 10.0 * evidence.shows_with_artist + 5.0 * evidence.shows_at_venue)
    return round(score + margin + history, 1)


def auto_approves(kind: str, confidence: float | None, approved_today: int) -> bool:
    """At or above the policy's threshold, while the organisation's daily cap is not used up."""
    policy = policy_for(kind)
    if policy.auto_threshold is None or confidence is None:
        return False
    return confidence >= policy.auto_threshold and approved_today < policy.daily_cap


def priority_rank(priority: str) -> int:
    """Higher is more urgent (for ordering pending approvals)."""
    return PRIORITIES.index(priority) if priority in PRIORITIES else 1


def describe(kind: str, subject: dict) -> str:
    """One line saying what is asked, for mails, the page and listings (plain text: whoever
    shows it escapes it for their medium)."""
    if kind == "booking_offer":
        artist = subject.get("artist") or "an artist"
        venue = subject.get("venue_name") or subject.get("venue") or "a venue"
        fee = subject.get("fee")
        currency = subject.get("currency") or ""
        money = f" for {currency} {fee:,.0f}".rstrip() if isinstance(fee, int | float) else ""
        when = f" on {subject['show_date']}" if subject.get("show_date") else ""
        return f"Offer to {artist} at {venue}{when}{money}"
    if kind == "pipeline_trigger":
        target = subject.get("job") or ", ".join(subject.get("assets") or []) or "a pipeline"
        part = f" (partition {subject['partition_key']})" if subject.get("partition_key") else ""
        return f"Run {target}{part}"
    return f"{kind.replace('_', ' ')} request"


def approvals_summary(stats: dict) -> str:
    """The ops report's line on a week of approvals (``store.weekly_statistics``)."""
    count = stats["count"]
    if not count:
        return "No approvals were decided this week."
    noun = "approval" if count == 1 else "approvals"
    median = stats["median_hours"]
    return (
        f"{count} {noun} decided; median {median:.1f} hours from request to decision; "
        f"{stats['auto_share']:.0%} auto-approved; {stats['expired_share']:.0%} expired "
        "without a decision."
    )


def who_decides(kind: str, subject: dict) -> str:
    """The people who may decide, in words: ``exec or the venue manager of koko``."""
    policy = policy_for(kind)
    names = []
    for role in sorted(policy.roles):
        spoken = role.replace("_", " ")
        if role in policy.venue_roles:
            venue = subject.get("venue_name") or subject.get("venue")
            names.append(f"the {spoken} of {venue}" if venue else f"the venue's {spoken}")
        else:
            names.append(spoken)
    return " or ".join(names)
