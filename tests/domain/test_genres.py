"""The genre vocabulary: one spelling per genre, parents, and how well an artist fits a room."""

import pytest

from promoteros_pipelines.domain.genres import (
    EXACT_FIT,
    NO_FIT,
    PARENT_FIT,
    PARENTS,
    RELATED_FIT,
    SYNONYMS,
    ancestors,
    best_match,
    canonical,
    canonical_list,
    family,
    fitting_genres,
    genre_fit,
)
from promoteros_pipelines.simulator.names import GENRES as SIMULATED_GENRES


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("hip hop", "hip-hop"),
        ("Hip-Hop", "hip-hop"),
        ("HIPHOP", "hip-hop"),
        ("rap", "hip-hop"),
        ("  Alternative   Rock ", "alt rock"),
        ("R&B", "r&b"),
        ("rnb", "r&b"),
        ("Drum & Bass", "drum and bass"),
        ("electronica", "electronic"),
        ("K Pop", "k-pop"),
        (" UK  Drill", "uk drill"),  # unknown: kept, tidied
    ],
)
def test_every_spelling_has_one_name(written, expected):
    assert canonical(written) == expected


def test_lists_are_canonical_without_blanks_or_repeats():
    written = ["Hip Hop", "rap", "", "  ", "Techno", "hip-hop"]
    assert canonical_list(written) == ["hip-hop", "techno"]


def test_the_taxonomy_is_closed_and_acyclic():
    for name, direct in PARENTS.items():
        assert canonical(name) == name
        for parent in direct:
            assert parent in PARENTS, f"{name}'s parent {parent} is not in the vocabulary"
        assert name not in ancestors(name)
    for alias, name in SYNONYMS.items():
        assert name in PARENTS, f"synonym {alias!r} points at unknown {name!r}"


def test_parents_reach_the_families():
    assert ancestors("techno") == {"electronic"}
    assert ancestors("indie pop") == {"indie", "pop"}
    assert ancestors("death metal") == {"metal", "rock"}
    assert ancestors("grunge") == {"alt rock", "rock", "alternative"}
    # an unknown genre is a kind of the known genres named in it, the longest only
    assert ancestors("uk drill") == {"drill", "hip-hop"}
    assert ancestors("indie rock revival") == {"indie rock", "indie", "rock"}
    assert ancestors("vaporwave") == frozenset()
    assert family("hyperpop") == "pop" and family("jazz") == "jazz"


@pytest.mark.parametrize(
    ("artist", "venue", "fit"),
    [
        (["techno"], ["techno"], EXACT_FIT),
        (["hip hop"], ["hip-hop"], EXACT_FIT),  # spelling does not matter
        (["rap"], ["Hip-Hop"], EXACT_FIT),
        (["techno"], ["electronic"], PARENT_FIT),  # artist is a kind of the room's genre
        (["alt rock"], ["rock"], PARENT_FIT),
        (["death metal"], ["rock"], PARENT_FIT),  # grandparent counts as parent
        (["uk drill"], ["hip-hop"], PARENT_FIT),
        (["electronic"], ["techno"], PARENT_FIT),  # artist broader than the room
        (["techno"], ["house"], RELATED_FIT),  # both electronic
        (["metal"], ["punk"], RELATED_FIT),  # both rock
        (["jazz"], ["rock"], NO_FIT),
        ([], ["rock"], NO_FIT),
        (["rock"], [], NO_FIT),
        # the best of several genres counts
        (["jazz", "techno"], ["indie", "electronic"], PARENT_FIT),
        (["jazz", "techno"], ["electronic", "jazz"], EXACT_FIT),
    ],
)
def test_genre_fit_exact_beats_parent_beats_nothing(artist, venue, fit):
    assert genre_fit(artist, venue) == fit


def test_fit_levels_are_ordered_and_within_zero_to_one():
    assert 1.0 == EXACT_FIT > PARENT_FIT > RELATED_FIT > NO_FIT == 0.0


def test_the_match_says_which_genres_fit_in_plain_words():
    assert best_match(["techno"], ["electronic"]).describe == "techno (electronic)"
    assert best_match(["electronic"], ["techno"]).describe == "electronic (covers techno)"
    assert best_match(["house"], ["techno"]).describe == "house (near techno)"
    assert best_match(["Hip Hop"], ["hip-hop"]).describe == "hip-hop"
    assert best_match(["jazz"], ["rock"]).describe == ""


def test_fitting_genres_pick_stored_names_for_a_venue():
    stored = ["techno", "hip hop", "indie pop", "house", "jazz", "dark techno", ""]
    assert fitting_genres(["electronic"], stored) == ["dark techno", "house", "techno"]
    assert fitting_genres(["hip-hop", "indie"], stored) == ["hip hop", "indie pop"]
    assert fitting_genres(["techno"], stored, minimum=RELATED_FIT) == [
        "dark techno",
        "house",
        "techno",
    ]


def test_simulated_and_shipped_genres_share_the_vocabulary():
    for genre in SIMULATED_GENRES:
        assert canonical(genre) == genre, f"simulator genre {genre!r} is not canonical"
        assert genre in PARENTS
