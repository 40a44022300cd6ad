"""``artist.watch`` webhooks: each becomes a ``track_watched_artists`` run."""

from typing import Any

from pydantic import ValidationError

from promoteros_pipelines.defs.discovery.jobs import track_watched_artists
from promoteros_pipelines.defs.inbox.single_events import (
    EventRoute,
    PayloadRefused,
    build_single_event_sensor,
)
from promoteros_pipelines.defs.inbox.store import InboxEvent
from promoteros_pipelines.defs.inbox.ticks import describe_invalid
from promoteros_pipelines.events import ArtistWatch, parse_event


def watch_run_config(event: InboxEvent) -> dict[str, Any]:
    """``artist.watch`` -> the ``tracked_artists`` asset's watch request."""
    try:
        watch = parse_event("artist.watch", event.payload)
    except ValidationError as error:
        reason = describe_invalid(error)
        raise PayloadRefused(f"artist.watch payload is invalid: {reason}") from error
    assert isinstance(watch, ArtistWatch)
    request = {
        "event_id": event.event_id,
        "artist_name": watch.artist_name,
        "platform_ids": dict(watch.platform_ids),
        **({"genres": list(watch.genres)} if watch.genres else {}),
    }
    return {"ops": {"tracked_artists": {"config": {"watch_requests": [request]}}}}


artist_watch_events = build_single_event_sensor(
    EventRoute("artist.watch", track_watched_artists.name, watch_run_config), track_watched_artists
)
