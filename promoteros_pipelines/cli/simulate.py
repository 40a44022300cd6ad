"""``promoteros simulate``: run the simulated platform APIs for development and demos."""

import datetime as dt

import click


def _moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@click.group("simulate")
def command() -> None:
    """Run the simulated world (Spotify, YouTube, TikTok, Instagram, Bandsintown APIs)."""


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8790, show_default=True, type=int)
@click.option(
    "--seed", default=None, type=int, help="Same seed, same world. Default: this home's, or 7."
)
@click.option(
    "--artists", default=None, type=int, help="World size. Default: this home's world, or 2,000."
)
@click.option(
    "--present",
    default=None,
    help="Anchor the world's present here (ISO 8601, UTC). Default: the world `promoteros "
    "demo` anchored in PROMOTEROS_HOME, or the current 6-hour window (then remembered).",
)
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
    help="Simulated time to start the clock at (ISO 8601, UTC); default: the wall clock.",
)
def serve(
    host: str,
    port: int,
    seed: int | None,
    artists: int | None,
    present: str | None,
    speed: float,
    start_at: str | None,
) -> None:
    """Serve the simulator until interrupted; platform base URLs are http://HOST:PORT/<platform>.

    The world lives in the present: it continues the history the demo wrote, in real time.
    """
    import uvicorn

    from promoteros_pipelines.runtime.simulated_world import anchor_world
    from promoteros_pipelines.simulator import SimClock, create_app, generate_world
    from promoteros_pipelines.simulator.server import make_config

    wall = dt.datetime.now(dt.UTC)
    anchored = _moment(present)
    if anchored is None or seed is None or artists is None:
        home = anchor_world(wall)
        anchored = anchored or home.present
        seed = home.seed if seed is None else seed
        artists = home.artists if artists is None else artists
    world = generate_world(seed=seed, n_artists=artists, present=anchored)
    now = _moment(start_at) or wall
    app = create_app(world, SimClock(now, speed=speed))
    click.echo(
        f"Simulated world: seed {seed}, {artists:,} artists, present {anchored:%Y-%m-%d %H:%M} "
        f"UTC, clock at {now:%Y-%m-%d %H:%M:%S} UTC x{speed:g}. Base URLs: "
        f"http://{host}:{port}/<spotify|youtube|tiktok|instagram|bandsintown>"
    )
    uvicorn.Server(make_config(app, host, port, log_level="warning")).run()
