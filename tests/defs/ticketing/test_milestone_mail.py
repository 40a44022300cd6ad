"""A milestone reaches the venue's manager by real SMTP, once, through the alert router."""

from promoteros_pipelines.defs.alerts.assets import alert_notifications
from tests.defs.alerts.alerts_support import alert_stack
from tests.defs.ticketing.ticketing_support import ingest, sales_event, venue_world


def test_the_venue_manager_gets_one_mail_per_milestone_alert(warehouse, database_url):
    world = venue_world(warehouse)
    with alert_stack(database_url) as stack:
        ingest(warehouse, [sales_event(warehouse, "tm-1", [(0, 400), (1, 760)])])
        stack.run(alert_notifications)
        # the same sales again, a refund dip and a recovery: nothing new to say
        ingest(warehouse, [sales_event(warehouse, "tm-1", [(0, 400), (1, 760), (2, 700)])])
        ingest(warehouse, [sales_event(warehouse, "tm-1", [(3, 770)])])
        stack.run(alert_notifications)
        stack.run(alert_notifications)
        to_manager = [m for m in stack.smtp.received if "mia.manager" in m.recipients[0]]
        assert len(to_manager) == 1
        assert "50 % and 75 % sold (760 of 1,000)" in str(to_manager[0].message["Subject"])
        recipients = sorted(m.recipients[0] for m in stack.smtp.received)
        # the other venue's manager hears nothing; ops hears it too
        assert recipients == ["mia.manager@north.example", "olu.ops@north.example"]
        assert world["Ray Other"] not in {
            row["recipient_id"]
            for row in stack.sql("SELECT recipient_id FROM promoteros.notification_log")
        }
