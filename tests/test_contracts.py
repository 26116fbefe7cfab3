"""Property tests of vglib's public contract: every public function, given odd or wrong input,
returns a correct finite result or raises ``ValueError``/``TypeError`` (``NonFiniteError`` is a
``ValueError``) whose message names the argument. Never another exception, never NaN or inf
returned silently.

Each ``Call`` below is one public function with a valid set of arguments. One argument at a time
is replaced by an odd value (wrong types, ``None``, strings, bools, NaN, inf, ``10**400``,
``1e308``, huge counts, negative and fractional numbers, empty, ragged and wrongly shaped arrays,
arrays of extreme finite values, other dtypes): every such value exhaustively, then values drawn
by hypothesis (arrays of random shapes, dtypes and entries, numbers of any size). Hypothesis
runs a fixed set of examples by default and many more, new each time, with
``python -m pytest --slow``."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vglib import (
    activations,
    chains,
    check,
    data,
    diagnose,
    gradcheck,
    init,
    layers,
    losses,
    models,
    optim,
    recurrent,
    tables,
    train,
)

# ---------------------------------------------------------------------------- odd values

ODD_SCALARS = [
    None, "3", "", b"1", True, False, 0, -1, 1.5, -0.5, 10**400, -(10**400), 10**12,
    1e308, -1e308, 1e-308, float("nan"), float("inf"), -float("inf"), 1 + 2j, [], {}, (),
    object(), np.float32(2.5), np.int64(3), np.bool_(True),
]


def _with(shape, index, value):
    out = np.ones(shape)
    out.reshape(-1)[index] = value
    return out


# ---------------------------------------------------------------------------- the calls

@dataclass
class Call:
    """``fn(**kwargs)``, with ``array_args`` fuzzed by ``odd_arrays`` and the rest by
    ``ODD_SCALARS``; ``result_ok`` checks a result (default: every number in it is finite)."""

    name: str
    fn: Callable
    kwargs: Callable[[], dict]  # a fresh set of valid arguments
    arrays: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()  # arguments that take anything (e.g. a learner's answer)
    result_ok: Callable | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # argument -> name in the message

    def __repr__(self) -> str:
        return self.name


def _rng():
    return np.random.default_rng(0)


def _net():
    return models.mlp(2, 4, 2, 2, activation="tanh", rng=_rng())


def _trained_net():
    net = _net()
    logits = net.forward(np.ones((5, 2)))
    net.backward(np.ones_like(logits))
    return net


def _method(make, method):
    def call(**kwargs):
        return getattr(make(), method)(**kwargs)
    return call


def _layer_forward(make, **extra):
    def call(x, train=True):
        return make().forward(x, train=train)
    return call


def _layer_backward(make, x):
    def call(dy):
        layer = make()
        layer.forward(x)
        return layer.backward(dy)
    return call


X5 = np.linspace(-1, 1, 10).reshape(5, 2)
Y5 = np.array([0, 1, 0, 1, 1])

CALLS = [
    # activations and init
    *[Call(f"activations.{n}.forward", activations.get(n).forward,
           lambda: {"z": np.linspace(-3, 3, 6)}, arrays=("z",)) for n in activations.names()],
    *[Call(f"activations.{n}.derivative", activations.get(n).derivative,
           lambda: {"z": np.linspace(-3, 3, 6)}, arrays=("z",)) for n in activations.names()],
    Call("activations.get", activations.get, lambda: {"name": "relu"},
         aliases={"name": "activation"}),
    Call("init.get", init.get, lambda: {"name": "xavier_uniform"}, aliases={"name": "init"}),
    *[Call(f"init.{n}", lambda fan_in, fan_out, rng, n=n: init.get(n)(fan_in, fan_out, rng),
           lambda: {"fan_in": 3, "fan_out": 4, "rng": _rng()}) for n in init.names()],
    Call("init.std_of", init.std_of, lambda: {"name": "he_normal", "fan_in": 3, "fan_out": 4},
         aliases={"name": "init"}),
    Call("init.recommended_for", init.recommended_for, lambda: {"activation": "tanh"}),
    # layers
    Call("Dense", layers.Dense, lambda: {"fan_in": 2, "fan_out": 3, "init": "he_normal",
                                         "rng": _rng()}),
    Call("Dense.forward", _layer_forward(lambda: layers.Dense(2, 3, rng=_rng())),
         lambda: {"x": X5, "train": True}, arrays=("x",)),
    Call("Dense.backward", _layer_backward(lambda: layers.Dense(2, 3, rng=_rng()), X5),
         lambda: {"dy": np.ones((5, 3))}, arrays=("dy",)),
    Call("Activation", layers.Activation, lambda: {"name": "gelu"},
         aliases={"name": "activation"}),
    Call("PReLU", layers.PReLU, lambda: {"dim": 2, "init": 0.25}),
    Call("PReLU.forward", _layer_forward(lambda: layers.PReLU(2)),
         lambda: {"x": X5, "train": True}, arrays=("x",)),
    Call("BatchNorm", layers.BatchNorm, lambda: {"dim": 2, "eps": 1e-5, "momentum": 0.1}),
    Call("BatchNorm.forward", _layer_forward(lambda: layers.BatchNorm(2)),
         lambda: {"x": X5, "train": True}, arrays=("x",)),
    Call("BatchNorm.backward", _layer_backward(lambda: layers.BatchNorm(2), X5),
         lambda: {"dy": np.ones((5, 2))}, arrays=("dy",)),
    Call("LayerNorm", layers.LayerNorm, lambda: {"dim": 2, "eps": 1e-5}),
    Call("LayerNorm.forward", _layer_forward(lambda: layers.LayerNorm(2)),
         lambda: {"x": X5, "train": False}, arrays=("x",)),
    Call("Residual", layers.Residual, lambda: {"block": layers.Activation("relu"),
                                               "shortcut": None}),
    Call("Sequential", layers.Sequential, lambda: {"layers": [layers.Activation("relu")]}),
    Call("Sequential.forward", _layer_forward(_net), lambda: {"x": X5, "train": True},
         arrays=("x",)),
    # losses
    Call("softmax_cross_entropy", losses.softmax_cross_entropy,
         lambda: {"logits": X5, "labels": Y5}, arrays=("logits", "labels")),
    Call("mse", losses.mse, lambda: {"pred": X5, "target": X5 * 2}, arrays=("pred", "target")),
    Call("binary_cross_entropy_with_logits", losses.binary_cross_entropy_with_logits,
         lambda: {"logits": X5[:, 0], "targets": Y5.astype(float)},
         arrays=("logits", "targets")),
    # optimisers and clipping
    Call("SGD", optim.SGD, lambda: {"lr": 0.1, "momentum": 0.9}),
    Call("Adam", optim.Adam, lambda: {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8}),
    Call("WarmUp", optim.WarmUp, lambda: {"optimizer": optim.SGD(0.1), "steps": 3}),
    Call("SGD.step", lambda model: optim.SGD(0.1).step(model), lambda: {"model": _trained_net()}),
    Call("Adam.step", lambda model: optim.Adam(0.1).step(model),
         lambda: {"model": _trained_net()}),
    Call("clip_grad_norm", optim.clip_grad_norm,
         lambda: {"model": _trained_net(), "max_norm": 1.0}),
    Call("clip_grad_value", optim.clip_grad_value,
         lambda: {"model": _trained_net(), "limit": 0.1}),
    Call("global_grad_norm", optim.global_grad_norm, lambda: {"model": _trained_net()}),
    # data
    Call("spirals", data.spirals, lambda: {"n": 20, "rng": _rng(), "classes": 2, "turns": 1.0,
                                           "noise": 0.05}),
    Call("moons", data.moons, lambda: {"n": 20, "rng": _rng(), "noise": 0.1}),
    Call("circles", data.circles, lambda: {"n": 20, "rng": _rng(), "noise": 0.05,
                                           "factor": 0.5}),
    Call("checkerboard", data.checkerboard, lambda: {"n": 20, "rng": _rng(), "tiles": 4,
                                                     "noise": 0.0}),
    Call("sequence_sign", data.sequence_sign, lambda: {"n": 20, "steps": 8, "rng": _rng(),
                                                       "first": 3}),
    # models
    Call("mlp", models.mlp, lambda: {"in_dim": 2, "width": 4, "depth": 2, "out_dim": 2,
                                     "activation": "tanh", "init": "xavier_normal",
                                     "norm": None, "residual": False, "rng": _rng()}),
    Call("residual_stack", models.residual_stack, lambda: {"in_dim": 2, "width": 4, "depth": 2,
                                                           "out_dim": 2, "activation": "gelu",
                                                           "norm": "layer", "placement": "pre",
                                                           "rng": _rng()}),
    # gradcheck and training
    Call("relative_error", gradcheck.relative_error,
         lambda: {"analytic": X5, "numeric": X5 * 1.01, "floor": 0.0},
         arrays=("analytic", "numeric")),
    Call("gradient_errors", gradcheck.gradient_errors,
         lambda: {"f": layers.Dense(2, 2, rng=_rng()), "x": X5, "h": 1e-6, "train": True},
         arrays=("x",)),
    Call("gradcheck", gradcheck.gradcheck,
         lambda: {"f": layers.Dense(2, 2, rng=_rng()), "x": X5}, arrays=("x",)),
    Call("accuracy", train.accuracy, lambda: {"model": _net(), "X": X5, "y": Y5},
         arrays=("X", "y")),
    Call("fit", train.fit, lambda: {"model": _net(), "X": X5, "y": Y5,
                                    "optimizer": optim.SGD(0.1), "epochs": 2,
                                    "batch_size": 2, "rng": _rng(), "clip": None,
                                    "record_every": 1, "progress": False},
         arrays=("X", "y"), result_ok=lambda h: np.isfinite(h.step_loss).all()),
    Call("diagnose", diagnose.diagnose, lambda: {"model": _net(), "X": X5, "y": Y5, "lr": 0.01,
                                                 "train": True},
         arrays=("X", "y"), result_ok=lambda r: True),
    # the scalar chains of chapters 1-2
    Call("signal_after_layers", chains.signal_after_layers,
         lambda: {"factor": 0.5, "n_layers": 10}),
    Call("layers_until_below", chains.layers_until_below,
         lambda: {"factor": 0.5, "threshold": 1e-3}),
    Call("layers_until_above", chains.layers_until_above,
         lambda: {"factor": 1.5, "threshold": 1e3}),
    Call("activation_chain", chains.activation_chain,
         lambda: {"activation": "sigmoid", "z": 0.5, "n_layers": 10}),
    Call("product_stats", chains.product_stats, lambda: {"products": np.ones(4)},
         arrays=("products",)),
    # recurrent
    Call("spectral_radius", recurrent.spectral_radius, lambda: {"W": np.eye(3)},
         arrays=("W",)),
    Call("matrix_with_spectral_radius", recurrent.matrix_with_spectral_radius,
         lambda: {"n": 3, "radius": 0.9, "rng": _rng()}),
    Call("unroll", recurrent.unroll, lambda: {"W": np.eye(3) * 0.5, "h0": np.ones(3),
                                              "steps": 5, "activation": "tanh"},
         arrays=("W", "h0")),
    Call("RNN", recurrent.RNN, lambda: {"in_dim": 1, "hidden": 3, "steps": 4,
                                        "activation": "tanh", "radius": 1.0, "rng": _rng()}),
    # learner self-checks: the answer is anything (a wrong answer gets a ✗ Result)
    Call("check.steps_until", check.steps_until,
         lambda: {"answer": 10, "factor": 0.5, "target": 1e-3}, skip=("answer",),
         result_ok=lambda r: isinstance(r, check.Result)),
    Call("check.residual_factor", check.residual_factor,
         lambda: {"answer": 2.0, "a": 0.1, "blocks": 3}, skip=("answer",),
         result_ok=lambda r: isinstance(r, check.Result)),
    Call("check.parameter_count", check.parameter_count,
         lambda: {"answer": 12, "widths": [2, 4, 2]}, skip=("answer",),
         result_ok=lambda r: isinstance(r, check.Result)),
    Call("check.layer_gradients", check.layer_gradients,
         lambda: {"layer": layers.Dense(2, 2, rng=_rng()), "x": X5, "tolerance": 1e-6},
         arrays=("x",), result_ok=lambda r: isinstance(r, check.Result)),
    Call("check.batchnorm_forward", check.batchnorm_forward,
         lambda: {"fn": lambda x, eps: x, "eps": 1e-5}, skip=("fn",),
         result_ok=lambda r: isinstance(r, check.Result)),
    # tables
    Call("Table", tables.Table, lambda: {"columns": ["a", "b"], "rows": [[1, 2.5]],
                                         "title": "t", "notes": ""},
         result_ok=lambda t: bool(repr(t)) and bool(t._repr_html_())),
]

ANSWERS = [None, "12", -12, 12.5, 10**400, float("nan"), True, [12], 1e308]


# ---------------------------------------------------------------------------- the checks

def _finite(value) -> bool:
    """Every number in ``value`` (arrays, scalars, tuples, dicts, dataclasses) is finite."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, (float, np.floating)):
        return math.isfinite(value)
    if isinstance(value, (tuple, list)):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(_finite(getattr(value, f.name)) for f in dataclasses.fields(value))
    return True


def outcome(call: Call, argname: str, value) -> None:
    kwargs = call.kwargs()
    kwargs[argname] = value
    try:
        # numpy's overflow warnings are not the contract (outside the tests they are only
        # warnings); what vglib returns or raises is
        with np.errstate(all="ignore"):
            result = call.fn(**kwargs)
    except (ValueError, TypeError) as err:
        named = call.aliases.get(argname, argname)
        assert named.lower() in str(err).lower(), (
            f"{call.name}({argname}={value!r:.60}) raised {type(err).__name__} without "
            f"naming {named!r}: {err}")
        return
    except Exception as err:  # any other exception type is the failure looked for
        pytest.fail(f"{call.name}({argname}={value!r:.60}) raised {type(err).__name__}: {err}")
    ok = call.result_ok(result) if call.result_ok else _finite(result)
    assert ok, f"{call.name}({argname}={value!r:.60}) returned a non-finite or wrong result"


def _fuzzed_args(call: Call) -> list[str]:
    return [a for a in call.kwargs() if a not in call.skip]


ODD_ARRAY_LIKES = [[[1, 2], [3]], [[10**400, 1.0]], np.zeros(0), np.full(3, "a"),
                   np.zeros(2, dtype=object)]


def _odd_arrays_for(shape: tuple[int, ...]) -> list:
    """The odd arrays tried for an argument whose valid value has ``shape``."""
    n = int(np.prod(shape))
    return [*(np.full(shape, v) for v in (1e200, -1e200, 1e-300, 1e308, -1e308, 0.0)),
            *(_with(shape, n // 2, v) for v in (np.nan, np.inf, -np.inf, 1e300)),
            np.zeros((0, *shape[1:])), np.zeros((*shape, 2)), np.zeros((*shape[:-1], 7)),
            np.ones(shape, dtype=np.float32), np.ones(shape, dtype=np.int64),
            np.ones(shape, dtype=bool), np.ones(shape, dtype=complex), *ODD_ARRAY_LIKES]


@pytest.mark.parametrize("call", CALLS, ids=repr)
def test_every_odd_value_of_every_argument_gives_a_finite_result_or_a_named_error(call):
    """Exhaustive: each argument in turn takes each odd value (about 1,700 calls in all)."""
    for argname in _fuzzed_args(call):
        values = list(ODD_SCALARS)
        if argname in call.arrays:
            values += _odd_arrays_for(np.shape(call.kwargs()[argname]))
        for value in values:
            outcome(call, argname, value)


FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
EXTREME_FLOATS = st.sampled_from([1e308, -1e308, 1e200, -1e200, 1e-308, 5e-324, 0.0, -0.0])
ANY_ARRAY = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
)


@given(data=st.data())
def test_random_odd_input_gives_a_finite_result_or_a_named_error(data):
    """Random: one public function, one argument, a value drawn from random arrays of any
    shape and dtype, arrays of the valid shape with random (also extreme or NaN) entries, and
    numbers of any size."""
    call = data.draw(st.sampled_from(CALLS), label="call")
    argname = data.draw(st.sampled_from(_fuzzed_args(call)), label="argument")
    choices = [st.sampled_from(ODD_SCALARS), FLOATS, EXTREME_FLOATS,
               st.integers(min_value=-(10**400), max_value=10**400)]
    if argname in call.arrays:
        shape = np.shape(call.kwargs()[argname])
        choices += [ANY_ARRAY,
                    hnp.arrays(np.float64, shape, elements=st.one_of(FLOATS, EXTREME_FLOATS))]
    value = data.draw(st.one_of(choices), label="value")
    outcome(call, argname, value)


@pytest.mark.parametrize("call", [c for c in CALLS if c.skip], ids=repr)
@given(answer=st.sampled_from(ANSWERS))
def test_a_learners_odd_answer_gets_a_verdict_not_a_traceback(call, answer):
    kwargs = call.kwargs()
    kwargs[call.skip[0]] = answer
    result = call.fn(**kwargs)
    assert isinstance(result, check.Result) and not result.ok, (call.name, answer, result)
    # a sentence for the learner, about their answer
    assert "you" in result.message or "expected" in result.message, result.message
    assert len(result.message) < 300, result.message
