"""vglib.torch: diagnosis of PyTorch models with hooks, checked against vglib's own diagnosis of
the same network, and to_torch, the same network built in PyTorch with the same weights."""

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from refusals import assert_refused_naming

from vglib import data, models
from vglib.diagnose import THRESHOLDS
from vglib.diagnose import diagnose as vglib_diagnose
from vglib.layers import Dense, Sequential

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional
import vglib.torch as vt  # noqa: E402

NUMBERS = ("grad_norm", "signal", "step_ratio", "act_mean", "act_std", "saturated", "dead")


@pytest.fixture(scope="module")
def spirals():
    return data.spirals(64, np.random.default_rng(0))


def relative_gap(a: float, b: float) -> float:
    if np.isnan(a) and np.isnan(b):
        return 0.0
    return abs(a - b) / max(abs(a), 1e-300)


@pytest.mark.parametrize("settings", [
    dict(activation="sigmoid", init="xavier_normal"),
    dict(activation="relu", norm="batch"),
    dict(activation="tanh", residual=True, norm="layer"),
    dict(activation="leaky_relu", residual=True),
    dict(activation="gelu", norm="batch", residual=True),
], ids=lambda s: "-".join(str(v) for v in s.values()))
def test_the_same_network_gets_the_same_report_from_vglib_and_pytorch(spirals, settings):
    X, y = spirals
    net = models.mlp(2, 16, 6, 2, rng=np.random.default_rng(1), **settings)
    copy = vt.to_torch(net)
    ours = vglib_diagnose(net, X, y, lr=0.05)
    theirs = vt.diagnose(copy, X, y, loss=F.cross_entropy, lr=0.05)
    assert len(theirs.layers) == len(ours.layers)
    assert abs(theirs.loss - ours.loss) <= 1e-12 * ours.loss
    for a, b in zip(ours.layers, theirs.layers, strict=True):
        assert (b.shape, b.activation, b.flags) == (a.shape, a.activation, a.flags)
        assert max(relative_gap(getattr(a, k), getattr(b, k)) for k in NUMBERS) <= 1e-12
    assert theirs.verdict == ours.verdict and theirs.thresholds == THRESHOLDS


def test_to_torch_computes_the_same_outputs_and_gradients(spirals):
    X, y = spirals
    net = models.mlp(2, 8, 3, 2, norm="batch", residual=True, rng=np.random.default_rng(2))
    copy = vt.to_torch(net)
    out = net.forward(X)
    from vglib.losses import softmax_cross_entropy
    _, dout = softmax_cross_entropy(out, y)
    net.backward(dout)
    theirs = copy(torch.tensor(X))
    F.cross_entropy(theirs, torch.tensor(y)).backward()
    assert np.allclose(theirs.detach().numpy(), out, rtol=1e-12, atol=0)
    ours = {name: grad for name, _, grad in net.parameters()}
    pairs = [(g, p.grad.numpy()) for g, (_, p) in zip(ours.values(), copy.named_parameters(),
                                                      strict=True)]
    # relative to the largest gradient: the biases before a BatchNorm have a gradient of exactly
    # 0 in exact arithmetic (the normalisation removes them), so both sides hold rounding noise
    scale = max(np.max(np.abs(g)) for g in ours.values())
    for mine, autograd in pairs:
        autograd = autograd.T if autograd.ndim == 2 else autograd
        assert np.max(np.abs(mine - autograd)) <= 1e-12 * scale
    with pytest.raises(TypeError, match="^model must be a vglib Sequential"):
        vt.to_torch(object())


def sigmoid_stack(depth, width=16, seed=0):
    torch.manual_seed(seed)
    layers, fan_in = [], 2
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.Sigmoid()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(width, 2))


def test_a_deep_sigmoid_model_is_flagged_vanishing_near_its_input(spirals):
    X, y = spirals
    report = vt.diagnose(sigmoid_stack(20), X, y, loss=F.cross_entropy)
    assert "vanishing" in report.layers[0].flags
    assert report.layers[-1].flags == ()
    assert [lay.shape for lay in report.layers[:2]] == [(2, 16), (16, 16)]
    assert all(lay.activation == "sigmoid" for lay in report.layers[:-1])
    assert report.verdict.startswith("Vanishing in layers 1-")


def test_a_learning_rate_that_throws_the_weights_away_is_flagged_exploding(spirals):
    X, y = spirals
    model = sigmoid_stack(2)
    calm = vt.diagnose(model, X, y, loss=F.cross_entropy, lr=1e-2)
    wild = vt.diagnose(model, X, y, loss=F.cross_entropy, lr=1e4)
    assert not any("exploding" in lay.flags for lay in calm.layers)
    assert all("exploding" in lay.flags for lay in wild.layers)
    assert all(lay.step_ratio > THRESHOLDS["exploding_step"] for lay in wild.layers)


def healthy_residual(seed=0, width=32, blocks=4):
    torch.manual_seed(seed)
    body = [vt.Residual(nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width),
                                      nn.ReLU())) for _ in range(blocks)]
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), *body, nn.Linear(width, 2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_healthy_residual_model_gets_no_flag(spirals, seed):
    X, y = spirals
    report = vt.diagnose(healthy_residual(seed), X, y, loss=F.cross_entropy)
    assert report.flags == {lay.name: [] for lay in report.layers}
    assert report.verdict.startswith("Healthy") and report.notes == ""
    assert [lay.name for lay in report.layers][:2] == ["0", "2.block.0"]


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Linear(2, 8), nn.Linear(8, 2)

    def forward(self, x):
        return self.second(F.relu(self.first(x)))


def test_an_activation_called_as_a_function_is_reported_as_unseen(spirals):
    X, y = spirals
    torch.manual_seed(0)
    report = vt.diagnose(Functional(), X, y, loss=F.cross_entropy)
    first = report.layers[0]
    assert first.activation is None and np.isnan(first.dead)
    assert "between layer 1 and the next Linear" in report.notes
    assert "F.relu" in report.notes and "F.relu" in report.table().notes


def test_hooks_modes_and_gradients_are_restored_even_when_the_pass_fails(spirals):
    X, y = spirals
    model = healthy_residual(blocks=2)
    model[2].eval()  # a mixed state: one block in evaluation mode
    modes = {m: m.training for m in model.modules()}
    sentinel = torch.full_like(model[0].weight, 7.0)
    model[0].weight.grad = sentinel

    def broken_loss(out, target):
        raise RuntimeError("a loss that fails")

    with pytest.raises(RuntimeError, match="a loss that fails"):
        vt.diagnose(model, X, y, loss=broken_loss, train=False)
    vt.diagnose(model, X, y, loss=F.cross_entropy, train=False)
    for m in model.modules():
        assert not m._forward_hooks and m.training == modes[m]
    assert model[0].weight.grad is sentinel
    assert all(p.grad is None for name, p in model.named_parameters() if name != "0.weight")


def test_train_false_uses_the_running_statistics_and_train_true_the_batch(spirals):
    X, y = spirals
    model = healthy_residual(blocks=1)
    before = model[2].block[1].running_mean.clone()
    vt.diagnose(model, X, y, loss=F.cross_entropy, train=False)
    assert torch.equal(model[2].block[1].running_mean, before)
    vt.diagnose(model, X, y, loss=F.cross_entropy, train=True)
    assert not torch.equal(model[2].block[1].running_mean, before)


def test_a_linear_layer_that_runs_twice_is_refused(spirals):
    X, y = spirals
    shared = nn.Linear(2, 2)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = shared

        def forward(self, x):
            return self.shared(torch.tanh(self.shared(x)))

    with pytest.raises(ValueError, match="'shared' ran twice in one forward pass"):
        vt.diagnose(Tied(), X, y, loss=F.cross_entropy)


def test_float32_models_tensors_and_a_loss_that_overflows(spirals):
    X, y = spirals
    model = sigmoid_stack(3).float()
    by_array = vt.diagnose(model, X, y, loss=F.cross_entropy)
    by_tensor = vt.diagnose(model, torch.tensor(X, dtype=torch.float32), torch.tensor(y),
                            loss=F.cross_entropy)
    assert [lay.grad_norm for lay in by_array.layers] == [lay.grad_norm for lay in
                                                          by_tensor.layers]
    huge = sigmoid_stack(1)
    with torch.no_grad():
        huge[-1].weight.fill_(1e38)
    with pytest.raises(ValueError, match="the loss is"):
        vt.diagnose(huge.float(), X * 1e30, y, loss=F.cross_entropy)


def test_bad_arguments_are_refused_naming_them(spirals):
    X, y = spirals
    model = sigmoid_stack(1)
    ok = dict(loss=F.cross_entropy)
    for call, argname in [
        (lambda: vt.diagnose(Sequential([Dense(2, 2, rng=np.random.default_rng(0))]), X, y,
                             **ok), "module"),
        (lambda: vt.diagnose(model, X, y, loss="cross_entropy"), "loss"),
        (lambda: vt.diagnose(model, X, y, lr=-1.0, **ok), "lr"),
        (lambda: vt.diagnose(model, X, y, lr="0.1", **ok), "lr"),
        (lambda: vt.diagnose(model, X, y, train="False", **ok), "train"),
        (lambda: vt.diagnose(model, "X", y, **ok), "X"),
        (lambda: vt.diagnose(model, np.full_like(X, np.nan), y, **ok), "X"),
        (lambda: vt.diagnose(model, X, y[:10], **ok), "y"),  # as vglib.diagnose says
        (lambda: vt.diagnose(nn.Sequential(nn.ReLU()), X, y, **ok), "module"),
    ]:
        assert_refused_naming(call, argname)


def test_digits_are_split_by_class_standardised_on_the_training_rows_and_seeded():
    if importlib.util.find_spec("sklearn") is None:  # importing it would cost over a second
        pytest.skip("scikit-learn is not installed")
    X_train, y_train, X_test, y_test = data.digits(np.random.default_rng(0))
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    counts = np.bincount(y_train, minlength=10) + np.bincount(y_test, minlength=10)
    assert counts.sum() == 1797 and (np.abs(np.bincount(y_test) / counts - 0.25) < 0.02).all()
    inked = X_train.std(axis=0) > 0
    assert np.allclose(X_train.mean(axis=0), 0) and np.allclose(X_train.std(axis=0)[inked], 1)
    again = data.digits(np.random.default_rng(0))
    other = data.digits(np.random.default_rng(1))
    assert np.array_equal(again[0], X_train) and not np.array_equal(other[0], X_train)
    assert_refused_naming(lambda: data.digits(np.random.default_rng(0), test_fraction=0.0),
                          "test_fraction")
    assert_refused_naming(lambda: data.digits(np.random.default_rng(0), test_fraction=1.0),
                          "test_fraction")
    assert_refused_naming(lambda: data.digits(0), "rng")


def test_digits_are_scikit_learns_table_read_directly_or_through_load_digits(monkeypatch):
    datasets = pytest.importorskip("sklearn.datasets")
    bunch = datasets.load_digits()
    direct = data._digits_table()
    assert np.array_equal(direct[0], bunch.data) and np.array_equal(direct[1], bunch.target)
    real_find_spec = importlib.util.find_spec

    def moved(name, *args):  # a scikit-learn that keeps the table elsewhere
        spec = real_find_spec(name, *args)
        if name == "sklearn":
            spec = copy.copy(spec)
            spec.submodule_search_locations = [str(Path(__file__).parent)]
        return spec

    calls = []
    monkeypatch.setattr(importlib.util, "find_spec", moved)
    monkeypatch.setattr(datasets, "load_digits", lambda: calls.append(1) or bunch)
    fallback = data._digits_table()
    assert calls == [1]
    assert np.array_equal(fallback[0], bunch.data) and fallback[1].dtype == np.int64
    assert np.array_equal(fallback[1], bunch.target)


def test_digits_without_scikit_learn_say_what_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real_find_spec(name, *a))
    with pytest.raises(ImportError, match="needs scikit-learn"):
        data.digits(np.random.default_rng(0))


def test_importing_vglib_imports_neither_torch_nor_scikit_learn():
    code = ("import sys, vglib, vglib.diagnose, vglib.data, vglib.probe, vglib.train\n"
            "import importlib.util, numpy as np\n"
            "if importlib.util.find_spec('sklearn'):  # reading the digits needs no import\n"
            "    vglib.data.digits(np.random.default_rng(0))\n"
            "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
