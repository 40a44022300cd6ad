"""A synthetic music world served with the real platforms' API shapes (see ``world`` and ``app``).

Imports nothing from the rest of the project, so it can run as a stand-alone service.
"""

from promoteros_pipelines.simulator.api_spotify_youtube import PLAYLISTS
from promoteros_pipelines.simulator.app import create_app
from promoteros_pipelines.simulator.control import SimClock
from promoteros_pipelines.simulator.episodes import EPISODE_KINDS
from promoteros_pipelines.simulator.lookalikes import LOOKALIKE_KINDS
from promoteros_pipelines.simulator.observed import observed_metrics_at, platform_down
from promoteros_pipelines.simulator.server import SimulatorServer
from promoteros_pipelines.simulator.touring import ticket_sales_at
from promoteros_pipelines.simulator.world import (
    PLATFORM_METRICS,
    PLATFORMS,
    SCRAPED_METRICS,
    World,
    generate_world,
    metrics_at,
    trending_at,
)

__all__ = [
    "EPISODE_KINDS",
    "LOOKALIKE_KINDS",
    "PLATFORMS",
    "PLATFORM_METRICS",
    "PLAYLISTS",
    "SCRAPED_METRICS",
    "SimClock",
    "SimulatorServer",
    "World",
    "create_app",
    "generate_world",
    "metrics_at",
    "observed_metrics_at",
    "platform_down",
    "ticket_sales_at",
    "trending_at",
]
