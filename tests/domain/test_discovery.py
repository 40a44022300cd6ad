import polars as pl
import pytest

from promoteros_pipelines.domain.discovery import (
    deduplicate_candidates,
    normalize_name,
    normalized_name,
    rank_new_candidates,
    remove_tracked,
    score_candidates,
)

SCHEMA = {
    "name": pl.String,
    "platform": pl.String,
    "external_id": pl.String,
    "source": pl.String,
    "rank": pl.Int64,
}
NO_IDS = pl.DataFrame(schema={"platform": pl.String, "external_id": pl.String})
NO_NAMES = pl.DataFrame(schema={"name": pl.String})


def candidates(*rows) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoë Marlowe", "zoe marlowe"),
        ("ZOË MARLOWE (feat. DJ Kavo)", "zoe marlowe"),
        ("Noa ft. Someone Else", "noa"),
        ("Björn & The Wolves", "bjorn and the wolves"),
        ("Guns N\u2019 Roses", "guns n roses"),
        ("Nogadel - Topic", "nogadel"),
        ("  Straße   Søren!! ", "strasse soren"),
        ("AC/DC", "ac dc"),
    ],
)
def test_normalisation_scalar_and_column_agree(raw, expected):
    assert normalize_name(raw) == expected
    assert pl.select(normalized_name(pl.lit(raw))).item() == expected


def test_one_artist_across_sources_becomes_one_row():
    frame = candidates(
        ("Zoë Marlowe", "spotify", "S1", "spotify:viral", 3),
        ("Zoë Marlowe", "spotify", "S1", "spotify:viral", 9),  # a second track, same playlist
        ("zoemarlowe", "tiktok", "zoemarlowe", "tiktok:video_query", 1),
        ("Zoe Marlowe - Topic", "youtube", "UC1", "youtube:most_popular", 12),
        ("Kavo", "spotify", "S2", "spotify:trending", 4),
    )
    deduplicated = deduplicate_candidates(frame)
    assert deduplicated.height == 2
    zoe = deduplicated.filter(pl.col("match_key") == "zoemarlowe").row(0, named=True)
    assert zoe["name"] == "Zoë Marlowe"  # a real name beats a handle
    assert (zoe["spotify_id"], zoe["youtube_id"], zoe["tiktok_id"]) == ("S1", "UC1", "zoemarlowe")
    assert zoe["best_rank"] == 1
    assert [a["rank"] for a in zoe["appearances"]] == [1, 3, 12]


def test_tracked_artists_are_removed_by_id_then_by_name():
    frame = deduplicate_candidates(
        candidates(
            ("Kavo", "spotify", "S2", "spotify:viral", 1),
            ("Old Friend", "spotify", "S3", "spotify:viral", 2),
            ("Brand New", "youtube", "UC9", "youtube:most_popular", 3),
        )
    )
    tracked_ids = pl.DataFrame({"platform": ["spotify"], "external_id": ["S2"]})
    tracked = pl.DataFrame({"name": ["OLD FRIEND"]})
    assert remove_tracked(frame, tracked_ids, tracked)["name"].to_list() == ["Brand New"]
    by_normalised = pl.DataFrame({"normalized_name": ["brand new"]})
    assert remove_tracked(frame, NO_IDS, by_normalised)["name"].to_list() == ["Kavo", "Old Friend"]


def test_score_rewards_rank_and_breadth_with_a_reason():
    scored = score_candidates(
        deduplicate_candidates(
            candidates(
                ("Top Viral", "spotify", "S1", "spotify:viral", 1),
                ("Two Places", "spotify", "S2", "spotify:trending", 5),
                ("Two Places", "youtube", "UC2", "youtube:most_popular", 5),
                ("Far Down", "spotify", "S3", "spotify:trending", 90),
            )
        )
    ).sort("score", descending=True)
    assert scored["name"].to_list() == ["Two Places", "Top Viral", "Far Down"]
    assert scored.filter(pl.col("name") == "Top Viral")["score"].item() == 50.0
    assert scored["score"].max() <= 100
    reason = scored.filter(pl.col("name") == "Two Places")["reason"].item()
    assert reason == "Trending on 2 source(s): #5 on spotify trending, #5 on youtube most popular"


def test_rank_new_candidates_keeps_the_top_n_with_ids():
    frame = candidates(
        *[(f"Artist {i}", "spotify", f"S{i}", "spotify:viral", i) for i in range(1, 11)]
    )
    ranked = rank_new_candidates(frame, NO_IDS, NO_NAMES, top_n=3)
    assert ranked["name"].to_list() == ["Artist 1", "Artist 2", "Artist 3"]
    assert ranked["spotify_id"].to_list() == ["S1", "S2", "S3"]


def test_empty_input_gives_empty_output():
    ranked = rank_new_candidates(candidates(), NO_IDS, NO_NAMES)
    assert ranked.is_empty()
    assert "reason" in ranked.columns


def test_display_names_drop_youtubes_topic_suffix():
    candidates = pl.DataFrame(
        {
            "name": ["Aiko Lyno - Topic"],
            "platform": ["youtube"],
            "external_id": ["UC1"],
            "source": ["youtube:most_popular"],
            "rank": [1],
        }
    )
    ranked = rank_new_candidates(
        candidates,
        pl.DataFrame(schema={"platform": pl.String, "external_id": pl.String}),
        pl.DataFrame(schema={"normalized_name": pl.String}),
    )
    assert ranked["name"].to_list() == ["Aiko Lyno"]
    assert ranked["normalized_name"].to_list() == ["aiko lyno"]
