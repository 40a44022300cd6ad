"""Pure KPI arithmetic: week-over-week change, shares, and honest "not connected" tiles."""

from dataclasses import dataclass

NOT_CONNECTED = "not connected yet"


@dataclass(frozen=True)
class Kpi:
    """One tile: this week's value beside last week's, or why there is no value."""

    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str = "count"  # count | percent
    note: str = ""
    connected: bool = True
    empty: str = "none yet"  # shown when there is nothing to measure (no runs, no calls)

    @property
    def change(self) -> float | None:
        """Absolute change (percentage points for shares)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_ratio(self) -> float | None:
        """Relative change for counts; None when last week was zero or unknown."""
        if self.unit != "count" or self.change is None or not self.previous:
            return None
        return self.change / self.previous

    def shown(self, value: float | None) -> str:
        if not self.connected:
            return NOT_CONNECTED
        if value is None:
            return self.empty
        if self.unit == "percent":
            return f"{value * 100:.0f}%"
        return f"{value:,.0f}"

    @property
    def display(self) -> str:
        return self.shown(self.value)

    @property
    def display_previous(self) -> str:
        return self.shown(self.previous)

    @property
    def display_change(self) -> str:
        change = self.change
        if not self.connected or change is None:
            return ""
        if self.unit == "percent":
            return f"{change * 100:+.0f} pts"
        ratio = self.change_ratio
        return f"{change:+,.0f}" + (f" ({ratio * 100:+.0f}%)" if ratio is not None else "")

    @property
    def measured(self) -> bool:
        """Connected and with a value this week (else the tile shows why not)."""
        return self.connected and self.value is not None

    @property
    def trend(self) -> str:
        change = self.change
        if change is None or not self.connected:
            return "flat"
        return "up" if change > 0 else "down" if change < 0 else "flat"


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    if part is None or not whole:
        return None
    return part / whole


def not_connected(key: str, label: str, why: str) -> Kpi:
    """A tile for a source that does not exist yet: no number, and the reason."""
    return Kpi(key, label, None, None, note=why, connected=False)


def run_success_rate(statuses: list[str]) -> tuple[float | None, int]:
    """Share of finished runs that succeeded (cancelled and in-flight runs are not counted)."""
    finished = [s for s in statuses if s in ("SUCCESS", "FAILURE")]
    return share(sum(s == "SUCCESS" for s in finished), len(finished)), len(finished)
