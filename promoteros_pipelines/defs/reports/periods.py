"""Report periods: ISO weeks (``2026-W47``), bounded in an organisation's own time zone."""

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


class BadPeriod(ValueError):
    """A week that is not written ``YYYY-Www`` or does not exist."""


@dataclass(frozen=True)
class Week:
    """Monday 00:00 to the next Monday 00:00 in ``time_zone``."""

    monday: dt.date
    time_zone: str = "UTC"

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.monday, dt.time(), ZoneInfo(self.time_zone))

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(
            self.monday + dt.timedelta(days=7), dt.time(), ZoneInfo(self.time_zone)
        )

    @property
    def days(self) -> list[dt.date]:
        return [self.monday + dt.timedelta(days=i) for i in range(7)]

    def previous(self) -> "Week":
        return Week(self.monday - dt.timedelta(days=7), self.time_zone)

    def in_zone(self, time_zone: str) -> "Week":
        return Week(self.monday, time_zone)


def parse_week(text: str, time_zone: str = "UTC") -> Week:
    """``2026-W47`` -> the Week starting Monday 2026-11-16."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise BadPeriod(f"week {text!r} must look like 2026-W47 (ISO year, 'W', two-digit week)")
    year, week = int(match[1]), int(match[2])
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise BadPeriod(
            f"week {text!r} does not exist: {year} has weeks 01 to "
            f"{dt.date(year, 12, 28).isocalendar()[1]:02d}"
        ) from None
    return Week(monday, time_zone)


def week_of_partition(partition_key: str, time_zone: str = "UTC") -> Week:
    """A weekly partition key (its Monday, ``YYYY-MM-DD``) as a Week."""
    monday = dt.date.fromisoformat(partition_key)
    return Week(monday - dt.timedelta(days=monday.weekday()), time_zone)
