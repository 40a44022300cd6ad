"""Artists of the simulated world, tracked in the warehouse for the booking assets' tests."""

import polars as pl

from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.simulator.world import World


def track_simulated(warehouse: PostgresWarehouse, world: World, artist_ids: list[int]) -> None:
    """Track the simulated world's ``artist_ids`` (name, genres, Spotify id) as discovery would."""
    chosen = world.artists.filter(pl.col("artist_id").is_in(artist_ids))
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name, genres)"
        " OVERRIDING SYSTEM VALUE SELECT a, n, lower(n), string_to_array(g, '|')"
        " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS t(a, n, g)",
        (
            chosen["artist_id"].to_list(),
            chosen["name"].to_list(),
            chosen["genres"].list.join("|").to_list(),
        ),
    )
    ids = world.platform_ids.filter(
        pl.col("artist_id").is_in(artist_ids), pl.col("platform") == "spotify"
    ).select("artist_id", "platform", "external_id")
    warehouse.append("artist_platform_ids", ids)
