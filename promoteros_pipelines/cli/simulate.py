"""``promoteros simulate``: run the simulated platform APIs for development and demos."""

import datetime as dt

import click


@click.group("simulate")
def command() -> None:
    """Run the simulated world (Spotify, YouTube, TikTok, Instagram, Bandsintown APIs)."""


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8790, show_default=True, type=int)
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same world.")
@click.option("--artists", default=2_000, show_default=True, type=int, help="World size.")
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=float,
    help="Simulated seconds per wall-clock second (0 freezes the clock).",
)
@click.option(
    "--now",
    "start_at",
    default=None,
    help="Simulated time to start at (ISO 8601, UTC); default: the world's present day.",
)
def serve(
    host: str, port: int, seed: int, artists: int, speed: float, start_at: str | None
) -> None:
    """Serve the simulator until interrupted; platform base URLs are http://HOST:PORT/<platform>."""
    import uvicorn

    from promoteros_pipelines.simulator import SimClock, create_app, generate_world
    from promoteros_pipelines.simulator.server import make_config

    world = generate_world(seed=seed, n_artists=artists)
    now = dt.datetime.fromisoformat(start_at) if start_at else world.present
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    app = create_app(world, SimClock(now, speed=speed))
    click.echo(
        f"Simulated world: seed {seed}, {artists:,} artists, clock at {now.isoformat()} "
        f"x{speed:g}. Base URLs: http://{host}:{port}/<spotify|youtube|tiktok|instagram|"
        "bandsintown>"
    )
    uvicorn.Server(make_config(app, host, port, log_level="info")).run()
