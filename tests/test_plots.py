import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest

from vglib import chains, plots


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def labelled(ax):
    return ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_importing_vglib_leaves_matplotlib_settings_alone():
    import importlib

    before = dict(mpl.rcParams)
    importlib.reload(plots)
    assert dict(mpl.rcParams) == before


def test_use_book_style_applies_the_style():
    with mpl.rc_context():
        plots.use_book_style()
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["axes.grid"] is True


def test_plot_signal_draws_each_chain_on_a_log_axis(ax):
    out = plots.plot_signal(ax, {"0.9": chains.signal_after_layers(0.9, 10),
                                 "0.5": chains.signal_after_layers(0.5, 10)}, floor=1e-16)
    assert out is ax and ax.get_yscale() == "log" and labelled(ax)
    lines = ax.get_lines()
    assert np.allclose(lines[0].get_ydata(), 0.9 ** np.arange(11))
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["0.9", "0.5"]


def test_plot_activation_draws_function_and_derivative(ax):
    plots.plot_activation(ax, "tanh", np.linspace(-2, 2, 5))
    f, d = ax.get_lines()[:2]
    assert np.allclose(f.get_ydata(), np.tanh(np.linspace(-2, 2, 5)))
    assert np.allclose(d.get_ydata(), 1 - np.tanh(np.linspace(-2, 2, 5)) ** 2)
    assert labelled(ax)


def test_plot_saturation_shades_where_the_derivative_is_small(ax):
    plots.plot_saturation(ax, "sigmoid", z_max=10, threshold=0.01)
    assert ax.get_xlim() == (-10, 10) and labelled(ax)
    assert len(ax.collections) == 1  # the shaded regions


def test_plot_chain_products_and_grad_norms(ax):
    plots.plot_chain_products(ax, {"sigmoid": chains.activation_chain("sigmoid", 5, 10)}, z=5)
    assert ax.get_yscale() == "log" and "5" in ax.get_title()
    fig, ax2 = plt.subplots()
    plots.plot_grad_norms(ax2, {"relu": np.array([1.0, 0.5, 0.25])})
    assert ax2.get_yscale() == "log" and labelled(ax2)
    assert ax2.get_lines()[0].get_color() == plots.ACTIVATION_COLORS["relu"]
    plt.close(fig)


def test_plot_product_histogram_marks_three_averages(ax):
    from vglib._palette import OKABE_ITO

    sim = chains.flow_simulation(np.random.default_rng(0), n_trials=1000)
    plots.plot_product_histogram(ax, sim, chains.product_stats(sim.relu))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [text.split(" =")[0] for text in legend] == ["mean", "median", "geometric mean"]
    assert [line.get_color() for line in ax.get_lines()] == [
        "black", OKABE_ITO["vermillion"], OKABE_ITO["bluish green"]]
    assert labelled(ax)


def test_the_plots_take_their_colours_from_the_one_palette():
    from vglib import _palette

    assert plots.ACTIVATION_COLORS is _palette.ACTIVATION_COLORS  # what chapters read
    cycle = plots.BOOK_STYLE["axes.prop_cycle"].by_key()["color"]
    assert cycle == list(_palette.ACTIVATION_COLORS.values())
    assert set(_palette.LINE_COLORS) <= set(_palette.ACTIVATION_COLORS.values())


def test_unknown_activation_is_refused(ax):
    with pytest.raises(ValueError, match="activation='sigmo' is unknown"):
        plots.plot_activation(ax, "sigmo")


def test_product_histogram_has_one_bar_per_count_of_large_factors(ax):
    sim = chains.flow_simulation(np.random.default_rng(0), n_trials=2000)
    plots.plot_product_histogram(ax, sim, chains.product_stats(sim.relu))
    heights = np.array([patch.get_height() for patch in ax.patches])
    k = np.round(np.log(sim.relu / 0.5**50) / np.log(3)).astype(int)
    assert len(heights) == k.max() - k.min() + 1
    assert np.array_equal(heights, np.bincount(k - k.min()))


def test_plot_grad_norms_takes_explicit_colours_and_a_label(ax):
    plots.plot_grad_norms(ax, {"he": np.ones(3), "tiny": np.ones(3) * 1e-9},
                          colors={"tiny": "#123456"}, ylabel="signal")
    assert ax.get_lines()[1].get_color() == "#123456"
    assert ax.get_ylabel() == "signal"
