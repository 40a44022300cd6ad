"""A new opportunity's booking alert reaches that venue's manager (and the execs) through the
alert store and the existing router, by real SMTP; the other venue's manager hears nothing."""

from booking_support import EXEC, OTHER_VENUE_MANAGER, VENUE_MANAGER, World, run_opportunities

from promoteros_pipelines.defs.alerts.assets import alert_notifications
from tests.defs.alerts.alerts_support import alert_stack


def test_the_booking_alert_reaches_the_venue_manager(world: World, database_url: str):
    run_opportunities(world.warehouse)
    with alert_stack(database_url) as stack:
        stack.run(alert_notifications)
        mailed = [(m.recipients[0], str(m.message["Subject"])) for m in stack.smtp.received]
        bodies = [m.message.get_body(preferencelist=("plain",)) for m in stack.smtp.received]
        routed = stack.sql(
            "SELECT r.email, a.subject, a.evidence->>'venue' AS venue"
            " FROM promoteros.notification_log n"
            " JOIN promoteros.recipients r USING (recipient_id)"
            " JOIN promoteros.alerts a USING (alert_id)"
            " WHERE a.alert_type = 'booking' AND n.channel = 'email'"
        )
    to_manager = [subject for email, subject in mailed if email == VENUE_MANAGER]
    assert len(to_manager) == 2  # both Barrowland opportunities
    assert any("Nova Lights at Barrowland" in subject for subject in to_manager)
    assert {row["email"] for row in routed} == {VENUE_MANAGER, EXEC}
    assert OTHER_VENUE_MANAGER not in {email for email, _ in mailed}
    assert {row["venue"] for row in routed} == {"Barrowland"}
    # the mail says what to do and why, not only the subject
    text = bodies[0].get_content()
    assert "offer a guarantee of" in text and "break-even at" in text
    assert "Why: " in text and "promoteros booking show" in text
