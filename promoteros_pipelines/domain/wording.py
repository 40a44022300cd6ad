"""Numbers in plain words for people who forward reports: counts, percentages, "about 170x".

Reports and digests say what a measurement means ("Instagram followers +85% in a day, about
170x the usual daily change of similar-sized artists"), never how it was computed ("169.2 robust
SDs"). The sentences are built from the structured columns of a viral signal or a momentum row,
so they stay right when the detectors' own explanation strings change. Pure: no I/O.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any

PLATFORM_NAMES = {
    "spotify": "Spotify",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "instagram": "Instagram",
    "bandsintown": "Bandsintown",
    "cross": "several platforms",
}
STATUS_NAMES = {"new": "Unconfirmed", "confirmed": "Confirmed", "dismissed": "Dismissed"}


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``plural(1, "new viral event")`` -> "1 new viral event"; 2 -> "2 new viral events";
    irregular words take their plural: ``plural(3, "person", "people")``."""
    word = singular if count == 1 else (plural_form or _plural_word(singular))
    return f"{count:,} {word}"


def _plural_word(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    if last.endswith(("s", "x", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def platform_name(platform: str | None) -> str:
    if not platform:
        return ""
    return PLATFORM_NAMES.get(platform, platform.capitalize())


def platform_names(platforms: Sequence[str] | str | None) -> str:
    """``["tiktok", "spotify"]`` (or ``"tiktok, spotify"``) -> "TikTok, Spotify"."""
    if not platforms:
        return ""
    items = platforms.split(",") if isinstance(platforms, str) else list(platforms)
    return ", ".join(platform_name(p.strip()) for p in items if p.strip())


def percent(fraction: float | None, signed: bool = True) -> str:
    """0.848 -> "+85%", 0.083 -> "+8.3%", 0.002 -> "+0.2%", -0.05 -> "-5%" (whole numbers
    from 10% up)."""
    if fraction is None or not math.isfinite(fraction):
        return ""
    value = fraction * 100
    text = f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}".removesuffix(".0")
    if text in ("-0", "0"):
        text = "0"
    sign = "+" if signed and value > 0 and text != "0" else ""
    return f"{sign}{text}%"


def compact(number: float | None) -> str:
    """Audience sizes people read at a glance: 9,132,256 -> "9.1M", 405,810 -> "406k",
    12,345 -> "12,345"."""
    if number is None or not math.isfinite(number):
        return ""
    size = abs(number)
    if size >= 999_500:
        return f"{number / 1e6:.1f}M"
    if size >= 100_000:
        return f"{number / 1e3:.0f}k"
    return f"{number:,.0f}"


def about_times(ratio: float | None) -> str:
    """A multiple, rounded as a person would say it: 169.2 -> "about 170x", 28.19 -> "about
    28x", 3.46 -> "about 3.5x"."""
    if ratio is None or not math.isfinite(ratio):
        return ""
    if ratio >= 100:
        return f"about {round(ratio, -1):,.0f}x"
    if ratio >= 10:
        return f"about {ratio:.0f}x"
    text = f"{ratio:.1f}".removesuffix(".0")
    return f"about {text}x"


def _moved(before: Any, after: Any) -> str:
    if before is None or after is None:
        return ""
    return f" ({compact(before)} to {compact(after)})"


def signal_sentence(signal: Mapping[str, Any], fallback: str = "") -> str:
    """What a viral signal measured, in words; ``fallback`` when the row has too little.

    ``signal``: a ``viral_signals`` row (signal_type, platform, metric, value_before,
    value_after, growth, baseline, ratio, robust_z, platforms).
    """
    kind = signal.get("signal_type")
    who = platform_name(signal.get("platform"))
    growth, z = signal.get("growth"), signal.get("robust_z")
    moved = _moved(signal.get("value_before"), signal.get("value_after"))
    if kind == "follower_spike" and growth is not None:
        return f"{who} followers {percent(growth)} in a day{moved}"
    if kind == "tier_relative_growth" and growth is not None and z is not None:
        return (
            f"{who} followers {percent(growth)} in a day{moved}, {about_times(z)} the usual "
            "daily change of similar-sized artists"
        )
    if kind == "cross_platform" and z is not None:
        names = platform_names(signal.get("platforms"))
        count = len([p for p in (signal.get("platforms") or "").split(",") if p.strip()])
        where = f"{count} platforms ({names})" if count > 1 else "several platforms"
        rise = f", up to {percent(growth)} in a day" if growth is not None else ""
        usual = f"{about_times(z)} the artist's usual daily change"
        return f"Followers jumped on {where}{rise}, {usual}"
    if kind == "engagement_surge" and signal.get("ratio") is not None:
        counter = signal.get("metric") or "engagement"
        return f"{who} {counter} per day {about_times(signal['ratio'])} the artist's usual level"
    return fallback


def event_sentence(event: Mapping[str, Any]) -> str:
    """A viral event in words: its strongest signal (columns as in ``signal_sentence``, the
    signal's platform list in ``signal_platforms``), else the detector's ``explanation``."""
    return signal_sentence(
        {**event, "platforms": event.get("signal_platforms")}, fallback=event["explanation"]
    )


def event_status(event: Mapping[str, Any]) -> str:
    """ "Confirmed", "Confirmed (model 87%)", "Unconfirmed", "Dismissed"."""
    words = STATUS_NAMES.get(event["status"], event["status"])
    if event["status"] == "confirmed" and event.get("max_probability") is not None:
        words += f" (model {event['max_probability'] * 100:.0f}%)"
    return words


def strength_words(peak_strength: float | None) -> str:
    """A signal's strength (measured value / alert threshold) as "about 28x the alert level"."""
    if peak_strength is None or not math.isfinite(peak_strength):
        return ""
    if peak_strength < 1.05:
        return "at the alert level"
    return f"{about_times(peak_strength)} the alert level"


def growth_sentence(row: Mapping[str, Any]) -> str:
    """A momentum row's audience movement: "TikTok followers +3.5% in 7 days to 12.7k, about
    4x as fast as similar-sized artists" (the comparison only when it says something)."""
    growth = row.get("growth_7d")
    if growth is None:
        return ""
    who = platform_name(row.get("lead_platform"))
    text = f"{who} followers {percent(growth)} in 7 days".strip()
    if row.get("followers") is not None:
        text += f" to {compact(row['followers'])}"
    peers = row.get("peer_growth_median")
    if peers is not None and peers > 0 and growth / peers >= 1.5:
        text += f", {about_times(growth / peers)} as fast as similar-sized artists"
    return text
