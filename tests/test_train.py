
import numpy as np
import pytest
from refusals import assert_refused_naming

from vglib import NonFiniteError, data
from vglib.layers import BatchNorm, Dense, Sequential
from vglib.losses import mse
from vglib.models import mlp
from vglib.optim import SGD, Adam, global_grad_norm
from vglib.train import TRACED_WEIGHTS, History, accuracy, fit


@pytest.fixture
def moons(rng):
    return data.moons(256, rng, noise=0.1)


def test_fit_learns_the_moons_and_reports_every_epoch(moons, rng):
    X, y = moons
    model = mlp(2, 32, 2, 2, rng=rng)
    history = fit(model, X, y, optimizer=Adam(lr=0.01), epochs=30, batch_size=64, rng=rng)
    assert isinstance(history, History)
    assert history.epoch_loss.shape == history.epoch_accuracy.shape == (30,)
    assert history.step_loss.shape == (30 * 4,) and history.steps_per_epoch == 4
    assert history.epoch_loss[-1] < 0.3 * history.epoch_loss[0]
    assert history.epoch_accuracy[-1] == accuracy(model, X, y) > 0.95


def test_records_have_one_column_per_layer_and_one_row_per_recorded_step(moons, rng):
    X, y = moons
    model = mlp(2, 8, 3, 2, rng=rng)
    history = fit(model, X, y, optimizer=SGD(lr=0.1), epochs=3, batch_size=64, rng=rng,
                  record_every=5)
    assert list(history.steps) == [1, 6, 11]
    assert history.layer_names == ["0", "2", "4", "6"]
    assert history.activation_names == ["1", "3", "5"]
    assert history.grad_norms.shape == history.update_ratios.shape == (3, 4)
    assert history.weight_traces.shape == (3, 4, TRACED_WEIGHTS)
    assert history.initial_weights.shape == (4, TRACED_WEIGHTS)
    for stat in (history.act_mean, history.act_std, history.act_saturated, history.act_dead):
        assert stat.shape == (3, 3)
    assert np.allclose(history.record_epochs, [0.25, 1.5, 2.75])
    assert (history.grad_norms > 0).all() and (history.update_ratios > 0).all()
    assert ((history.act_dead >= 0) & (history.act_dead <= 1)).all()


def test_update_ratio_of_plain_sgd_is_lr_times_gradient_over_weights(moons, rng):
    X, y = moons
    model = mlp(2, 8, 1, 2, rng=rng)
    W0 = model.layers[0].params["W"].copy()
    history = fit(model, X, y, optimizer=SGD(lr=0.05), epochs=1, batch_size=256, rng=rng)
    expected = 0.05 * history.grad_norms[0, 0] / np.linalg.norm(W0)
    assert history.update_ratios[0, 0] == pytest.approx(expected)
    traced = np.linspace(0, W0.size - 1, TRACED_WEIGHTS).astype(int)
    assert np.allclose(history.initial_weights[0], W0.ravel()[traced])


def test_no_recording_is_allowed_and_same_seed_gives_same_training(moons):
    X, y = moons

    def run():
        rng = np.random.default_rng(7)
        model = mlp(2, 8, 2, 2, rng=rng)
        return fit(model, X, y, optimizer=SGD(lr=0.1), epochs=2, batch_size=32, rng=rng,
                   record_every=None)

    first, second = run(), run()
    assert np.array_equal(first.step_loss, second.step_loss)
    assert first.grad_norms.shape == (0, 3) and first.steps.size == 0


def test_regression_with_mse_has_no_accuracy(rng):
    X = rng.standard_normal((64, 2))
    y = (X[:, :1] * 2.0 - X[:, 1:]).astype(float)
    model = mlp(2, 16, 1, 1, rng=rng)
    history = fit(model, X, y, loss=mse, optimizer=Adam(lr=0.02), epochs=40, batch_size=16,
                  rng=rng, record_every=None)
    assert np.isnan(history.epoch_accuracy).all()
    assert history.epoch_loss[-1] < 0.1 * history.epoch_loss[0]


@pytest.mark.parametrize("clip, check", [
    (1e-3, lambda m: global_grad_norm(m) <= 1e-3 * (1 + 1e-9)),
    (("value", 1e-4), lambda m: max(np.abs(g).max() for _, _, g in m.parameters()) <= 1e-4),
])
def test_clipping_is_applied_before_every_step(moons, rng, clip, check):
    X, y = moons
    model = mlp(2, 8, 2, 2, rng=rng)

    class Checking(SGD):
        def step(self, model):
            assert check(model)
            super().step(model)

    fit(model, X, y, optimizer=Checking(lr=0.1), epochs=1, batch_size=64, rng=rng, clip=clip)


def test_divergence_stops_with_a_floating_point_error_naming_step_and_layer(moons, rng):
    X, y = moons
    model = mlp(2, 16, 6, 2, rng=rng)
    with pytest.raises(FloatingPointError, match=r"training stopped at step \d+ \(epoch 1\): "
                                                 r"the output of layer \d+ \(\w+\)") as info:
        fit(model, X * 1e3, y, optimizer=SGD(lr=1e4), epochs=3, batch_size=64, rng=rng)
    assert isinstance(info.value, NonFiniteError)


def test_progress_prints_a_line_per_epoch(moons, rng, capsys):
    X, y = moons
    fit(mlp(2, 4, 1, 2, rng=rng), X, y, optimizer=SGD(lr=0.1), epochs=2, batch_size=128,
        rng=rng, progress=True, record_every=None)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "accuracy" in lines[0]


def test_bad_input_is_refused(moons, rng):
    X, y = moons
    model = mlp(2, 4, 1, 2, rng=rng)
    opt = SGD(lr=0.1)
    kwargs = dict(optimizer=opt, epochs=1, batch_size=32, rng=rng)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        fit(model, X, y, **{**kwargs, "epochs": 0})
    with pytest.raises(ValueError, match="batch_size must be at most the number of rows"):
        fit(model, X, y, **{**kwargs, "batch_size": 500})
    with pytest.raises(ValueError, match="one label per row of X"):
        fit(model, X, y[:5], **kwargs)
    with pytest.raises(TypeError, match="optimizer must have a step"):
        fit(model, X, y, **{**kwargs, "optimizer": "sgd"})
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        fit("mlp", X, y, **kwargs)
    with pytest.raises(ValueError, match="clip must be in"):
        fit(model, X, y, **kwargs, clip=-1.0)
    with pytest.raises(ValueError, match="record_every must be an integer >= 1"):
        fit(model, X, y, **kwargs, record_every=0)
    with pytest.raises(TypeError, match="loss must be a loss function"):
        fit(model, X, y, **kwargs, loss="mse")
    with pytest.raises(ValueError, match=r"y must have one label per row of X \(256 rows\)"):
        accuracy(model, X, y[:3])


def test_step_grad_norm_is_the_global_norm_before_clipping(moons, rng):
    X, y = moons
    model = mlp(2, 8, 2, 2, rng=rng)
    seen = []

    class Recording(SGD):
        def step(self, model):  # runs after clipping: the norm here is at most the limit
            seen.append(global_grad_norm(model))
            super().step(model)

    h = fit(model, X, y, optimizer=Recording(lr=0.1), epochs=2, batch_size=64, rng=rng,
            clip=1e-3, record_every=None)
    assert h.step_grad_norm.shape == h.step_loss.shape == (8,)
    assert np.all(h.step_grad_norm > 1e-3)  # unclipped norms, all above the limit here
    assert np.allclose(seen, 1e-3)


def _offset_data(rng, n=200):
    """Two features, the first near 10 for every row, and every label 0: with BatchNorm's
    starting statistics (mean 0, variance 1) the first logit always wins, while a BatchNorm in
    training mode centres both columns and the winner becomes a coin flip."""
    X = np.column_stack([10.0 + rng.standard_normal(n), rng.standard_normal(n)])
    return X, np.zeros(n, dtype=np.int64)


def test_accuracy_is_measured_in_inference_mode_and_changes_no_statistics(rng):
    X, y = _offset_data(rng)
    bn = BatchNorm(2)
    model = Sequential([bn])
    assert accuracy(model, X, y) == 1.0
    assert np.array_equal(bn.running_mean, [0.0, 0.0]) and np.array_equal(bn.running_var, [1, 1])
    training_mode = np.mean(model.forward(X, train=True).argmax(axis=1) == y)
    assert training_mode < 0.7  # what accuracy would report if it ran the model in training mode


def test_fit_reports_the_accuracy_of_the_model_in_inference_mode(rng):
    X, y = _offset_data(rng)
    model = Sequential([BatchNorm(2, momentum=0.0)])  # running statistics stay at (0, 1)
    history = fit(model, X, y, optimizer=SGD(lr=1e-9), epochs=2, batch_size=50, rng=rng,
                  record_every=None)
    assert np.array_equal(history.epoch_accuracy, [1.0, 1.0])
    assert np.mean(model.forward(X, train=True).argmax(axis=1) == y) < 0.7


def test_fit_skips_the_last_partial_batch_and_sees_each_row_once_per_epoch(rng):
    # 100 rows in batches of 32: three full batches per epoch (96 rows), the 4 left over skipped
    n, batch_size, epochs = 100, 32, 3
    X = rng.standard_normal((n, 2))
    row_ids = np.arange(n, dtype=np.float64).reshape(n, 1)  # y carries each row's number
    batches, steps = [], []

    def recording_mse(pred, target):
        batches.append(target[:, 0].astype(int))
        return mse(pred, np.zeros_like(pred))

    class Counting(SGD):
        def step(self, model):
            steps.append(len(batches))
            super().step(model)

    history = fit(Sequential([Dense(2, 1, rng=rng)]), X, row_ids, loss=recording_mse,
                  optimizer=Counting(lr=0.01), epochs=epochs, batch_size=batch_size, rng=rng,
                  record_every=None)
    assert history.steps_per_epoch == 3 and history.step_loss.shape == (9,)
    assert steps == list(range(1, 10))  # one optimiser step per batch
    assert [len(rows) for rows in batches] == [batch_size] * 9
    per_epoch = [np.concatenate(batches[3 * e:3 * e + 3]) for e in range(epochs)]
    for rows in per_epoch:
        assert len(np.unique(rows)) == 96 and rows.min() >= 0 and rows.max() < n
    assert not np.array_equal(per_epoch[0], per_epoch[1])  # a new order every epoch
    assert len({tuple(np.setdiff1d(np.arange(n), rows)) for rows in per_epoch}) > 1
    assert np.allclose(history.epoch_loss, history.step_loss.reshape(3, 3).mean(axis=1))


def test_every_record_is_what_the_network_held_at_its_step(moons, rng):
    from vglib import probe

    X, y = moons
    model = mlp(2, 6, 2, 2, activation="tanh", rng=rng)
    dense = probe.dense_layers(model)
    acts = [layer for _, layer in probe.leaves(model) if probe.is_activation(layer)]
    seen = []

    class Spy(SGD):  # what each step saw, measured independently of fit's records
        def step(self, model):
            grads = [np.linalg.norm(layer.grads["W"]) for _, layer in dense]
            before = [layer.params["W"].copy() for _, layer in dense]
            super().step(model)
            after = [layer.params["W"] for _, layer in dense]
            picks = [np.linspace(0, w.size - 1, TRACED_WEIGHTS).astype(int) for w in after]
            seen.append({
                "grad": grads,
                "ratio": [np.linalg.norm(w - w0) / np.linalg.norm(w0)
                          for w, w0 in zip(after, before, strict=True)],
                "trace": [w.ravel()[p] for w, p in zip(after, picks, strict=True)],
                "mean": [layer.y.mean() for layer in acts],
                "std": [layer.y.std() for layer in acts],
                "sat": [probe.activation_stats(layer).saturated for layer in acts],
                "dead": [probe.activation_stats(layer).dead for layer in acts],
            })

    h = fit(model, X, y, optimizer=Spy(lr=0.5), epochs=2, batch_size=64, rng=rng,
            record_every=3)
    assert h.steps.tolist() == [1, 4, 7]
    for row, step in enumerate(h.steps):
        at = seen[step - 1]
        assert np.allclose(h.grad_norms[row], at["grad"], rtol=1e-12)
        assert np.allclose(h.update_ratios[row], at["ratio"], rtol=1e-12)
        assert np.allclose(h.weight_traces[row], np.array(at["trace"]), rtol=0, atol=0)
        for key, table in (("mean", h.act_mean), ("std", h.act_std), ("sat", h.act_saturated),
                           ("dead", h.act_dead)):
            assert np.allclose(table[row], at[key], rtol=1e-12, atol=1e-15), key
    assert (h.act_std > 0).all() and (h.update_ratios > 0).all()


def test_progress_lines_give_the_epoch_loss_and_the_accuracy_when_classifying(moons, rng,
                                                                              capsys):
    X, y = moons
    h = fit(mlp(2, 4, 1, 2, rng=rng), X, y, optimizer=SGD(lr=0.1), epochs=2, batch_size=128,
            rng=rng, progress=True, record_every=None)
    assert capsys.readouterr().out.splitlines() == [
        f"epoch {e}/2: loss {h.epoch_loss[e - 1]:.4f}, accuracy {h.epoch_accuracy[e - 1]:.3f}"
        for e in (1, 2)]
    target = X[:, :1] * 2.0
    h = fit(mlp(2, 4, 1, 1, rng=rng), X, target, loss=mse, optimizer=SGD(lr=0.01), epochs=1,
            batch_size=128, rng=rng, progress=True, record_every=None)
    assert capsys.readouterr().out == f"epoch 1/1: loss {h.epoch_loss[0]:.4f}\n"


@pytest.mark.parametrize("clip, kind", [(0.01, "norm"), (("norm", 0.01), "norm"),
                                        (("value", 1e-4), "value")])
def test_clip_chooses_between_the_global_norm_and_each_element(moons, rng, clip, kind):
    X, y = moons
    model = mlp(2, 8, 1, 2, rng=rng)
    seen = []

    class Spy(SGD):
        def step(self, model):
            grads = np.concatenate([g.ravel() for _, _, g in model.parameters()])
            seen.append((np.linalg.norm(grads), np.abs(grads).max()))
            super().step(model)

    h = fit(model, X, y, optimizer=Spy(lr=0.1), epochs=1, batch_size=64, rng=rng, clip=clip,
            record_every=None)
    norms, largest = np.array(seen).T
    if kind == "norm":  # the whole gradient rescaled to norm 0.01 (its norm was larger)
        assert np.allclose(norms, 0.01) and np.all(h.step_grad_norm > 0.01)
    else:  # each element clipped: the largest is the limit, the norm is not rescaled
        assert np.allclose(largest, 1e-4) and np.all(norms > 1e-4)
    with pytest.raises(TypeError, match="^clip must be a real number"):
        fit(model, X, y, optimizer=SGD(lr=0.1), epochs=1, batch_size=64, rng=rng,
            clip=("max", 1.0))


def _net():
    return mlp(2, 4, 1, 2, rng=np.random.default_rng(0))


_X, _Y = np.random.default_rng(0).standard_normal((8, 2)), np.arange(8) % 2
_FIT = dict(optimizer=SGD(0.1), epochs=1, batch_size=4, rng=np.random.default_rng(0))

# every argument fit and accuracy check, each refused with a message that starts with its name
BAD_ARGUMENTS = {
    "fit model": (lambda: fit("net", _X, _Y, **_FIT), "model"),
    "fit X": (lambda: fit(_net(), _X[:, 0], _Y, **_FIT), "X"),
    "fit y": (lambda: fit(_net(), _X, _Y[:5], **_FIT), "y"),
    "fit labels": (lambda: fit(_net(), _X, _Y + 0.5, **_FIT), "y"),
    "fit loss": (lambda: fit(_net(), _X, _Y, **_FIT, loss="mse"), "loss"),
    "fit epochs": (lambda: fit(_net(), _X, _Y, **{**_FIT, "epochs": 0}), "epochs"),
    "fit batch_size": (lambda: fit(_net(), _X, _Y, **{**_FIT, "batch_size": 0}), "batch_size"),
    "fit batch_size > n": (lambda: fit(_net(), _X, _Y, **{**_FIT, "batch_size": 9}),
                           "batch_size"),
    "fit rng": (lambda: fit(_net(), _X, _Y, **{**_FIT, "rng": 0}), "rng"),
    "fit optimizer": (lambda: fit(_net(), _X, _Y, **{**_FIT, "optimizer": None}), "optimizer"),
    "fit clip": (lambda: fit(_net(), _X, _Y, **_FIT, clip=0.0), "clip"),
    "fit clip value": (lambda: fit(_net(), _X, _Y, **_FIT, clip=("value", -1.0)), "clip"),
    "fit record_every": (lambda: fit(_net(), _X, _Y, **_FIT, record_every=0), "record_every"),
    "fit progress": (lambda: fit(_net(), _X, _Y, **_FIT, progress="yes"), "progress"),
    "accuracy model": (lambda: accuracy(None, _X, _Y), "model"),
    "accuracy X": (lambda: accuracy(_net(), "X", _Y), "X"),
    "accuracy y": (lambda: accuracy(_net(), _X, _Y[:3]), "y"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case):
    assert_refused_naming(*BAD_ARGUMENTS[case])


def test_by_default_fit_records_every_step_and_prints_nothing(moons, rng, capsys):
    X, y = moons
    h = fit(mlp(2, 4, 1, 2, rng=rng), X, y, optimizer=SGD(lr=0.1), epochs=2, batch_size=128,
            rng=rng)
    assert h.steps.tolist() == [1, 2, 3, 4] and h.steps.dtype == np.int64
    assert capsys.readouterr().out == ""
    quiet = fit(mlp(2, 4, 1, 2, rng=rng), X, y, optimizer=SGD(lr=0.1), epochs=1,
                batch_size=128, rng=rng, record_every=None)
    assert quiet.steps.dtype == np.int64 and quiet.weight_traces.shape == (0, 2, TRACED_WEIGHTS)


def test_fit_runs_the_model_in_training_mode(rng):
    X = rng.standard_normal((64, 2)) + 4.0
    bn = BatchNorm(2)
    fit(Sequential([bn, Dense(2, 2, rng=rng)]), X, np.arange(64) % 2, optimizer=SGD(lr=0.01),
        epochs=1, batch_size=32, rng=rng, record_every=None)
    assert np.all(bn.running_mean > 0.5)  # two training-mode batches moved it towards 4


def test_an_update_that_breaks_the_network_on_the_whole_data_stops_training(moons, rng):
    X, y = moons

    class Blowup(SGD):  # the last step of epoch 1 leaves finite weights, 1e200 times too large
        steps = 0

        def step(self, model):
            super().step(model)
            self.steps += 1
            if self.steps == 2:
                for _, param, _ in model.parameters():
                    param *= 1e200

    with np.errstate(over="ignore"), pytest.raises(
            NonFiniteError, match=r"^training stopped after step 2 \(epoch 1\), whose update "
                                  r"left the network producing NaN or inf: "):
        fit(mlp(2, 8, 2, 2, rng=rng), X, y, optimizer=Blowup(lr=0.1), epochs=1,
            batch_size=128, rng=rng, record_every=None)


def test_fit_and_accuracy_name_the_type_they_refuse(moons):
    X, y = moons
    with pytest.raises(TypeError, match="^model must be a vglib layer or Sequential; got str$"):
        fit("mlp", X, y, optimizer=SGD(0.1), epochs=1, batch_size=8,
            rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="got dict$"):
        accuracy({}, X, y)


def test_a_first_layer_that_overflows_stops_training_with_an_error_not_a_warning(rng):
    # 1e308 x 10 - 1e308 x 10: both products overflow and their sum is NaN (numpy's "overflow"
    # and "invalid" warnings); fit silences them and reports the layer instead
    model = Sequential([Dense(2, 1, init=0.0, rng=rng)])
    model.layers[0].params["W"][:, 0] = [10.0, -10.0]
    X = np.full((2, 2), 1e308)
    with pytest.raises(NonFiniteError, match=r"^training stopped at step 1 \(epoch 1\): the "
                                             r"output of layer 0 \(Dense\)"):
        fit(model, X, np.zeros((2, 1)), loss=mse, optimizer=SGD(0.1), epochs=1, batch_size=1,
            rng=rng, record_every=None)
