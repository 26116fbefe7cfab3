"""vglib.tables: one table, shown as HTML in notebooks and the book and as aligned text."""

import re

import numpy as np
import pytest

from vglib.diagnose import diagnose
from vglib.models import mlp
from vglib.tables import TEXT_WIDTH, Mark, Table


def sample():
    return Table(["activation", "accuracy", "loss", "note"],
                 [["sigmoid", "50.0%", 0.6931, Mark("stalls")],
                  ["relu", "98.8%", 0.0412, Mark("trains", tone="good")]],
                 title="final training accuracy", notes="5 seeds; the median is shown.",
                 formats={"loss": ".3f"})


def test_text_form_aligns_numbers_right_and_words_left():
    lines = repr(sample()).splitlines()
    assert lines[0] == "final training accuracy"
    assert lines[1].split() == ["activation", "accuracy", "loss", "note"]
    assert lines[2] == "sigmoid        50.0%  0.693  \u25b2 stalls"
    assert lines[3] == "relu           98.8%  0.041  \u2713 trains"
    assert lines[-1] == "5 seeds; the median is shown."
    assert str(sample()) == repr(sample())


def test_html_form_is_a_table_with_a_caption_header_cells_and_aligned_numbers():
    page = sample()._repr_html_()
    assert page.startswith('<div class="vgtable"') and page.endswith("</div>")
    assert "<caption" in page and "final training accuracy</caption>" in page
    assert len(re.findall(r'<th scope="col"', page)) == 4
    assert '<td style="text-align:right;white-space:nowrap">0.693</td>' in page
    assert '<td style="text-align:left">sigmoid</td>' in page
    # a flag is a symbol and a word, with a colour that is never the only signal
    assert re.search(r'<span class="vgtable-bad"[^>]*>\u25b2 stalls</span>', page)
    assert "<p>5 seeds; the median is shown.</p>" in page
    assert sample()._repr_html_() == page  # deterministic, so nbval can compare it


def test_html_escapes_cells_and_titles():
    page = Table(["a<b"], [["x & y"]], title='"quoted" <title>')._repr_html_()
    assert "a&lt;b" in page and "x &amp; y" in page and "&lt;title&gt;" in page
    assert "<title>" not in page


def test_column_groups_span_their_columns_in_both_forms():
    table = Table(["layer", "loss", "acc", "loss", "acc"], [[1, 0.5, 0.9, 0.4, 0.95]],
                  groups=[("", 1), ("sigmoid", 2), ("relu", 2)])
    assert '<th colspan="2" scope="colgroup"' in table._repr_html_()
    header = repr(table).splitlines()[0]
    assert "sigmoid" in header and header.index("sigmoid") < header.index("relu")


def test_floats_ints_bools_and_nan_are_formatted():
    table = Table(["x", "n", "ok", "y"], [[1 / 3, 7, True, float("nan")]])
    assert repr(table).splitlines()[1].split() == ["0.333", "7", "yes", "NaN"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"columns": [], "rows": []}, "columns must name at least one column"),
    ({"columns": ["a", " "], "rows": []}, r"columns\[1\] is empty"),
    ({"columns": ["a", "b"], "rows": [[1]]}, r"rows\[0\] has 1 cells; columns has 2"),
    ({"columns": ["a"], "rows": [[1]], "formats": {"b": ".2f"}}, "formats names columns"),
    ({"columns": ["a", "b"], "rows": [[1, 2]], "groups": [("g", 3)]}, "groups span 3 columns"),
])
def test_bad_tables_are_refused_with_the_argument_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Table(**kwargs)


def test_a_mark_with_an_unknown_tone_is_refused():
    with pytest.raises(ValueError, match="tone='loud' is unknown"):
        Mark("x", tone="loud")


def test_a_diagnose_report_shows_as_a_compact_text_table_and_an_html_table():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 2))
    y = (X[:, 0] > 0).astype(int)
    model = mlp(2, 16, 10, 2, activation="sigmoid", init="xavier_normal",
                rng=np.random.default_rng(1))
    report = diagnose(model, X, y, lr=0.1)
    text = repr(report)
    assert not text.startswith("Report(")  # not a dataclass dump
    assert max(len(line) for line in text.splitlines()) <= TEXT_WIDTH
    assert "\u25bc vanishing" in text and text.replace("\n", " ").endswith(report.verdict)
    page = report._repr_html_()
    assert page.count("<tr>") == len(report.layers) + 1
    assert "\u25bc vanishing</span>" in page and f"<p>{report.verdict}</p>" in page


def test_depths_with_a_plus_and_missing_values_keep_a_column_right_aligned():
    table = Table(["recipe", "depth"], [["residual", "1024+"], ["sigmoid", "none"],
                                        ["relu", "192"]])
    assert repr(table).splitlines()[1:] == ["residual  1024+", "sigmoid    none",
                                            "relu        192"]
