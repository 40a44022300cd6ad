"""Chart labels taken from data: drawn literally, on one line, without undrawable characters."""

import warnings

from promoteros_pipelines.rendering.charts import momentum_dots, safe_label


def test_labels_from_data_are_flattened_escaped_and_cleaned():
    assert safe_label("Sigur\nRós  $ave\\") == "Sigur Rós \\$ave\\\\"
    assert safe_label("Nine\x06 Inch\ufdd0\U000fdfbc Nails") == "Nine Inch Nails"
    assert safe_label("x" * 50, limit=10) == "x" * 9 + "…"


def test_a_name_in_a_script_the_font_lacks_renders_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        names = ["\U0001d413\U0001d421\U0001d41e Band", "Ólafur"]  # bold maths letters
        svg = momentum_dots(names, [93.0, 88.0], x_label="score", title="Top")
    assert svg.startswith('<img class="chart"')
