"""What every webhook-inbox sensor shares: its cursor, its tick interval, run keys and tags.

The cursor is the highest ``event_id`` the sensor has handed to a run (or parked). Dagster
stores it together with the tick's run requests before it submits any run, so a daemon
restart resumes that tick instead of evaluating it again: no event is lost or requested
twice. Run keys derived from event ids are the second guard: Dagster skips a run key it has
already launched for the sensor.
"""

from collections.abc import Sequence

from pydantic import ValidationError

from promoteros_pipelines.events_store import (
    EVENT_IDS_TAG,
    EVENT_TYPE_TAG,
    InboxEvent,
    format_event_ids,
)

# Dagster's sensor daemon passes over its sensors every 5 s (MIN_INTERVAL_LOOP_TIME in
# dagster._daemon.sensor, not configurable) and skips a sensor whose last tick began less
# than its minimum interval ago. At 5 s the tick, begun a moment after the pass, is skipped
# on every other pass: a 10 s cadence. Anything below 5 s ticks on every pass, so a webhook
# waits 0-5 s for its sensor. A tick costs one connection and index-only reads
# (``read_inbox``), a few milliseconds however many events the inbox holds.
MINIMUM_INTERVAL_SECONDS = 1
# What that means, for the sensors' descriptions in the UI.
CADENCE = "About every 5 s (each pass of the sensor daemon)"


def read_cursor(cursor: str | None) -> int:
    """The last event id handled; 0 before the first tick."""
    return int(cursor) if cursor else 0


def run_key(event_type: str, first: int, last: int | None = None, attempts: int = 0) -> str:
    """``artist.watch:42``, ``scraper.metrics:100-599``; a replay adds its attempt number."""
    span = str(first) if last is None else f"{first}-{last}"
    suffix = f":attempt-{attempts + 1}" if attempts else ""
    return f"{event_type}:{span}{suffix}"


def event_run_tags(event_type: str, events: Sequence[InboxEvent]) -> dict[str, str]:
    """Tags that tie a run to its events; the run status sensors follow runs by them."""
    return {
        EVENT_TYPE_TAG: event_type,
        EVENT_IDS_TAG: format_event_ids(event.event_id for event in events),
    }


def advanced_cursor(after: int, upto: int, planned: Sequence[InboxEvent], complete: bool) -> int:
    """Where the next tick starts.

    ``complete``: every new event up to the watermark ``upto`` was handled, so the cursor
    moves to it (skipping ids of other event types). Otherwise it stops at the last new event
    handled, and the rest is read next tick.
    """
    if complete:
        return max(after, upto)
    new = [event.event_id for event in planned if event.event_id > after]
    return max([after, *new])


def describe_invalid(error: ValidationError) -> str:
    """A pydantic error on one line: ``platform_ids.myspace: Input should be ...; ...``."""
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "payload"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)
