"""Artist discovery: from raw trending candidates to a short, explained list of new artists.

Candidates arrive as (name, platform, external_id, source, rank) from several sources (Spotify
playlists, YouTube's chart, TikTok video search). The steps, each a pure polars function:

1. **Normalise names** so the same artist matches across sources: drop "feat." parts and
   YouTube's " - Topic" suffix, strip accents, casefold, ``&`` -> "and", punctuation to spaces,
   collapse whitespace. The **match key** is the normalised name without spaces, so a TikTok
   username ``zoemarlowe`` meets "Zoë Marlowe".
2. **De-duplicate** by match key: one row per artist with its best-ranked display name, an id
   per platform and every (source, rank) appearance.
3. **Remove tracked artists**: first by any platform id already in ``artist_platform_ids``,
   then by normalised name.
4. **Score** (0-100): each appearance is worth ``weight(source) x (1 - (rank - 1) / 100)``
   (rank 1 = 1.0, rank 100 = 0.01); the score is ``50 x`` the sum, capped at 100. A number-one
   spot on one viral source scores 50; being near the top of two sources scores near 100.
   Weights: 1.0 for sources whose name contains "viral", 0.8 otherwise.
5. **Top N** by score, best rank, then name, each with a plain-English reason.
"""

import re
import unicodedata

import polars as pl

ID_PLATFORMS = ("spotify", "youtube", "tiktok", "instagram")
_FEAT = r"(?i)\s*[\(\[]?\s*\b(feat\.?|ft\.?|featuring)\s.*$"
_TOPIC = r"(?i)\s*-\s*topic\s*$"
# Letters NFKD does not decompose, spelled the way people type them.
_FOLD = {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}


def normalize_name(name: str) -> str:
    """Scalar twin of ``normalized_name`` for one name (e.g. a watch request)."""
    text = re.sub(_TOPIC, "", name)
    text = re.sub(_FEAT, "", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.casefold()
    for letter, plain in _FOLD.items():
        text = text.replace(letter, plain)
    text = text.replace("&", " and ")
    text = re.sub("['\u2019`]", "", text)
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def normalized_name(names: pl.Expr) -> pl.Expr:
    """The normalised form of a column of names (see the module docstring)."""
    text = (
        names.str.replace(_TOPIC, "")
        .str.replace(_FEAT, "")
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_many(list(_FOLD), list(_FOLD.values()))
        .str.replace_all("&", " and ", literal=True)
        .str.replace_all("['\u2019`]", "")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return text


def match_key(normalized: pl.Expr) -> pl.Expr:
    return normalized.str.replace_all(" ", "", literal=True)


def deduplicate_candidates(candidates: pl.DataFrame) -> pl.DataFrame:
    """One row per artist across sources.

    Returns match_key, name, normalized_name, best_rank, appearances (list of struct
    source/rank, best first), sources (list[str]) and one ``<platform>_id`` column per platform.
    """
    rows = (
        candidates.filter(pl.col("name").is_not_null() & (pl.col("name") != ""))
        .group_by("platform", "external_id", "source")
        .agg(pl.col("name").sort_by("rank").first(), pl.col("rank").min())
        .with_columns(normalized_name=normalized_name(pl.col("name")))
        # YouTube's auto-generated "Name - Topic" channels carry the artist's name plus noise.
        .with_columns(pl.col("name").str.replace(_TOPIC, "").str.strip_chars())
        .with_columns(match_key=match_key(pl.col("normalized_name")))
        .filter(pl.col("match_key") != "")
        # Handles (TikTok usernames) make poor display names; prefer a real name.
        .with_columns(is_handle=pl.col("platform") == "tiktok")
        .sort("is_handle", "rank", "source", "external_id")
    )
    ids = [
        pl.col("external_id").filter(pl.col("platform") == p).first().alias(f"{p}_id")
        for p in ID_PLATFORMS
    ]
    return (
        rows.group_by("match_key", maintain_order=True)
        .agg(
            pl.col("name").first(),
            pl.col("normalized_name").first(),
            pl.col("rank").min().alias("best_rank"),
            pl.struct("source", "rank").sort_by("rank").alias("appearances"),
            pl.col("source").unique(maintain_order=True).alias("sources"),
            *ids,
        )
        .sort("match_key")
    )


def remove_tracked(
    deduplicated: pl.DataFrame,
    tracked_platform_ids: pl.DataFrame,
    tracked_artists: pl.DataFrame,
) -> pl.DataFrame:
    """Drop candidates already tracked: by any platform id first, then by normalised name.

    ``tracked_platform_ids`` has platform, external_id; ``tracked_artists`` has
    ``normalized_name`` or ``name``.
    """
    candidate_ids = deduplicated.unpivot(
        index="match_key",
        on=[f"{p}_id" for p in ID_PLATFORMS],
        variable_name="platform",
        value_name="external_id",
    ).with_columns(pl.col("platform").str.strip_suffix("_id"))
    by_id = candidate_ids.join(
        tracked_platform_ids.select("platform", "external_id"),
        on=["platform", "external_id"],
        how="semi",
    ).select("match_key")
    names = (
        tracked_artists.select(pl.col("normalized_name"))
        if "normalized_name" in tracked_artists.columns
        else tracked_artists.select(normalized_name(pl.col("name")).alias("normalized_name"))
    )
    by_name = names.select(match_key(pl.col("normalized_name")).alias("match_key"))
    known = pl.concat([by_id, by_name]).unique()
    return deduplicated.join(known, on="match_key", how="anti", maintain_order="left")


def _source_label(source: pl.Expr) -> pl.Expr:
    return source.str.replace_all(r"[:_]", " ")


def score_candidates(deduplicated: pl.DataFrame) -> pl.DataFrame:
    """Add ``score`` (0-100) and ``reason`` (plain English) per the module docstring."""
    appearances = (
        deduplicated.select("match_key", "appearances")
        .explode("appearances")
        .unnest("appearances")
        .with_columns(
            points=pl.when(pl.col("source").str.contains("viral")).then(1.0).otherwise(0.8)
            * (1 - (pl.col("rank").clip(1, 101) - 1) / 100),
            said=pl.format("#{} on {}", pl.col("rank"), _source_label(pl.col("source"))),
        )
        .group_by("match_key")
        .agg(
            (pl.col("points").sum() * 50).clip(upper_bound=100).round(1).alias("score"),
            pl.col("said").sort_by("rank").str.join(", ").alias("said"),
            pl.col("source").n_unique().alias("n_sources"),
        )
    )
    reason = pl.format("Trending on {} source(s): {}", pl.col("n_sources"), pl.col("said")).alias(
        "reason"
    )
    return (
        deduplicated.join(appearances, on="match_key", how="left").with_columns(reason).drop("said")
    )


def top_candidates(scored: pl.DataFrame, top_n: int) -> pl.DataFrame:
    return scored.sort(["score", "best_rank", "name"], descending=[True, False, False]).head(top_n)


def rank_new_candidates(
    candidates: pl.DataFrame,
    tracked_platform_ids: pl.DataFrame,
    tracked_artists: pl.DataFrame,
    top_n: int = 50,
) -> pl.DataFrame:
    """The whole discovery step: normalise, de-duplicate, drop tracked, score, keep the top N.

    Returns name, normalized_name, score, reason, sources, n_sources, best_rank and
    spotify_id/youtube_id/tiktok_id/instagram_id (null where unknown), best first.
    """
    deduplicated = deduplicate_candidates(candidates)
    fresh = remove_tracked(deduplicated, tracked_platform_ids, tracked_artists)
    return top_candidates(score_candidates(fresh), top_n).select(
        "name",
        "normalized_name",
        "score",
        "reason",
        "sources",
        "n_sources",
        "best_rank",
        *[f"{p}_id" for p in ID_PLATFORMS],
    )
