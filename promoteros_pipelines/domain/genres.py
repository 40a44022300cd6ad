"""One genre vocabulary for venues and artists, with parent genres.

Venues describe their rooms broadly ("electronic", "rock"); platforms describe artists narrowly
("techno", "alt rock", "uk drill"). Both are spelt many ways ("hip hop", "Hip-Hop", "rap"). This
module turns every spelling into one canonical name and knows which genres are kinds of which,
so a techno act fits an electronic room and the venue manager's "Artists to watch" is not empty.

* ``canonical("Hip Hop") == "hip-hop"``; a genre we do not know keeps its (lower-cased) name.
* Parents: ``techno`` is a kind of ``electronic``; ``indie pop`` of both ``indie`` and ``pop``.
  A genre we do not know counts as a kind of every known genre named in it: "uk drill" is a
  kind of drill (and so of hip-hop), "melodic techno" a kind of techno.
* ``genre_fit(artist_genres, venue_genres)``: 1.0 for the same genre, ``PARENT_FIT`` when one is
  a kind of the other (techno artist, electronic room), ``RELATED_FIT`` when both are kinds of
  the same genre (techno artist, house room), 0.0 otherwise; the best pair counts.

Pure: no I/O, so reports, custom reports and booking scores all read the same rules.
"""

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

EXACT_FIT = 1.0
PARENT_FIT = 0.6
RELATED_FIT = 0.3
NO_FIT = 0.0

# canonical name -> its direct parents (empty: a family of its own)
PARENTS: dict[str, tuple[str, ...]] = {
    # families
    "rock": (),
    "pop": (),
    "hip-hop": (),
    "electronic": (),
    "soul": (),
    "jazz": (),
    "blues": (),
    "folk": (),
    "country": (),
    "indie": (),
    "alternative": (),
    "world": (),
    "classical": (),
    # rock
    "alt rock": ("rock", "alternative"),
    "indie rock": ("indie", "rock"),
    "hard rock": ("rock",),
    "garage rock": ("rock",),
    "psychedelic rock": ("rock",),
    "grunge": ("alt rock",),
    "punk": ("rock",),
    "post-punk": ("punk",),
    "pop punk": ("punk", "pop"),
    "hardcore": ("punk",),
    "emo": ("punk",),
    "metal": ("rock",),
    "metalcore": ("metal",),
    "death metal": ("metal",),
    "black metal": ("metal",),
    "shoegaze": ("indie rock",),
    # pop
    "indie pop": ("indie", "pop"),
    "k-pop": ("pop",),
    "hyperpop": ("pop", "electronic"),
    "synth-pop": ("pop", "electronic"),
    "dance pop": ("pop", "electronic"),
    "latin pop": ("pop", "latin"),
    # hip-hop
    "drill": ("hip-hop",),
    "trap": ("hip-hop",),
    "grime": ("hip-hop",),
    "boom bap": ("hip-hop",),
    # electronic
    "techno": ("electronic",),
    "house": ("electronic",),
    "deep house": ("house",),
    "tech house": ("house", "techno"),
    "afro house": ("house", "afrobeats"),
    "drum and bass": ("electronic",),
    "dubstep": ("electronic",),
    "uk garage": ("electronic",),
    "trance": ("electronic",),
    "ambient": ("electronic",),
    "disco": ("electronic", "soul"),
    "indietronica": ("indie", "electronic"),
    # soul, r&b, blues
    "r&b": ("soul",),
    "neo soul": ("soul",),
    "funk": ("soul",),
    "gospel": ("soul",),
    # jazz
    "jazz fusion": ("jazz",),
    "nu jazz": ("jazz", "electronic"),
    "swing": ("jazz",),
    # folk and country
    "indie folk": ("indie", "folk"),
    "singer-songwriter": ("folk",),
    "americana": ("country", "folk"),
    "bluegrass": ("country",),
    "alt country": ("country", "alternative"),
    # world
    "afrobeats": ("world",),
    "amapiano": ("afrobeats", "house"),
    "latin": ("world",),
    "reggaeton": ("latin",),
    "salsa": ("latin",),
    "reggae": ("world",),
    "dancehall": ("reggae",),
}

# other spellings -> canonical name (case, hyphens and spacing are ignored anyway)
SYNONYMS: dict[str, str] = {
    "hiphop": "hip-hop",
    "rap": "hip-hop",
    "uk rap": "hip-hop",
    "rock and roll": "rock",
    "rock n roll": "rock",
    "alternative rock": "alt rock",
    "alt": "alternative",
    "punk rock": "punk",
    "heavy metal": "metal",
    "electronica": "electronic",
    "electro": "electronic",
    "edm": "electronic",
    "dance": "electronic",
    "dnb": "drum and bass",
    "d&b": "drum and bass",
    "drum n bass": "drum and bass",
    "drum & bass": "drum and bass",
    "jungle": "drum and bass",
    "garage": "uk garage",
    "ukg": "uk garage",
    "synthpop": "synth-pop",
    "kpop": "k-pop",
    "korean pop": "k-pop",
    "rnb": "r&b",
    "r and b": "r&b",
    "r n b": "r&b",
    "rhythm and blues": "r&b",
    "soul and r&b": "soul",
    "afrobeat": "afrobeats",
    "afropop": "afrobeats",
    "afro pop": "afrobeats",
    "world music": "world",
    "latino": "latin",
    "reggaetón": "reggaeton",
    "singer songwriter": "singer-songwriter",
    "classic": "classical",
    "orchestral": "classical",
}


def _key(name: str) -> str:
    """Spelling-insensitive key: lower case, hyphens/underscores/slashes as spaces."""
    return re.sub(r"[\s\-_/]+", " ", name.strip().lower()).strip()


_BY_KEY: dict[str, str] = {
    **{_key(name): name for name in PARENTS},
    **{_key(alias): name for alias, name in SYNONYMS.items()},
}


def canonical(name: str) -> str:
    """The vocabulary's name for ``name`` (``"Hip Hop"`` -> ``"hip-hop"``); an unknown genre
    comes back lower-cased with its spacing tidied (``" UK  Drill"`` -> ``"uk drill"``)."""
    return _BY_KEY.get(_key(name)) or re.sub(r"\s+", " ", name.strip().lower())


def canonical_list(names: Iterable[str]) -> list[str]:
    """Canonical names, blanks and repeats dropped, in their first order (for storing)."""
    seen: dict[str, None] = {}
    for name in names:
        if name and name.strip():
            seen.setdefault(canonical(name), None)
    return list(seen)


def is_known(name: str) -> bool:
    return _key(name) in _BY_KEY


@functools.cache
def parents(name: str) -> tuple[str, ...]:
    """Direct parents of a canonical genre; for an unknown one, the known genres named in it
    (the longest: "indie rock revival" -> indie rock, not also indie and rock)."""
    if name in PARENTS:
        return PARENTS[name]
    words = _key(name).split()
    spans = {
        (start, end)
        for start in range(len(words))
        for end in range(start + 1, len(words) + 1)
        if (start, end) != (0, len(words)) and " ".join(words[start:end]) in _BY_KEY
    }
    inside = {(s, e) for s, e in spans for a, b in spans if a <= s and e <= b and (a, b) != (s, e)}
    widest = spans - inside
    return tuple(dict.fromkeys(_BY_KEY[" ".join(words[s:e])] for s, e in sorted(widest)))


@functools.cache
def ancestors(name: str) -> frozenset[str]:
    """Every genre ``name`` is a kind of (parents, their parents, ...), itself excluded."""
    found: set[str] = set()
    for parent in parents(name):
        if parent != name:
            found |= {parent} | ancestors(parent)
    return frozenset(found)


def family(name: str) -> str:
    """The broadest genre ``name`` belongs to (the first family reached); itself if none."""
    genre = canonical(name)
    while parents(genre):
        genre = parents(genre)[0]
    return genre


@dataclass(frozen=True)
class GenreMatch:
    """The best-fitting (artist genre, venue genre) pair and how well it fits."""

    score: float
    artist_genre: str | None = None
    venue_genre: str | None = None

    @property
    def describe(self) -> str:
        """Plain words for a report: "techno (electronic)", "alt rock (near metal)"."""
        a, v = self.artist_genre, self.venue_genre
        if self.score == EXACT_FIT:
            return str(a)
        if self.score == PARENT_FIT:
            return f"{a} ({v})" if v in ancestors(str(a)) else f"{a} (covers {v})"
        if self.score == RELATED_FIT:
            return f"{a} (near {v})"
        return ""


def _pair_fit(artist: str, venue: str) -> float:
    if artist == venue:
        return EXACT_FIT
    above_artist, above_venue = ancestors(artist), ancestors(venue)
    if venue in above_artist or artist in above_venue:
        return PARENT_FIT
    if above_artist & above_venue:
        return RELATED_FIT
    return NO_FIT


def best_match(artist_genres: Iterable[str], venue_genres: Iterable[str]) -> GenreMatch:
    """The pair of genres that fits best (ties: the artist's and venue's first genres)."""
    artist = canonical_list(artist_genres)
    venue = canonical_list(venue_genres)
    best = GenreMatch(NO_FIT)
    for a in artist:
        for v in venue:
            score = _pair_fit(a, v)
            if score > best.score:
                best = GenreMatch(score, a, v)
    return best


def genre_fit(artist_genres: Iterable[str], venue_genres: Iterable[str]) -> float:
    """How well an artist's genres fit a venue's, 0-1: the same genre 1.0, one a kind of the
    other 0.6, both kinds of one genre 0.3, else 0.0 (also when either side has no genres)."""
    return best_match(artist_genres, venue_genres).score


def fitting_genres(
    venue_genres: Iterable[str], candidates: Iterable[str], minimum: float = PARENT_FIT
) -> list[str]:
    """The ``candidates`` (genre names as stored on artists) that fit ``venue_genres`` at least
    ``minimum``: lets a query pick a venue's artists with an array overlap on stored names."""
    venue = canonical_list(venue_genres)
    return sorted({c for c in candidates if c and genre_fit([c], venue) >= minimum})
