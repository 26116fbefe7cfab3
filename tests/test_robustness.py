"""Faults that once gave silently wrong answers, each pinned: a layer used twice, huge finite
inputs to the normalisation layers, optimiser steps that would overflow, flags that are not
bools, bad targets for ``fit``, and the layer contract (gradients overwritten and written in
place, so packed training survives ``fit``). Also a property test: every layer's backward pass
agrees with central finite differences on random shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vglib import check, data, gradcheck, models, optim, race, train
from vglib._checks import NonFiniteError
from vglib.layers import (
    Activation,
    BatchNorm,
    Dense,
    LayerNorm,
    PReLU,
    Residual,
    Sequential,
)
from vglib.losses import mse
from vglib.recurrent import RNN

# ------------------------------------------------------------------ a layer used twice


def test_a_layer_used_twice_in_a_network_is_refused(rng):
    shared = Dense(3, 3, rng=rng)
    with pytest.raises(ValueError, match="the same Dense object is used twice, as layer 0 "
                                         "and as layer 2"):
        Sequential([shared, Activation("tanh"), shared])
    act = Activation("relu")
    with pytest.raises(ValueError, match=r"as layer 0\.block\.1 and as layer 1"):
        Sequential([Residual(Sequential([Dense(3, 3, rng=rng), act])), act])
    with pytest.raises(ValueError, match="used twice"):
        Residual(shared, shortcut=shared)
    block = Sequential([Dense(3, 3, rng=rng)])
    with pytest.raises(ValueError, match="used twice"):
        Sequential([block, block])


def test_the_same_layer_in_two_separate_networks_is_fine(rng):
    dense = Dense(2, 2, rng=rng)
    Sequential([dense])
    Sequential([dense, Activation("relu")])


# ------------------------------------------------------------------ huge finite values


@pytest.mark.parametrize("scale", [1e200, -1e200, 1e300])
def test_layernorm_of_huge_inputs_equals_layernorm_of_the_scaled_down_input(rng, scale):
    x = rng.standard_normal((6, 5))
    tiny_eps = 1e-300  # so that eps does not matter at either scale
    small = LayerNorm(5, eps=tiny_eps).forward(x)
    huge_layer = LayerNorm(5, eps=tiny_eps)
    huge = huge_layer.forward(x * scale)
    np.testing.assert_allclose(huge, np.sign(scale) * small, rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal((6, 5))
    dx = huge_layer.backward(dy)
    assert np.isfinite(dx).all() and np.isfinite(huge_layer.grads["gamma"]).all()


def test_layernorm_of_a_huge_constant_row_is_zero(rng):
    out = LayerNorm(3).forward(np.full((2, 3), 1e308))
    assert np.array_equal(out, np.zeros((2, 3)))


def test_batchnorm_refuses_a_batch_whose_variance_overflows_and_keeps_its_statistics(rng):
    layer = BatchNorm(3)
    x = rng.standard_normal((8, 3))
    layer.forward(x)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    with pytest.raises(NonFiniteError, match="batch variance of x overflows"):
        layer.forward(x * 1e200)
    assert np.array_equal(layer.running_mean, mean) and np.array_equal(layer.running_var, var)
    assert np.isfinite(layer.forward(x * 1e200, train=False)).all()  # fixed statistics: fine


def test_batchnorm_of_large_but_safe_inputs_normalises_them(rng):
    x = rng.standard_normal((8, 3))
    small = BatchNorm(3, eps=1e-300).forward(x)
    big = BatchNorm(3, eps=1e-300).forward(x * 1e150)
    np.testing.assert_allclose(big, small, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ optimiser steps


def _net_with_grads(rng, packed=True):
    net = models.mlp(2, 3, 2, 2, rng=rng)
    if not packed:
        net = Sequential(net.layers)  # the same layers, without the packed buffer
        net.layers[0].params["W"] = net.layers[0].params["W"].copy()
    out = net.forward(rng.standard_normal((4, 2)))
    net.backward(np.ones_like(out))
    return net


@pytest.mark.parametrize("packed", [True, False])
@pytest.mark.parametrize("make", [lambda: optim.SGD(1e300), lambda: optim.SGD(1e300, 0.9),
                                  lambda: optim.Adam(0.1)])
def test_an_optimiser_step_that_would_overflow_names_the_parameter_and_changes_nothing(
        rng, packed, make):
    net = _net_with_grads(rng, packed)
    net.layers[4].grads["W"][1, 1] = 1e200 if isinstance(make(), optim.Adam) else 1e10
    before = {name: p.copy() for name, p, _ in net.parameters()}
    with pytest.raises(NonFiniteError, match=r"parameter '4\.W'"):
        make().step(net)
    for name, param, _ in net.parameters():
        assert np.array_equal(param, before[name]), name


def test_a_non_finite_gradient_is_named_before_any_step(rng):
    net = _net_with_grads(rng)
    net.layers[0].grads["b"][0] = np.nan
    with pytest.raises(NonFiniteError, match=r"'0\.b'"):
        optim.SGD(0.1).step(net)


# ------------------------------------------------------------------ flags


@pytest.mark.parametrize("layer", [Dense(2, 2, rng=np.random.default_rng(0)), Activation("relu"),
                                   PReLU(2), BatchNorm(2), LayerNorm(2),
                                   Residual(Activation("relu")),
                                   Sequential([Activation("tanh")])],
                         ids=lambda layer: type(layer).__name__)
@pytest.mark.parametrize("flag", ["False", 0, 1, None, np.array([True])])
def test_train_accepts_only_a_bool(layer, flag):
    with pytest.raises(TypeError, match="train must be True or False"):
        layer.forward(np.ones((3, 2)), train=flag)
    layer.forward(np.ones((3, 2)) + np.arange(3)[:, None], train=np.bool_(False))


def test_other_flags_accept_only_a_bool(rng):
    X, y = data.moons(64, rng)
    net = models.mlp(2, 3, 1, 2, rng=rng)
    with pytest.raises(TypeError, match="progress must be True or False"):
        train.fit(net, X, y, optimizer=optim.SGD(0.1), epochs=1, batch_size=32, rng=rng,
                  progress="no")
    with pytest.raises(TypeError, match="train must be True or False"):
        gradcheck.gradient_errors(Dense(2, 2, rng=rng), X[:3], train="yes")
    with pytest.raises(TypeError, match="residual must be True or False"):
        models.mlp(2, 3, 1, 2, residual="False", rng=rng)


# ------------------------------------------------------------------ fit's targets


@pytest.mark.parametrize(("y", "message"), [
    (lambda y: np.where(np.arange(len(y)) == 5, np.nan, y), "y must hold whole-number class"),
    (lambda y: y[:-1], r"one label per row of X \(64 rows\); got shape \(63,\)"),
    (lambda y: "labels", "y must be an array of class labels"),
    (lambda y: y - 1, "y must hold class labels >= 0"),
    (lambda y: y + 0.5, "whole-number"),
])
def test_fit_checks_the_targets_before_training(rng, y, message):
    X, labels = data.moons(64, rng)
    net = models.mlp(2, 3, 1, 2, rng=rng)
    before = net.flat_params.copy()
    with pytest.raises((ValueError, TypeError), match=message):
        train.fit(net, X, y(labels), optimizer=optim.SGD(0.1), epochs=1, batch_size=32, rng=rng)
    assert np.array_equal(net.flat_params, before)  # nothing trained


def test_fit_with_a_regression_loss_checks_float_targets(rng):
    from vglib.losses import mse

    X = rng.standard_normal((32, 2))
    targets = rng.standard_normal((32, 2))
    targets[3, 1] = np.inf
    with pytest.raises(NonFiniteError, match="y contains 1 NaN or inf"):
        train.fit(models.mlp(2, 3, 1, 2, rng=rng), X, targets, loss=mse,
                  optimizer=optim.SGD(0.1), epochs=1, batch_size=16, rng=rng)


def test_a_divergence_in_the_last_layer_names_that_layer(rng):
    net = models.mlp(2, 3, 1, 2, rng=rng)
    net.layers[-1].params["W"][:] = 1e300
    with np.errstate(over="ignore"), pytest.raises(  # numpy's warning aside, vglib raises
            NonFiniteError, match=r"the output of layer 2 \(Dense\)"):
        train.accuracy(net, rng.standard_normal((8, 2)) * 1e10, np.zeros(8, dtype=int))


def test_fit_turns_numpy_warnings_in_a_step_into_the_error_that_names_the_step(rng):
    # a loss whose gradient divides by zero (and 0 / 0): numpy's divide and invalid warnings are
    # silenced inside fit (warnings are errors in these tests), and the non-finite gradient
    # stops training with the step it happened at
    def broken(logits, labels):
        value, dlogits = mse(logits, np.eye(2)[labels.astype(int)])
        return value, dlogits / (dlogits * 0.0)

    net = models.mlp(2, 3, 1, 2, rng=rng)
    X, y = data.spirals(16, rng)
    with pytest.raises(NonFiniteError, match=r"^training stopped at step 1 \(epoch 1\): "):
        train.fit(net, X, y, loss=broken, optimizer=optim.SGD(0.1), epochs=1, batch_size=8,
                  rng=rng)


def test_the_race_refuses_data_smaller_than_one_batch(rng):
    X, y = data.moons(race.BATCH - 1, rng)
    with pytest.raises(ValueError, match=f"at least one batch \\({race.BATCH} rows\\)"):
        race.run_once(race.SERIES[0], 2, 0, -4, X, y)


# ------------------------------------------------------------------ learner self-checks


@pytest.mark.parametrize("answer", [-22, 22.5, None, "22", float("nan"), 10**400])
def test_parameter_count_answers_that_are_not_counts_get_a_cross(answer):
    result = check.parameter_count(answer, [2, 5, 3])
    assert not result.ok and "33" not in result.message  # the right count stays unsaid


def test_self_check_arguments_are_validated():
    with pytest.raises(ValueError, match="tolerance must be in"):
        check.layer_gradients(Dense(2, 2, rng=np.random.default_rng(0)), np.ones((3, 2)),
                              tolerance=-1e-6)
    with pytest.raises(TypeError, match="widths must be a list"):
        check.parameter_count(12, None)
    with pytest.raises(ValueError, match=r"widths\[i\] must be an integer >= 1"):
        check.parameter_count(12, [2, -4, 2])


# ------------------------------------------------------------------ the layer contract

def _layers_of_every_kind(rng):
    return {
        "Dense": Dense(3, 4, rng=rng), "Activation": Activation("gelu"), "PReLU": PReLU(3),
        "BatchNorm": BatchNorm(3), "LayerNorm": LayerNorm(3),
        "Residual": Residual(Sequential([Dense(3, 3, rng=rng), Activation("tanh")])),
        "Sequential": Sequential([Dense(3, 3, rng=rng), BatchNorm(3)]),
        "RNN": RNN(1, 3, 3, rng=rng),
    }


@pytest.mark.parametrize("kind", list(_layers_of_every_kind(np.random.default_rng(0))))
def test_backward_overwrites_the_gradients_instead_of_adding_to_them(rng, kind):
    layer = _layers_of_every_kind(rng)[kind]
    x = rng.standard_normal((5, 3))
    y = layer.forward(x)
    dy = rng.standard_normal(y.shape)
    layer.backward(dy)
    first = {name: g.copy() for name, _, g in layer.parameters()}
    layer.forward(x)
    layer.backward(dy)
    for name, _, grad in layer.parameters():
        np.testing.assert_array_equal(grad, first[name], err_msg=name)


@pytest.mark.parametrize("kind", list(_layers_of_every_kind(np.random.default_rng(0))))
def test_backward_writes_the_gradients_in_place(rng, kind):
    layer = _layers_of_every_kind(rng)[kind]
    arrays = {name: grad for name, _, grad in layer.parameters()}
    y = layer.forward(rng.standard_normal((5, 3)))
    layer.backward(rng.standard_normal(y.shape))
    for name, _, grad in layer.parameters():
        assert grad is arrays[name], f"{kind}: grads[{name!r}] was replaced, not written into"


@pytest.mark.parametrize("config", [dict(activation="relu"), dict(activation="prelu"),
                                    dict(norm="batch"), dict(norm="layer", residual=True)],
                         ids=str)
def test_every_layer_type_is_still_packed_after_fit(rng, config):
    X, y = data.moons(64, rng)
    net = models.mlp(2, 4, 2, 2, rng=rng, **config)
    assert net.packed() is not None
    train.fit(net, X, y, optimizer=optim.Adam(0.01), epochs=2, batch_size=32, rng=rng)
    assert net.packed() is not None, "a layer rebound one of its arrays during fit"


def test_the_residual_stack_is_still_packed_after_fit(rng):
    X, y = data.moons(64, rng)
    net = models.residual_stack(2, 4, 2, 2, rng=rng)
    train.fit(net, X, y, optimizer=optim.SGD(0.01, 0.9), epochs=1, batch_size=32, rng=rng)
    assert net.packed() is not None


def test_layers_record_their_last_input_output_and_upstream_gradient(rng):
    for kind, layer in _layers_of_every_kind(rng).items():
        if kind in ("Residual", "Sequential"):
            continue
        assert layer.x is None and layer.y is None and layer.dy is None
        x = rng.standard_normal((5, 3))
        y = layer.forward(x)
        dy = rng.standard_normal(y.shape)
        layer.backward(dy)
        assert np.array_equal(layer.x, x) and layer.y is y and np.array_equal(layer.dy, dy), kind


@pytest.mark.parametrize("kind", list(_layers_of_every_kind(np.random.default_rng(0))))
def test_backward_before_forward_is_a_runtime_error(kind):
    layer = _layers_of_every_kind(np.random.default_rng(0))[kind]
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((5, 4)))


# ------------------------------------------------------------------ the property test

LAYER_KINDS = ["Dense", "Activation", "PReLU", "BatchNorm", "BatchNorm-eval", "LayerNorm",
               "Residual", "Projection", "RNN"]


def _make(kind: str, dim: int, rng, activation: str):
    if kind == "Dense":
        return Dense(dim, dim + 1, rng=rng), dim
    if kind == "Activation":
        return Activation(activation), dim
    if kind == "PReLU":
        layer = PReLU(dim)
        layer.params["alpha"][:] = rng.uniform(0.0, 1.0, dim)
        return layer, dim
    if kind.startswith("BatchNorm"):
        layer = BatchNorm(dim)
        layer.params["gamma"][:] = rng.uniform(0.5, 2.0, dim)
        layer.running_var[:] = rng.uniform(0.5, 2.0, dim)
        return layer, dim
    if kind == "LayerNorm":
        return LayerNorm(dim), dim
    if kind == "Residual":
        return Residual(Sequential([Dense(dim, dim, rng=rng), Activation(activation)])), dim
    if kind == "Projection":
        return Residual(Sequential([Dense(dim, dim + 2, rng=rng), Activation(activation)]),
                        shortcut=Dense(dim, dim + 2, rng=rng)), dim
    return RNN(1, dim, 3, activation=activation, rng=rng), 3


@given(kind=st.sampled_from(LAYER_KINDS), dim=st.integers(1, 5), batch=st.integers(2, 6),
       seed=st.integers(0, 2**32 - 1),
       activation=st.sampled_from(["sigmoid", "tanh", "gelu", "silu", "elu", "identity"]))
def test_every_layers_backward_agrees_with_finite_differences(kind, dim, batch, seed,
                                                              activation):
    rng = np.random.default_rng(seed)
    layer, width = _make(kind, dim, rng, activation)
    x = rng.standard_normal((batch, width))
    if kind == "LayerNorm" and dim == 1:
        return  # one feature: the output is beta whatever x, every gradient but beta's is 0
    errors = gradcheck.gradient_errors(layer, x, train=kind != "BatchNorm-eval",
                                       rng=np.random.default_rng(seed + 1))
    assert max(errors.values()) < 1e-6, errors


def test_an_input_is_scanned_unless_it_is_the_output_just_checked(rng, monkeypatch):
    from vglib import _checks

    scans = []
    real = _checks.all_finite
    monkeypatch.setattr(_checks, "all_finite", lambda x: scans.append(x.shape) or real(x))
    first, second = Dense(3, 4, rng=rng), Dense(4, 2, rng=rng)
    x = rng.standard_normal((5, 3))
    second.forward(first.forward(x))
    # x is scanned, then each output; the second layer's input, the first's output, is not
    assert scans == [(5, 3), (5, 4), (5, 2)]
    # an output changed in place before it is passed on: the next output check finds it
    y = first.forward(x)
    y[0, 0] = np.nan
    with pytest.raises(NonFiniteError, match="the output of Dense"):
        second.forward(y)
    # any other array is scanned as an input
    with pytest.raises(NonFiniteError, match=r"^x contains 1 NaN or inf value\(s\) out of 20"):
        second.forward(y.copy())
