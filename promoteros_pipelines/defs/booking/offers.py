"""Offers to an artist's management: the PDF, its approval, the mail, the one follow-up.

An opportunity scored above 90 gets an offer document (``rendering/templates/
booking_offer.html.j2``: autoescaped, rendered by WeasyPrint fetching nothing from outside
the package) filed as a ``booking_offer`` approval (natural key ``booking_opportunity:<id>``,
so a re-run files it once). ``process_offers`` then does, each time it runs:

1. approval rejected -> opportunity ``declined``; approval expired -> ``expired`` (the offer
   is never sent);
2. approval approved (by people or automatically) -> the offer is mailed with the PDF, status
   ``sent``, ``follow_up_at`` = sent + 48 h; the claim is one conditional UPDATE, so it goes
   once even if two runs overlap; a failed mail puts it back for the next run;
3. 48 h after sending with no answer -> one follow-up mail, status ``followed_up``;
4. live opportunities whose window has passed -> ``expired``.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promoteros_pipelines.defs.approvals.lifecycle import mark_released
from promoteros_pipelines.defs.approvals.store import request_approval
from promoteros_pipelines.defs.booking import opportunity_store as store
from promoteros_pipelines.domain.approvals import OfferEvidence, offer_confidence
from promoteros_pipelines.domain.booking_offer import MARKETING_COMMITMENTS, RIDER_BASICS
from promoteros_pipelines.domain.booking_projection import p10_margin_share_of_fee
from promoteros_pipelines.resources.mailer import (
    Attachment,
    Mailer,
    MailError,
    compose,
    display_address,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import promoteros_home

KIND = "booking_offer"
REQUESTED_BY = "booking_opportunities (automatic, score above 90)"


def offer_context(opportunity: dict[str, Any]) -> dict[str, Any]:
    """What the offer PDF and mails show, from a row of ``opportunity_store.get``."""
    projection = opportunity["projection"]
    fee = projection.get("fee", {})
    return {
        "document_title": f"Offer: {opportunity['artist']} at {opportunity['venue']}",
        "opportunity_id": opportunity["id"],
        "artist": opportunity["artist"],
        "venue": opportunity["venue"],
        "city": opportunity["city"],
        "organisation": opportunity["organisation_name"],
        "currency": projection.get("currency") or opportunity.get("currency") or "",
        "window_start": opportunity["window_start"].isoformat(),
        "window_end": opportunity["window_end"].isoformat(),
        "capacity": projection.get("capacity"),
        "ticket_price": projection.get("ticket_price"),
        "guarantee_low": fee.get("guarantee_low"),
        "guarantee_high": fee.get("guarantee_high"),
        "artist_split": fee.get("artist_split"),
        "expected_attendance": projection.get("scenarios", {}).get("p50", {}).get("attendance"),
        "rider": RIDER_BASICS,
        "marketing": MARKETING_COMMITMENTS,
        "management_name": opportunity.get("management_name") or "the artist's management",
    }


def render_offer(opportunity: dict[str, Any]) -> bytes:
    # loaded on first use: the code location must load without WeasyPrint
    from promoteros_pipelines.rendering.render import render_pdf

    return render_pdf("booking_offer.html.j2", offer_context(opportunity))


def offers_dir() -> Path:
    return promoteros_home() / "offers"


def prepare_offer(
    warehouse: PostgresWarehouse, opportunity_id: int, directory: Path | None = None
) -> str | None:
    """Render the offer PDF and file its approval; the opportunity waits in
    ``pending_approval``. Returns the approval id (None if the opportunity is not ``new``)."""
    opportunity = store.get(warehouse, opportunity_id)
    if opportunity is None or opportunity["status"] != "new":
        return None
    folder = directory or offers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"offer-{opportunity_id}.pdf"
    path.write_bytes(render_offer(opportunity))
    projection = opportunity["projection"]
    fee = projection.get("fee", {})
    margin = p10_margin_share_of_fee(projection)
    evidence = OfferEvidence(booking_score=opportunity["score"], p10_margin=margin)
    approval_id, _ = request_approval(
        warehouse,
        kind=KIND,
        request_key=f"booking_opportunity:{opportunity_id}",
        requested_by=REQUESTED_BY,
        subject={
            "opportunity_id": opportunity_id,
            "artist": opportunity["artist"],
            "venue": opportunity["venue_slug"],
            "venue_name": opportunity["venue"],
            "fee": fee.get("guarantee"),
            "currency": projection.get("currency"),
            "show_date": f"{opportunity['window_start']} to {opportunity['window_end']}",
            "offer_pdf": str(path),
        },
        organisation=opportunity["organisation"],
        priority="high",
        confidence=offer_confidence(evidence),
        inputs={"booking_score": opportunity["score"], "p10_margin": margin},
    )
    store.await_approval(warehouse, opportunity_id, approval_id, str(path))
    return approval_id


def _mail(mailer: Mailer, opportunity: dict[str, Any], template: str, pdf: bytes) -> str:
    from promoteros_pipelines.rendering.render import text_environment

    context = offer_context(opportunity)
    text = text_environment().get_template(template).render(**context)
    subject_prefix = "Following up: offer" if "follow" in template else "Offer"
    message = compose(
        sender=mailer.mail_from,
        to=[display_address(opportunity["management_name"], opportunity["management_email"])],
        subject=f"{subject_prefix} for {opportunity['artist']} at {opportunity['venue']}, "
        f"{context['window_start']} to {context['window_end']}",
        text=text,
        attachments=[Attachment(f"offer-{opportunity['id']}.pdf", pdf)],
        idempotency_key=f"booking-offer-{opportunity['id']}-{template.split('.')[0]}",
    )
    return mailer.send(message)


def _pdf(opportunity: dict[str, Any]) -> bytes:
    path = Path(opportunity["offer_path"] or "")
    return path.read_bytes() if path.is_file() else render_offer(opportunity)


@dataclass
class OfferRound:
    """What one pass of ``process_offers`` did (for the run's metadata and the tests)."""

    closed: list[dict[str, Any]] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    followed_up: list[int] = field(default_factory=list)
    expired_windows: int = 0
    failed: list[str] = field(default_factory=list)
    missing_contact: list[str] = field(default_factory=list)


def process_offers(
    warehouse: PostgresWarehouse, mailer: Mailer, now: dt.datetime | None = None
) -> OfferRound:
    """One pass of the offer workflow (module docstring), at ``now`` (default: the clock)."""
    at = now or dt.datetime.now(dt.UTC)
    done = OfferRound(closed=store.close_after_approval(warehouse))
    for opportunity in store.claim_approved(warehouse, at):
        try:
            _mail(mailer, opportunity, "booking_offer_mail.txt.j2", _pdf(opportunity))
        except (MailError, OSError) as error:
            store.unclaim_sent(warehouse, opportunity["id"])
            done.failed.append(f"offer {opportunity['id']}: {error}")
            continue
        mark_released(warehouse, opportunity["approval_id"], "offer mailed to management")
        done.sent.append(opportunity["id"])
    for opportunity in store.claim_follow_ups(warehouse, at):
        try:
            _mail(mailer, opportunity, "booking_follow_up_mail.txt.j2", _pdf(opportunity))
        except (MailError, OSError) as error:
            store.unclaim_follow_up(warehouse, opportunity["id"])
            done.failed.append(f"follow-up {opportunity['id']}: {error}")
            continue
        done.followed_up.append(opportunity["id"])
    done.missing_contact = [
        f"opportunity {row['id']} ({row['artist']}): no management contact; set it with "
        f"`promoteros booking management {row['artist_id']} EMAIL --name NAME`"
        for row in store.approved_without_contact(warehouse)
    ]
    done.expired_windows = store.expire_past_window(warehouse, at.date())
    return done


def offer_work_due(warehouse: PostgresWarehouse, now: dt.datetime | None = None) -> str | None:
    """A fingerprint of the offer work waiting (None when there is none): approvals decided
    for waiting offers, follow-ups due, windows passed. The sensor uses it as the run key,
    so the same waiting work starts one run."""
    at = now or dt.datetime.now(dt.UTC)
    with warehouse.connect() as conn:
        rows = conn.execute(
            "SELECT b.id, b.status FROM promoteros.booking_opportunities b"
            " LEFT JOIN promoteros.approvals a ON a.id = b.approval_id"
            " WHERE (b.status = 'pending_approval'"
            "   AND a.status IN ('approved', 'auto_approved', 'rejected', 'expired'))"
            " OR (b.status = 'sent' AND b.response IS NULL AND b.follow_up_at <= %(at)s)"
            " OR (b.status IN ('new', 'pending_approval', 'sent', 'followed_up')"
            "   AND b.window_end < %(today)s)"
            " ORDER BY b.id",
            {"at": at, "today": at.date()},
        ).fetchall()
    if not rows:
        return None
    return ",".join(f"{oid}:{status}" for oid, status in rows)
