"""A hand-built world for the alert tests: organisations, people, preferences, real servers."""

import base64
import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from dagster import materialize
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.notifier import Notifier
from promoteros_pipelines.resources.sms import SmsGateway
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.support.sms import SmsStandIn
from tests.support.smtp import SmtpServer

SECRET = "whsec_" + base64.b64encode(b"alerts-test-secret-32-bytes-long").decode()
FAST = {"retry_base_seconds": 0.0, "max_attempts": 3}


@dataclass
class Hooks:
    """Records every webhook post (Slack and the UI broadcast) by path."""

    posts: list[tuple[str, str, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self.lock:
            self.posts.append((request.url.path, request.headers.get("webhook-id", ""), body))
        return JSONResponse({"ok": True})


@dataclass
class Stack:
    database_url: str
    smtp: SmtpServer
    sms: SmsStandIn
    hooks: Hooks
    hooks_url: str
    checks: dict[str, bool] = field(default_factory=dict)

    def resources(self) -> dict[str, Any]:
        return {
            "warehouse": PostgresWarehouse(database_url=self.database_url),
            "mailer": Mailer(smtp_url=self.smtp.url, mail_from="PromoterOS <alerts@test.invalid>"),
            "notifier": Notifier(
                warehouse=PostgresWarehouse(database_url=self.database_url),
                targets=f"slack={self.hooks_url}/slack ui={self.hooks_url}/ui",
                signing_secret=SECRET,
                retry_base_seconds=0.0,
            ),
            "sms": SmsGateway(
                base_url=self.sms.base_url,
                account_sid=self.sms.state.sid,
                auth_token=self.sms.state.token,
                from_number="+15005550006",
            ),
        }

    def run(self, asset: Any, **config: Any) -> Any:
        result = materialize(
            [asset],
            resources=self.resources(),
            run_config={"ops": {asset.op.name: {"config": {**FAST, **config}}}},
        )
        assert result.success
        self.checks = {
            evaluation.check_name: evaluation.passed
            for evaluation in result.get_asset_check_evaluations()
        }
        return result.asset_materializations_for_node(asset.op.name)[0].metadata

    def sql(self, statement: str, params: Any = None) -> list[dict[str, Any]]:
        with psycopg.connect(self.database_url, row_factory=dict_row) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


@contextmanager
def alert_stack(database_url: str) -> Iterator[Stack]:
    hooks = Hooks()
    app = Starlette(routes=[Route("/{path:path}", hooks.handle, methods=["POST"])])
    with SmtpServer() as smtp, SmsStandIn() as sms, LoopbackServer(app) as server:
        yield Stack(database_url, smtp, sms, hooks, server.base_url)


def organisation(stack: Stack, slug: str, time_zone: str = "Europe/London") -> int:
    rows = stack.sql(
        "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
        " VALUES (%s, %s, %s, 'GBP') RETURNING organisation_id",
        (slug, slug.title(), time_zone),
    )
    return rows[0]["organisation_id"]


def recipient(
    stack: Stack, org: int, name: str, role: str, time_zone: str | None = None, **prefs: Any
) -> int:
    email = f"{name.lower().replace(' ', '.')}@{org}.example"
    rows = stack.sql(
        "INSERT INTO promoteros.recipients (organisation_id, name, email, role, time_zone)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING recipient_id",
        (org, name, email, role, time_zone),
    )
    recipient_id = rows[0]["recipient_id"]
    if prefs:
        columns = ", ".join(["recipient_id", *prefs])
        marks = ", ".join(["%s"] * (len(prefs) + 1))
        stack.sql(
            f"INSERT INTO promoteros.alert_preferences ({columns}) VALUES ({marks})",
            (recipient_id, *prefs.values()),
        )
    return recipient_id


def alert(
    stack: Stack,
    key: str,
    alert_type: str = "system",
    severity: str = "warning",
    org: int | None = None,
    subject: str = "Something happened",
    evidence: dict | None = None,
    created_at: dt.datetime | None = None,
) -> int:
    rows = stack.sql(
        "INSERT INTO promoteros.alerts"
        " (alert_type, severity, organisation_id, subject, evidence, dedupe_key, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, coalesce(%s, now())) RETURNING alert_id",
        (alert_type, severity, org, subject, Jsonb(evidence or {}), key, created_at),
    )
    return rows[0]["alert_id"]


def log(stack: Stack) -> dict[tuple[int, int, str], dict[str, Any]]:
    rows = stack.sql("SELECT * FROM promoteros.notification_log")
    return {(r["alert_id"], r["recipient_id"], r["channel"]): r for r in rows}


def quiet_now() -> dict[str, dt.time]:
    """Quiet hours (UTC) that surely cover the moment the test runs."""
    now = dt.datetime.now(dt.UTC)
    return {
        "quiet_start": (now - dt.timedelta(hours=1)).time().replace(microsecond=0),
        "quiet_end": (now + dt.timedelta(hours=2)).time().replace(microsecond=0),
    }
