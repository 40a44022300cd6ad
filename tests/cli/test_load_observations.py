"""``promoteros load observations``: a history file in, all or nothing, idempotent."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from promoteros_pipelines.cli import main
from promoteros_pipelines.defs.discovery.store import ArtistToTrack, track_artists
from promoteros_pipelines.defs.metrics.history import load_history
from promoteros_pipelines.domain.observation_csv import ObservationFileError

HEADER = "platform,external_id,artist_name,metric,value,observed_at\n"
GOOD = (
    "spotify,sp-nova,Nova Lights,followers,1200,2025-03-01T06:00:00Z\n"
    "spotify,sp-nova,Nova Lights,followers,1300,2025-03-01T12:00:00+00:00\n"
    "youtube,yt-nova,Nova Lights,likes,55,2025-03-01 12:00:00\n"
    "tiktok,tt-harbour,Quiet Harbour,followers,900.5,2025-03-01T12:00:00+02:00\n"
)


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "history.csv"
    path.write_text(header + body)
    return path


@pytest.fixture
def runner(monkeypatch, database_url) -> CliRunner:
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return CliRunner()


def observations(warehouse) -> list[tuple]:
    return warehouse.read_frame(
        "SELECT a.name, o.platform, o.metric, o.observed_at, o.value, o.source"
        " FROM promoteros.metric_observations o JOIN promoteros.artists a USING (artist_id)"
        " ORDER BY a.name, o.platform, o.observed_at"
    ).rows()


def test_a_history_creates_its_artists_and_loads_once(warehouse, tmp_path):
    path = write(tmp_path, GOOD)
    summary = load_history(warehouse, path, source="label-history")
    assert (summary.rows_read, summary.inserted_or_changed, summary.artists_created) == (4, 4, 2)
    rows = observations(warehouse)
    assert [(name, platform, value) for name, platform, _, _, value, _ in rows] == [
        ("Nova Lights", "spotify", 1200.0),
        ("Nova Lights", "spotify", 1300.0),
        ("Nova Lights", "youtube", 55.0),
        ("Quiet Harbour", "tiktok", 900.5),
    ]
    assert {source for *_, source in rows} == {"label-history"}
    # the offset is honoured, and a timestamp without one is UTC
    assert rows[3][3].isoformat() == "2025-03-01T10:00:00+00:00"
    assert rows[2][3].isoformat() == "2025-03-01T12:00:00+00:00"
    ids = warehouse.read_frame(
        "SELECT a.name, a.source, p.platform, p.external_id FROM promoteros.artists a"
        " JOIN promoteros.artist_platform_ids p USING (artist_id) ORDER BY 1, 3"
    ).rows()
    assert ids == [
        ("Nova Lights", "import", "spotify", "sp-nova"),
        ("Nova Lights", "import", "youtube", "yt-nova"),
        ("Quiet Harbour", "import", "tiktok", "tt-harbour"),
    ]

    again = load_history(warehouse, path, source="label-history")
    assert (again.inserted_or_changed, again.artists_created) == (0, 0)
    assert observations(warehouse) == rows


def test_known_artists_are_matched_and_other_sources_are_not_overwritten(warehouse, tmp_path):
    outcomes, _ = track_artists(
        warehouse, [ArtistToTrack("Nova Lights", "nova lights", {"spotify": "sp-nova"}, "t", "t")]
    )
    nova = outcomes[0].artist_id
    with warehouse.connect() as conn:
        conn.execute(
            "INSERT INTO promoteros.metric_observations"
            " (artist_id, platform, metric, observed_at, value, source)"
            " VALUES (%s, 'spotify', 'followers', '2025-03-01T06:00:00Z', 1111, 'api')",
            (nova,),
        )
    summary = load_history(warehouse, write(tmp_path, GOOD))
    assert summary.artists_created == 1  # Quiet Harbour; Nova by its Spotify id, YouTube added
    kept = warehouse.read_frame(
        "SELECT value, source FROM promoteros.metric_observations"
        " WHERE artist_id = $1 AND observed_at = '2025-03-01T06:00:00Z'",
        [nova],
    ).rows()
    assert kept == [(1111.0, "api")]
    youtube = warehouse.read_frame(
        "SELECT artist_id FROM promoteros.artist_platform_ids WHERE external_id = 'yt-nova'"
    )
    assert youtube.rows() == [(nova,)]


def test_a_later_line_for_the_same_moment_wins(warehouse, tmp_path):
    body = GOOD + "spotify,sp-nova,Nova Lights,followers,1250,2025-03-01T06:00:00Z\n"
    summary = load_history(warehouse, write(tmp_path, body))
    assert summary.observations == 4
    values = [value for _, p, _, _, value, _ in observations(warehouse) if p == "spotify"]
    assert values == [1250.0, 1300.0]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("myspace,ms-1,Nova Lights,followers,10,2025-03-01T06:00:00Z", "platform 'myspace'"),
        ("spotify,sp-1,Nova Lights,followers,lots,2025-03-01T06:00:00Z", "value 'lots' is not"),
        (
            "spotify,sp-1,Nova Lights,followers,-5,2025-03-01T06:00:00Z",
            "value '-5' is not a finite count >= 0",
        ),
        ("spotify,sp-1,Nova Lights,followers,10,01/03/2025 06:00", "observed_at '01/03/2025"),
        ("spotify,sp-1,Nova Lights,hearts,10,2025-03-01T06:00:00Z", "metric 'hearts'"),
        ("spotify,,Nova Lights,followers,10,2025-03-01T06:00:00Z", "external_id is empty"),
    ],
)
def test_a_bad_row_names_its_line_and_nothing_is_loaded(warehouse, tmp_path, line, expected):
    path = write(tmp_path, GOOD + line + "\n" + GOOD.replace("sp-nova", "sp-other"))
    with pytest.raises(ObservationFileError) as error:
        load_history(warehouse, path)
    message = str(error.value)
    assert f"line 6: {expected}" in message
    assert "1 bad rows; nothing was loaded" in message
    assert warehouse.read_table("metric_observations").is_empty()
    assert warehouse.read_table("artists").is_empty()


def test_a_missing_column_is_named(warehouse, tmp_path):
    path = write(
        tmp_path, "spotify,sp-1,Nova,followers,10\n", header=HEADER.replace(",observed_at", "")
    )
    with pytest.raises(ObservationFileError, match=r"line 1: missing column\(s\) observed_at"):
        load_history(warehouse, path)


def test_many_bad_rows_are_counted_and_the_first_shown(warehouse, tmp_path):
    bad = "".join(f"spotify,sp-{n},X,followers,NaN,2025-03-01T06:00:00Z\n" for n in range(25))
    with pytest.raises(ObservationFileError) as error:
        load_history(warehouse, write(tmp_path, bad))
    message = str(error.value)
    assert "25 bad rows" in message and "line 2: value 'NaN'" in message
    assert "... and 15 more bad rows" in message


def test_the_command_loads_and_reports_bad_files_without_a_traceback(runner, warehouse, tmp_path):
    ok = runner.invoke(main, ["load", "observations", str(write(tmp_path, GOOD))])
    assert ok.exit_code == 0, ok.output
    assert "4 inserted or changed" in ok.output and "2 newly tracked" in ok.output
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text(HEADER + "spotify,sp-9,Y,followers,1,not-a-time\n")
    bad = runner.invoke(main, ["load", "observations", str(bad_file)])
    assert bad.exit_code == 1
    assert "line 2: observed_at 'not-a-time'" in bad.output
    assert "Traceback" not in bad.output
    assert len(observations(warehouse)) == 4


def test_scraper_rows_waiting_for_a_new_artist_are_filed_beside_the_file(warehouse, tmp_path):
    with warehouse.connect() as conn:
        conn.execute(
            "INSERT INTO promoteros.pending_observations"
            " (platform, external_id, metric, observed_at, value) VALUES"
            " ('tiktok', 'tt-harbour', 'followers', '2025-03-01T10:00:00Z', 111),"
            " ('tiktok', 'tt-harbour', 'followers', '2025-03-02T10:00:00Z', 950)"
        )
    load_history(warehouse, write(tmp_path, GOOD))
    harbour = [
        (at.isoformat(), value, source)
        for name, _, _, at, value, source in observations(warehouse)
        if name == "Quiet Harbour"
    ]
    assert harbour == [  # the file's value at the moment both have, the scraper's after it
        ("2025-03-01T10:00:00+00:00", 900.5, "import"),
        ("2025-03-02T10:00:00+00:00", 950.0, "scraper"),
    ]
    assert warehouse.read_table("pending_observations").is_empty()
