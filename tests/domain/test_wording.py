"""Numbers in plain words: counts that agree with their nouns, multiples people would say,
and viral signals described by what they measured, not by statistics jargon."""

import math

import pytest

from promoteros_pipelines.domain.wording import (
    about_times,
    compact,
    event_sentence,
    event_status,
    growth_sentence,
    percent,
    platform_names,
    plural,
    signal_sentence,
    strength_words,
)


@pytest.mark.parametrize(
    ("count", "noun", "irregular", "expected"),
    [
        (1, "new viral event", None, "1 new viral event"),
        (2, "new viral event", None, "2 new viral events"),
        (0, "alert", None, "0 alerts"),
        (1, "person", "people", "1 person"),
        (3, "person", "people", "3 people"),
        (2, "match", None, "2 matches"),
        (2, "story", None, "2 stories"),
        (2, "day", None, "2 days"),
        (12345, "artist", None, "12,345 artists"),
    ],
)
def test_counts_agree_with_their_nouns(count, noun, irregular, expected):
    assert plural(count, noun, irregular) == expected


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (169.2, "about 170x"),
        (28.19, "about 28x"),
        (3.46, "about 3.5x"),
        (3.02, "about 3x"),
        (1234.0, "about 1,230x"),
        (None, ""),
        (math.inf, ""),
    ],
)
def test_multiples_are_rounded_as_people_say_them(ratio, expected):
    assert about_times(ratio) == expected


def test_percentages_and_audiences_are_rounded_to_what_matters():
    assert [percent(x) for x in (0.848, 0.083, 0.002, -0.05, 0.0, None)] == [
        "+85%",
        "+8.3%",
        "+0.2%",
        "-5%",
        "0%",
        "",
    ]
    assert percent(0.5, signed=False) == "50%"
    assert [compact(x) for x in (9_132_256, 405_810, 12_345, 999.4)] == [
        "9.1M",
        "406k",
        "12,345",
        "999",
    ]


def test_each_signal_type_reads_as_what_it_measured():
    tier = {
        "signal_type": "tier_relative_growth",
        "platform": "instagram",
        "growth": 0.848,
        "value_before": 17_460,
        "value_after": 37_622,
        "robust_z": 169.2,
    }
    assert signal_sentence(tier) == (
        "Instagram followers +85% in a day (17,460 to 37,622), about 170x the usual daily"
        " change of similar-sized artists"
    )
    spike = {**tier, "signal_type": "follower_spike", "platform": "tiktok"}
    assert signal_sentence(spike) == "TikTok followers +85% in a day (17,460 to 37,622)"
    cross = {
        "signal_type": "cross_platform",
        "platform": "cross",
        "growth": 0.12,
        "robust_z": 12.3,
        "platforms": "spotify, tiktok",
    }
    assert signal_sentence(cross) == (
        "Followers jumped on 2 platforms (Spotify, TikTok), up to +12% in a day,"
        " about 12x the artist's usual daily change"
    )
    surge = {"signal_type": "engagement_surge", "platform": "youtube", "metric": "views"}
    assert signal_sentence({**surge, "ratio": 3.1}) == (
        "YouTube views per day about 3.1x the artist's usual level"
    )
    # too little to say: the detector's own words
    assert signal_sentence(surge, fallback="as detected") == "as detected"


def test_an_event_without_its_signal_falls_back_to_its_explanation():
    event = {"signal_type": None, "explanation": "followers +80% in 24 h", "status": "new"}
    assert event_sentence(event) == "followers +80% in 24 h"
    assert event_status(event) == "Unconfirmed"
    assert event_status({"status": "confirmed", "max_probability": 0.874}) == (
        "Confirmed (model 87%)"
    )


def test_strength_and_growth_in_words():
    assert strength_words(28.19) == "about 28x the alert level"
    assert strength_words(1.0) == "at the alert level"
    row = {"growth_7d": 0.035, "lead_platform": "tiktok", "followers": 12_870}
    assert growth_sentence({**row, "peer_growth_median": 0.009}) == (
        "TikTok followers +3.5% in 7 days to 12,870, about 3.9x as fast as similar-sized artists"
    )
    # no comparison when it says nothing (slower than, or about as fast as, the peers)
    assert growth_sentence({**row, "peer_growth_median": 0.03}) == (
        "TikTok followers +3.5% in 7 days to 12,870"
    )
    assert growth_sentence({**row, "growth_7d": None}) == ""
    assert platform_names(["tiktok", "spotify", "somewhere"]) == "TikTok, Spotify, Somewhere"
