"""Trending candidates from every discovery source, one source's failure not stopping the rest."""

from collections.abc import Callable, Mapping

import polars as pl

from promoteros_pipelines.resources.platforms.errors import PlatformError
from promoteros_pipelines.resources.platforms.pulls import candidates_frame


def fetch_trending_candidates(
    sources: Mapping[str, Callable[[], pl.DataFrame]],
) -> tuple[pl.DataFrame, dict[str, PlatformError]]:
    """Call each source (e.g. ``{"spotify": spotify.fetch_trending}``) and stack the results.

    Returns the candidates (name, platform, external_id, source, rank) and, per failed source,
    the error, so an asset can report it and still use the others.
    """
    frames, errors = [], {}
    for name, fetch in sources.items():
        try:
            frames.append(fetch())
        except PlatformError as exc:
            errors[name] = exc
    return (pl.concat(frames) if frames else candidates_frame([])), errors
