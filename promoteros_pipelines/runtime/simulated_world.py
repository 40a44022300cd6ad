"""Where the simulated world stands in time, kept in ``$PROMOTEROS_HOME/simulated-world.json``.

The simulated world is a pure function of its seed, its size and the moment it is anchored
at. ``promoteros demo`` anchors it at the end of the current 6-hour window (its "present")
and writes its history up to there; ``promoteros dev`` then serves the same world on the
wall clock, so the schedules continue that history without a gap. The file also tells the
code location where the history starts, so partitions begin there (see
``settings.history_start``). No Dagster and no simulator import: the code location reads it
at load time, and production never has one.
"""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from promoteros_pipelines.settings import (
    SIMULATED_WORLD_FILE,
    ConfigurationError,
    promoteros_home,
)

FILE_NAME = SIMULATED_WORLD_FILE
WINDOW = dt.timedelta(hours=6)
DEFAULT_SEED = 7
DEFAULT_ARTISTS = 2_000
DEFAULT_HISTORY_DAYS = 49
"""Seven weeks: the viral model's labels need two weeks before a signal and two after it, and
its training enough signals between, for a model the demo can honestly confirm events with."""


def window_end(moment: dt.datetime) -> dt.datetime:
    """The start of the 6-hour UTC window holding ``moment`` (00, 06, 12, 18): the end of the
    last window that has closed, which is as far as a collector can have observed."""
    utc = moment.astimezone(dt.UTC)
    return utc.replace(hour=utc.hour - utc.hour % 6, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class WorldAnchor:
    """One simulated world in time: generated from ``seed`` and ``artists``, its present at
    ``present``, its history written from ``history_start`` (a UTC midnight)."""

    seed: int
    artists: int
    present: dt.datetime
    history_start: dt.date

    @classmethod
    def at(
        cls,
        now: dt.datetime,
        seed: int = DEFAULT_SEED,
        artists: int = DEFAULT_ARTISTS,
        history_days: int = DEFAULT_HISTORY_DAYS,
    ) -> "WorldAnchor":
        present = window_end(now)
        return cls(seed, artists, present, present.date() - dt.timedelta(days=history_days))

    def to_json(self) -> str:
        return json.dumps(
            {
                "seed": self.seed,
                "artists": self.artists,
                "present": self.present.isoformat(),
                "history_start": self.history_start.isoformat(),
            },
            indent=2,
        )


def anchor_path(home: Path | None = None) -> Path:
    return (home or promoteros_home()) / FILE_NAME


def read_anchor(home: Path | None = None) -> WorldAnchor | None:
    """The anchored world of this home, or None when no demo or dev has anchored one."""
    path = anchor_path(home)
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text())
        present = dt.datetime.fromisoformat(raw["present"]).astimezone(dt.UTC)
        return WorldAnchor(
            int(raw["seed"]),
            int(raw["artists"]),
            present,
            dt.date.fromisoformat(raw["history_start"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(
            f"{path} is not a simulated-world file ({error}); delete it and run "
            "`promoteros demo` again to anchor a new world."
        ) from error


def anchor_world(now: dt.datetime, home: Path | None = None, **kwargs) -> WorldAnchor:
    """This home's anchored world, anchoring one at ``now`` when there is none yet.

    An existing anchor is kept: the world it describes is the one the warehouse already holds,
    and moving it would change every number the simulator has served so far.
    """
    existing = read_anchor(home)
    if existing is not None:
        return existing
    anchor = WorldAnchor.at(now, **kwargs)
    path = anchor_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(anchor.to_json() + "\n")
    return anchor
