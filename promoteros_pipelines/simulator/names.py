"""Vocabulary and vectorised generators for artist names, platform ids and handles.

Everything here draws from a numpy ``Generator`` handed in by the caller, so the world stays a
pure function of its seed. No per-row Python loops: names are built by indexing numpy string
arrays and concatenating polars columns.
"""

import numpy as np
import polars as pl

FIRST_NAMES = [
    "Ava",
    "Bea",
    "Cal",
    "Dani",
    "Eli",
    "Finn",
    "Gia",
    "Hugo",
    "Ines",
    "Jude",
    "Kai",
    "Lena",
    "Milo",
    "Nora",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sami",
    "Tove",
    "Uma",
    "Vik",
    "Wren",
    "Xan",
    "Yara",
    "Zed",
    "Ada",
    "Bo",
    "Cleo",
    "Dex",
    "Ezra",
    "Faye",
    "Gus",
    "Hana",
    "Ivo",
    "Jana",
    "Kit",
    "Lior",
    "Mae",
    "Noa",
    "Otis",
    "Priya",
    "Remy",
    "Sol",
    "Theo",
    "Ugo",
    "Vera",
    "Wes",
    "Yuki",
    "Zara",
    "Zoë",
    "Renée",
    "Björn",
    "Élodie",
    "Joaquín",
    "Søren",
    "Anaïs",
    "Chloé",
    "Maëlle",
    "Dušan",
    "Ñico",
    "Léa",
    "Mia",
    "Jonas",
    "Tariq",
    "Imani",
    "Kofi",
    "Aiko",
    "Mateo",
    "Nadia",
]
SYLLABLES = [
    "ka",
    "lo",
    "ri",
    "ven",
    "mar",
    "sol",
    "tek",
    "ni",
    "ra",
    "vo",
    "lu",
    "sha",
    "del",
    "mi",
    "no",
    "ze",
    "bel",
    "ta",
    "cor",
    "fin",
    "ga",
    "ly",
    "ro",
    "sen",
    "dra",
    "qui",
    "mo",
    "bar",
    "el",
    "an",
    "tis",
    "vyn",
    "ko",
    "pa",
    "rez",
    "lin",
    "dor",
    "ve",
    "hal",
]
ADJECTIVES = [
    "Velvet",
    "Neon",
    "Paper",
    "Silver",
    "Hollow",
    "Golden",
    "Quiet",
    "Electric",
    "Lunar",
    "Crystal",
    "Wild",
    "Midnight",
    "Static",
    "Amber",
    "Cobalt",
    "Honey",
    "Glass",
    "Northern",
    "Violet",
    "Scarlet",
    "Feral",
    "Tender",
    "Secret",
    "Solar",
    "Burning",
    "Frozen",
    "Broken",
    "Lucky",
    "Cosmic",
    "Gentle",
]
NOUNS = [
    "Harbor",
    "Comet",
    "Tiger",
    "Garden",
    "Wolf",
    "Echo",
    "Parade",
    "Lantern",
    "River",
    "Signal",
    "Ghost",
    "Machine",
    "Orchard",
    "Sparrow",
    "Canyon",
    "Mirror",
    "Engine",
    "Tide",
    "Satellite",
    "Raven",
    "Meadow",
    "Anthem",
    "Circuit",
    "Falcon",
    "Ember",
    "Saint",
    "Rebel",
    "Cowboy",
    "Daydream",
    "Fountain",
]
PREFIXES = ("DJ", "Lil", "MC", "Young", "Big")
GENRES = (
    "indie pop",
    "hip-hop",
    "techno",
    "r&b",
    "afrobeats",
    "alt rock",
    "country",
    "latin",
    "house",
    "folk",
    "k-pop",
    "drill",
    "jazz",
    "metal",
    "hyperpop",
)

BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
BASE64URL = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", np.uint8
)
HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def _pick(rng: np.random.Generator, words: tuple[str, ...] | list[str], n: int) -> np.ndarray:
    return np.asarray(words)[rng.integers(0, len(words), n)]


def _syllable_word(rng: np.random.Generator, n: int, k: int) -> pl.Series:
    parts = [pl.Series(_pick(rng, SYLLABLES, n)) for _ in range(k)]
    word = pl.concat_str(parts) if k > 1 else parts[0]
    return pl.select(word.str.to_titlecase()).to_series()


def draw_names(rng: np.random.Generator, n: int) -> pl.Series:
    """Readable artist names in four styles: person, band, single word, prefixed stage name."""
    style = rng.choice(4, size=n, p=[0.4, 0.25, 0.2, 0.15])
    person = pl.Series(_pick(rng, FIRST_NAMES, n)) + " " + _syllable_word(rng, n, 2)
    adjective = pl.Series(_pick(rng, ADJECTIVES, n))
    classic = "The " + adjective + " " + pl.Series(_pick(rng, NOUNS, n)) + "s"
    band = pl.Series(
        np.where(rng.random(n) < 0.3, classic, adjective + " " + _syllable_word(rng, n, 2))
    )
    single = _syllable_word(rng, n, 3)
    prefixed = pl.Series(_pick(rng, PREFIXES, n)) + " " + _syllable_word(rng, n, 3)
    frame = pl.DataFrame({"s": style, "a": person, "b": band, "c": single, "d": prefixed})
    return frame.select(
        pl.when(pl.col("s") == 0)
        .then("a")
        .when(pl.col("s") == 1)
        .then("b")
        .when(pl.col("s") == 2)
        .then("c")
        .otherwise("d")
        .alias("name")
    ).to_series()


def ascii_key(names: pl.Expr) -> pl.Expr:
    """Lowercase ASCII letters and digits only: the basis of handles and uniqueness checks."""
    return (
        names.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all("ß", "ss")
        .str.replace_all(r"[^a-z0-9 ]", "")
        .str.strip_chars()
    )


def unique_names(rng: np.random.Generator, n: int) -> pl.Series:
    """Draw names until every name has a distinct ASCII key, so handles and lookups are unique."""
    names = draw_names(rng, n)
    for _ in range(50):
        keys = pl.select(ascii_key(pl.lit(names)).str.replace_all(" ", "")).to_series()
        # Keep the first of each duplicated group; redraw the others.
        redraw = (~keys.is_first_distinct()).to_numpy()
        if not redraw.any():
            return names
        values = names.to_numpy().astype(object)
        values[redraw] = draw_names(rng, int(redraw.sum())).to_numpy()
        names = pl.Series("name", values, dtype=pl.String)
    # Vanishingly unlikely; a number keeps the promise of uniqueness regardless.
    keys = pl.select(ascii_key(pl.lit(names)).str.replace_all(" ", "")).to_series()
    suffix = pl.Series(np.arange(n)).cast(pl.String)
    return pl.select(
        pl.when(keys.is_first_distinct()).then(names).otherwise(names + " " + suffix)
    ).to_series()


def random_strings(
    rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray
) -> pl.Series:
    """``n`` random strings of ``length`` characters drawn from ``alphabet`` (ASCII bytes)."""
    codes = alphabet[rng.integers(0, len(alphabet), (n, length))]
    raw = np.ascontiguousarray(codes).view(f"S{length}").ravel()
    return pl.Series(raw.astype(f"U{length}"), dtype=pl.String)


def spotify_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """22-character base62 ids, the shape of Spotify artist ids."""
    return random_strings(rng, n, 22, BASE62)


def youtube_channel_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """``UC`` followed by 22 base64url characters, the shape of YouTube channel ids."""
    return "UC" + random_strings(rng, n, 22, BASE64URL)


def hex_ids(rng: np.random.Generator, n: int, length: int = 32) -> pl.Series:
    return random_strings(rng, n, length, HEX)
