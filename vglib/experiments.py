"""The training experiments that the chapters report over several seeds.

Each function takes keyword arguments (always a ``seed``) and returns a dict of numbers. A
chapter runs one of them live; ``vglib.sweeps`` lists the settings and seeds each is run with
ahead of time (``tools/sweeps.py``), so the chapter can show every seed without waiting.
"""

from __future__ import annotations

import numpy as np

from . import data, diagnose, models, optim, probe, race, signals, train
from ._checks import NonFiniteError
from .layers import Activation, BatchNorm, Dense, Layer, Sequential
from .losses import softmax_cross_entropy

__all__ = ["DIGITS_CONFIGS", "DIGITS_DEPTHS", "DIGITS_MAX_STEPS", "DIGITS_RATES", "GALLERY_CASES",
           "ICS_KINDS", "MOONS_SETTINGS", "STEP_RATES", "Jitter", "activation_on_spirals",
           "batchnorm_learning_rate", "best_single_step", "block_profile", "clipped_rnn",
           "colleague_loop", "colleague_net", "covariate_shift", "deep_relu_init", "degradation",
           "digits_depth", "digits_diagnosis", "digits_relu_init", "gallery_case", "ics_net",
           "moons_sigmoid_depth", "norm_placement_run", "normalisation_batch_size",
           "plain_relu_lr", "residual_1000", "shape_on_two_turns", "single_step_walk", "spike",
           "train_on_spirals"]

MOONS_SETTINGS = {  # chapter 3: label -> (initialisation, optimiser factory)
    "SGD lr 1, He": ("he_normal", lambda: optim.SGD(1.0)),
    "SGD lr 1, Xavier": ("xavier_normal", lambda: optim.SGD(1.0)),
    "Adam lr 0.02, He": ("he_normal", lambda: optim.Adam(0.02)),
}


def moons_sigmoid_depth(setting: str, depth: int, seed: int, *, width: int = 32,
                        epochs: int = 30, batch_size: int = 32) -> dict:
    """Chapter 3: a sigmoid MLP of ``depth`` hidden layers trained on 256 two-moons points (the
    data drawn with ``seed``, the weights with ``seed + 1``, the batch order with ``seed + 2``)
    under one of ``MOONS_SETTINGS``. Returns the final training accuracy and loss."""
    if setting not in MOONS_SETTINGS:
        raise ValueError(f"setting={setting!r} is unknown; choose one of "
                         f"{', '.join(MOONS_SETTINGS)}")
    init, make_optimizer = MOONS_SETTINGS[setting]
    X, y = data.moons(256, np.random.default_rng(seed))
    model = models.mlp(2, width, depth, 2, activation="sigmoid", init=init,
                       rng=np.random.default_rng(seed + 1))
    history = train.fit(model, X, y, optimizer=make_optimizer(), epochs=epochs,
                        batch_size=batch_size, rng=np.random.default_rng(seed + 2),
                        record_every=None)
    return {"accuracy": float(history.epoch_accuracy[-1]),
            "loss": float(history.epoch_loss[-1])}


def train_on_spirals(activation: str, depth: int, seed: int, *, optimizer: str = "adam",
                     lr: float = 0.01, epochs: int = 30, width: int = 32,
                     record: bool = False) -> train.History:
    """An ``mlp`` with ``activation`` (He initialisation) trained on 256 spiral points (drawn
    with ``seed``; weights ``seed + 1``, batch order ``seed + 2``) in minibatches of 64, with
    ``optimizer`` ("adam" or "sgd") at ``lr``; ``record=True`` keeps one per-layer record per
    epoch. Every activation starts from the same weights, so two runs differ in the activation
    only (chapters 3 and 4, and their interactive figures)."""
    X, y = data.spirals(256, np.random.default_rng(seed))
    model = models.mlp(2, width, depth, 2, activation=activation,
                       rng=np.random.default_rng(seed + 1))
    opt = optim.Adam(lr) if optimizer == "adam" else optim.SGD(lr)
    return train.fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=64,
                     rng=np.random.default_rng(seed + 2), record_every=4 if record else None)


def activation_on_spirals(activation: str, depth: int, seed: int, *, lr: float = 0.01,
                          epochs: int = 30, width: int = 32) -> dict:
    """Chapter 4: ``train_on_spirals`` with Adam, as ``explorers.training_curves`` trains it.
    Returns the final training accuracy and loss, and the loss of every epoch (the curve the
    explorer draws: ``training_curves(measured=...)`` takes these runs instead of training)."""
    history = train_on_spirals(activation, depth, seed, lr=lr, epochs=epochs, width=width)
    return {"accuracy": float(history.epoch_accuracy[-1]),
            "loss": float(history.epoch_loss[-1]),
            "epoch_loss": [float(v) for v in history.epoch_loss]}


def _off_units(model, X) -> np.ndarray:
    """Per hidden unit: is its output <= 0 for every row of ``X``?"""
    model.forward(X, train=False)
    return np.concatenate([np.all(layer.y <= 0, axis=0)
                           for _, layer in probe.leaves(model) if probe.is_activation(layer)])


def spike(activation: str, seed: int, *, spike_lr: float = 10.0,
          depth: int = 6, width: int = 32) -> dict:
    """Chapter 4: train an ``mlp`` on 256 spiral points (data seed 0) with
    SGD 0.05 for 20 epochs (weights ``seed + 1``, batch order ``seed + 2``),
    take one SGD step of ``spike_lr`` on the whole data set, then train 40
    more epochs (batch order ``seed + 3``).

    Returns the hidden units off (output <= 0 for every point) right after
    the spike, those of them still off at the end, those of them whose
    incoming weights never changed again (frozen), and the final training
    accuracy. (Lines of at most 77 characters: chapter 4 prints this code.)
    """
    X, y = data.spirals(256, np.random.default_rng(0))
    model = models.mlp(2, width, depth, 2, activation=activation,
                       rng=np.random.default_rng(seed + 1))
    train.fit(model, X, y, optimizer=optim.SGD(0.05), epochs=20,
              batch_size=64, rng=np.random.default_rng(seed + 2),
              record_every=None)
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    optim.SGD(spike_lr).step(model)                          # the spike
    off = _off_units(model, X)
    hidden = [layer for _, layer in probe.dense_layers(model)][:depth]
    after_spike = [layer.params["W"].copy() for layer in hidden]
    history = train.fit(model, X, y, optimizer=optim.SGD(0.05), epochs=40,
                        batch_size=64, rng=np.random.default_rng(seed + 3),
                        record_every=None)
    still_off = _off_units(model, X)
    frozen = np.concatenate(
        [np.all(layer.params["W"] == w, axis=0)
         for layer, w in zip(hidden, after_spike, strict=True)])
    return {"off": int(off.sum()), "still_off": int((off & still_off).sum()),
            "frozen": int((off & frozen).sum()),
            "accuracy": float(history.epoch_accuracy[-1])}


def deep_relu_init(init: str, seed: int, *, depth: int = 30, width: int = 32, lr: float = 0.02,
                   batch_size: int = 16, epochs: int = 30) -> dict:
    """Chapter 5: a deep ReLU ``mlp`` initialised with ``init``, trained with plain SGD on 256
    spiral points (data seed 0; weights ``seed + 1``, batch order ``seed + 2``). Returns the
    final accuracy, the loss of every epoch and every layer's ``||dL/dW||`` at the first step."""
    X, y = data.spirals(256, np.random.default_rng(0))
    model = models.mlp(2, width, depth, 2, activation="relu", init=init,
                       rng=np.random.default_rng(seed + 1))
    history = train.fit(model, X, y, optimizer=optim.SGD(lr), epochs=epochs,
                        batch_size=batch_size, rng=np.random.default_rng(seed + 2),
                        record_every=10**6)  # the per-layer record of the first step only
    return {"accuracy": float(history.epoch_accuracy[-1]),
            "epoch_loss": [float(v) for v in history.epoch_loss],
            "grad_norms_step1": [float(v) for v in history.grad_norms[0]]}


def batchnorm_learning_rate(norm: str | None, lr: float, seed: int, *, depth: int = 10,
                            epochs: int = 30) -> dict:
    """Chapter 6: a 10-layer ReLU ``mlp`` of width 32, with BatchNorm (``norm="batch"``) or
    without (``None``), trained with SGD (momentum 0.9) at ``lr`` for ``epochs`` epochs of
    batches of 64 on 256 spiral points (data seed 0; weights ``seed``, batch order
    ``seed + 1000``). Returns the final training accuracy (0 if training stopped on a
    non-finite value) and whether it did."""
    X, y = data.spirals(256, np.random.default_rng(0))
    model = models.mlp(2, 32, depth, 2, norm=norm, rng=np.random.default_rng(seed))
    try:
        history = train.fit(model, X, y, optimizer=optim.SGD(lr, momentum=0.9), epochs=epochs,
                            batch_size=64, rng=np.random.default_rng(seed + 1000),
                            record_every=None)
    except NonFiniteError:
        return {"accuracy": 0.0, "diverged": True}
    return {"accuracy": float(history.epoch_accuracy[-1]), "diverged": False}


def normalisation_batch_size(norm: str | None, size: int, seed: int, *, steps: int = 256,
                             depth: int = 6) -> dict:
    """Chapter 6: a 6-layer ReLU ``mlp`` of width 32 with BatchNorm (``norm="batch"``),
    LayerNorm (``"layer"``) or neither (``None``), trained with Adam (0.003) for ``steps`` steps
    of batches of ``size`` on 256 spiral points (data seed 0; weights ``seed``, batch order
    ``seed + 1000``). Returns the accuracy on 512 unseen points (data seed 9), in inference
    mode."""
    X, y = data.spirals(256, np.random.default_rng(0))
    X_test, y_test = data.spirals(512, np.random.default_rng(9))
    model = models.mlp(2, 32, depth, 2, norm=norm, rng=np.random.default_rng(seed))
    train.fit(model, X, y, optimizer=optim.Adam(0.003), epochs=steps * size // len(X),
              batch_size=size, rng=np.random.default_rng(seed + 1000), record_every=None)
    return {"test_accuracy": float(train.accuracy(model, X_test, y_test))}


# -- chapter 6: why does BatchNorm help? (the chapter prints the code of Jitter, ics_net,
# best_single_step and colleague_net: lines of at most 77 characters) --------------------------
ICS_KINDS = ("plain", "BatchNorm", "noisy BatchNorm")


class Jitter(Layer):
    """After BatchNorm: y = s * x + m with random s, m per feature, new at
    every training step (and nothing in inference mode)."""

    def __init__(self, dim, *, strength, rng):
        super().__init__()
        self.dim, self.strength, self.rng = dim, strength, rng
        self._s = None

    def forward(self, x, train=True):
        if not train:
            self._s = np.ones(self.dim)
            return x
        self._s = np.exp(self.rng.normal(0.0, self.strength, self.dim))
        return x * self._s + self.rng.normal(0.0, self.strength, self.dim)

    def backward(self, dy):
        return dy * self._s


def ics_net(kind, seed, depth=10):
    """A ReLU network of width 32 (weights drawn with seed): "plain",
    with "BatchNorm" after every hidden Dense layer, or "noisy BatchNorm",
    a Jitter after every BatchNorm (its noise drawn with seed + 100)."""
    if kind not in ICS_KINDS:
        raise ValueError(f"kind={kind!r}: choose one of {ICS_KINDS}")
    rng, noise = (
        np.random.default_rng(seed),
        np.random.default_rng(seed + 100),
    )
    stack, fan_in = [], 2
    for _ in range(depth):
        stack.append(Dense(fan_in, 32, rng=rng))
        fan_in = 32
        if kind != "plain":
            stack.append(BatchNorm(32))
        if kind == "noisy BatchNorm":
            stack.append(Jitter(32, strength=0.3, rng=noise))
        stack.append(Activation("relu"))
    return Sequential([*stack, Dense(32, 2, rng=rng)]).pack()


def covariate_shift(kind: str, lr: float, seed: int, *, shift: bool = False,
                    epochs: int = 30) -> dict:
    """Chapter 6: ``ics_net(kind, seed)`` trained as ``batchnorm_learning_rate`` trains its
    networks: SGD (momentum 0.9) at ``lr`` for ``epochs`` epochs of batches of 64 on 256 spiral
    points (data seed 0; batch order ``seed + 1000``). Returns the final training accuracy (0 if
    training stopped on a non-finite value) and whether it did and, if ``shift``, a measure of
    internal covariate shift: how far the mean of each layer's activations moves from one step
    to the next (recorded at every step), averaged over layers and steps."""
    X, y = data.spirals(256, np.random.default_rng(0))
    try:
        history = train.fit(ics_net(kind, seed), X, y, optimizer=optim.SGD(lr, momentum=0.9),
                            epochs=epochs, batch_size=64, rng=np.random.default_rng(seed + 1000),
                            record_every=1 if shift else None)
    except NonFiniteError:
        return {"accuracy": 0.0, "diverged": True, **({"shift": None} if shift else {})}
    result = {"accuracy": float(history.epoch_accuracy[-1]), "diverged": False}
    if shift:
        result["shift"] = float(np.mean(np.abs(np.diff(history.act_mean, axis=0))))
    return result


STEP_RATES = np.logspace(-3, 1, 13)  # the single-step learning rates t that chapter 6 tries


def best_single_step(model, X, y):
    """The rate t of STEP_RATES whose step theta - t g lowers the training
    loss most, and t ||g||."""
    # all parameters and gradients as two vectors
    params, grads = model.packed()
    start = params.copy()
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    g = grads.copy()
    losses = []
    for t in STEP_RATES:
        params[:] = start - t * g
        losses.append(softmax_cross_entropy(model.forward(X), y)[0])
    params[:] = start
    best = STEP_RATES[int(np.nanargmin(losses))]
    return best, best * np.linalg.norm(g)


def single_step_walk(norm: str | None, seed: int) -> dict:
    """Chapter 6: a 10-layer ReLU ``mlp`` of width 32, with BatchNorm (``norm="batch"``) or
    without (``None``), trained with SGD (momentum 0.9) at 0.03 in batches of 64 on 256 spiral
    points (data seed 0; weights ``seed``, batch order ``seed + 1000``); after epochs 10, 15,
    20, 25 and 30, ``best_single_step`` on the whole training set. Returns the medians over
    those five checkpoints of the best rate and of the step length ``t ||g||``."""
    X, y = data.spirals(256, np.random.default_rng(0))
    model = models.mlp(2, 32, 10, 2, norm=norm, rng=np.random.default_rng(seed))
    opt, shuffle = optim.SGD(0.03, momentum=0.9), np.random.default_rng(seed + 1000)
    rows = []
    for epochs in (10, 5, 5, 5, 5):
        train.fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=64, rng=shuffle,
                  record_every=None)
        rows.append(best_single_step(model, X, y))
    best_rate, step_length = np.median(rows, axis=0)
    return {"best_rate": float(best_rate), "step_length": float(step_length)}


def colleague_net(train_mode, seed, X, y):
    """Chapter 6's exercise: the colleague's hand-written loop, with the
    forward pass of every training step in the mode train_mode."""
    net = models.mlp(
        2,
        32,
        30,
        2,
        activation="sigmoid",
        init="xavier_normal",
        norm="batch",
        rng=np.random.default_rng(seed),
    )
    opt, shuffle = (
        optim.SGD(0.5, momentum=0.9),
        np.random.default_rng(seed + 1000),
    )
    for _ in range(30):
        order = shuffle.permutation(len(X))
        for b in range(len(X) // 64):
            rows = order[b * 64 : (b + 1) * 64]
            _, dlogits = softmax_cross_entropy(
                net.forward(X[rows], train=train_mode), y[rows]
            )
            net.backward(dlogits)
            opt.step(net)
    return net


def colleague_loop(train_mode: bool, seed: int) -> dict:
    """Chapter 6, exercise ch6-ex-broken: ``colleague_net`` (weights ``seed``, batch order
    ``seed + 1000``) trained on 256 spiral points (data seed 0) in the mode ``train_mode``.
    Returns the largest ``|running_mean|`` of its first BatchNorm layer, its training accuracy
    and ``diagnose``'s ``||dL/dW||`` of layer 1, both in inference mode."""
    X, y = data.spirals(256, np.random.default_rng(0))
    net = colleague_net(train_mode, seed, X, y)
    first_bn = next(layer for _, layer in probe.leaves(net) if isinstance(layer, BatchNorm))
    report = diagnose.diagnose(net, X, y, train=False)
    return {"running_mean": float(np.abs(first_bn.running_mean).max()),
            "accuracy": float(train.accuracy(net, X, y)),
            "grad_norm_1": float(report.layers[0].grad_norm)}


def degradation(depth: int, residual: bool, seed: int, *, width: int = 32,
                epochs: int = 60) -> dict:
    """Chapter 7: a ReLU + BatchNorm ``mlp``, plain or residual, trained with SGD (momentum 0.9,
    learning rate 0.05, batches of 64) on 256 spiral points (data seed 0; weights ``seed + 1``,
    batch order ``seed + 2``). Returns the final training accuracy and loss, and the training
    loss of every epoch."""
    X, y = data.spirals(256, np.random.default_rng(0))
    model = models.mlp(2, width, depth, 2, residual=residual, norm="batch",
                       rng=np.random.default_rng(seed + 1))
    history = train.fit(model, X, y, optimizer=optim.SGD(0.05, momentum=0.9), epochs=epochs,
                        batch_size=64, rng=np.random.default_rng(seed + 2), record_every=None)
    return {"accuracy": float(history.epoch_accuracy[-1]),
            "loss": float(history.epoch_loss[-1]),
            "epoch_loss": [float(v) for v in history.epoch_loss]}


def residual_1000(seed: int, *, depth: int = 1000, target: float = 0.95,
                  max_epochs: int = 30) -> dict:
    """Chapter 7: a residual ReLU + BatchNorm ``mlp`` of ``depth`` blocks (width 32) trained with
    Adam (0.01, batches of 64) on 256 spiral points (data seed 0; weights ``seed + 1``, batch
    order ``seed + 2``) one epoch at a time until its training accuracy reaches ``target``.
    Returns the epochs it took (``max_epochs`` if it never did), the final training accuracy and
    the accuracy on 512 unseen points (data seed 99)."""
    X, y = data.spirals(256, np.random.default_rng(0))
    X_test, y_test = data.spirals(512, np.random.default_rng(99))
    model = models.mlp(2, 32, depth, 2, residual=True, norm="batch",
                       rng=np.random.default_rng(seed + 1))
    adam, shuffle = optim.Adam(0.01), np.random.default_rng(seed + 2)
    epochs = 0
    while epochs < max_epochs:
        history = train.fit(model, X, y, optimizer=adam, epochs=1, batch_size=64, rng=shuffle,
                            record_every=None)
        epochs += 1
        if history.epoch_accuracy[-1] >= target:
            break
    return {"epochs": epochs, "accuracy": float(history.epoch_accuracy[-1]),
            "test_accuracy": float(train.accuracy(model, X_test, y_test))}


def clipped_rnn(clip: str | None, limit: float | None, seed: int, *, curves: bool = False,
                epochs: int = 30) -> dict:
    """Chapter 8: a linear recurrent network (``RNN(1, 16, 30)``, identity activation, spectral
    radius 1, then ``Dense(16, 2)``; weights drawn with ``seed``) trained with SGD (0.01,
    momentum 0.9) for ``epochs`` epochs of batches of 32 (order ``seed + 1``) on 512 sequences
    of ``data.sequence_sign`` (30 steps, data seed 0), without clipping (``clip=None``), with
    the gradient's norm clipped to ``limit`` (``"norm"``) or every element clipped to ``limit``
    (``"value"``) before each step: the chapter's training loop written out, step for step the
    same as ``train.fit(..., clip=...)``, except that a run that meets NaN or inf stops there
    and is reported rather than raised.

    Returns the steps completed, whether the run stopped on a non-finite value (``diverged``),
    the training accuracy (``None`` if it diverged), the spectral radius of the recurrent
    matrix after the last completed step, the median, largest and first epoch's largest
    gradient norm before clipping, the share of steps whose norm exceeded ``limit`` (norm
    clipping, else ``None``) and the median share of gradient elements that clipping by value
    changed (else ``None``); with ``curves=True`` also the loss and the gradient norm of every
    step (``losses``, ``norms``)."""
    if clip not in (None, "norm", "value"):
        raise ValueError(f"clip={clip!r} is unknown; choose None, 'norm' or 'value'")
    from . import recurrent

    X, y = data.sequence_sign(512, 30, np.random.default_rng(0))
    rng = np.random.default_rng(seed)
    model = Sequential([recurrent.RNN(1, 16, 30, activation="identity", radius=1.0, rng=rng),
                        Dense(16, 2, rng=rng)])
    opt, shuffle = optim.SGD(0.01, momentum=0.9), np.random.default_rng(seed + 1)
    n_weights = sum(p.size for _, p, _ in model.parameters())
    losses, norms, shares, radius, diverged = [], [], [], None, False
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(epochs):
            order = shuffle.permutation(len(X))
            for b in range(len(X) // 32):
                rows = order[b * 32:(b + 1) * 32]
                try:
                    loss, dlogits = softmax_cross_entropy(model.forward(X[rows]), y[rows])
                    model.backward(dlogits)
                    norms.append(optim.global_grad_norm(model))  # before clipping
                    if clip == "norm":
                        optim.clip_grad_norm(model, limit)
                    elif clip == "value":
                        shares.append(optim.clip_grad_value(model, limit) / n_weights)
                    opt.step(model)
                except NonFiniteError:
                    diverged = True
                    break
                losses.append(float(loss))
                radius = recurrent.spectral_radius(model[0].params["W"])
            if diverged:
                break
    norms_ = np.array(norms)
    result = {
        "steps": len(losses), "diverged": diverged,
        "accuracy": None if diverged else float(train.accuracy(model, X, y)),
        "radius": radius, "norm_median": float(np.median(norms_)),
        "norm_max": float(norms_.max()), "early_max": float(norms_[:len(X) // 32].max()),
        "over_limit": float(np.mean(norms_ > limit)) if clip == "norm" else None,
        "value_share_median": float(np.median(shares)) if clip == "value" else None,
    }
    if curves:
        result.update(losses=losses, norms=[float(v) for v in norms])
    return result


def plain_relu_lr(lr: float, seed: int, *, depth: int = 100, epochs: int = 30) -> dict:
    """The gallery's 100-layer plain ReLU network (He initialisation, width 32, weights drawn
    with ``seed``) trained with Adam at learning rate ``lr`` for ``epochs`` epochs of batches of
    64 (order ``seed + 1``) on the depth race's 256 spiral points (data seed 12345). Returns the
    final training accuracy and whether training stopped on a non-finite value."""
    X, y = data.spirals(256, np.random.default_rng(12345))
    model = models.mlp(2, 32, depth, 2, activation="relu", init="he_normal",
                       rng=np.random.default_rng(seed))
    try:
        history = train.fit(model, X, y, optimizer=optim.Adam(lr), epochs=epochs,
                            batch_size=64, rng=np.random.default_rng(seed + 1),
                            record_every=None)
    except NonFiniteError:
        return {"accuracy": 0.0, "diverged": True}
    return {"accuracy": float(history.epoch_accuracy[-1]), "diverged": False}


def shape_on_two_turns(depth: int, width: int, seed: int, *, epochs: int = 60) -> dict:
    """Chapter 9: a ReLU ``mlp`` of ``depth`` hidden layers of ``width`` units trained with Adam
    (0.01, batches of 64) on 512 points of a two-turn spiral (data seed 5; weights ``seed + 1``,
    batch order ``seed + 2``). Returns the parameter count and the final training accuracy."""
    X, y = data.spirals(512, np.random.default_rng(5), turns=2.0)
    model = models.mlp(2, width, depth, 2, rng=np.random.default_rng(seed + 1))
    history = train.fit(model, X, y, optimizer=optim.Adam(0.01), epochs=epochs, batch_size=64,
                        rng=np.random.default_rng(seed + 2), record_every=None)
    return {"parameters": int(sum(p.size for _, p, _ in model.parameters())),
            "accuracy": float(history.epoch_accuracy[-1])}


def norm_placement_run(placement: str, depth: int, lr: float, seed: int, *,
                       warm_up: int = 0, clip: float = 0.0, stop_at_target: bool = True,
                       max_steps: int = 200, curve: bool = False) -> dict:
    """Chapter 10: a residual stack of ``depth`` pre- or post-norm blocks (``placement``;
    LayerNorm, GELU, width 32, weights drawn with ``seed``) trained with Adam at ``lr`` on the
    depth race's data (``race.N_POINTS`` spiral points, batches of ``race.BATCH``, order from
    ``seed + 1000``), one epoch at a time for at most ``max_steps`` steps; with a linear
    learning-rate warm-up over ``warm_up`` steps and clipping at norm ``clip`` if they are not
    0. It trains if it reaches ``race.TARGET`` (chapter 9's definition); it stops there if
    ``stop_at_target``. Returns the training accuracy after every epoch, the first step at
    which it reached the target (``None`` if it never did), the share of steps whose gradient
    norm was above 1, whether training stopped on a non-finite value and, if ``curve``, the
    loss of every step."""
    X, y = data.spirals(race.N_POINTS, np.random.default_rng(race.DATA_SEED))
    steps_per_epoch = len(X) // race.BATCH
    model = race.build(depth, seed, kind="stack", activation="gelu", norm="layer",
                       placement=placement)
    opt = optim.WarmUp(optim.Adam(lr), warm_up) if warm_up else optim.Adam(lr)
    shuffle = np.random.default_rng(seed + 1000)
    accuracy, loss, grad_norm, diverged = [], [], [], False
    try:
        for _ in range(max_steps // steps_per_epoch):
            history = train.fit(model, X, y, optimizer=opt, epochs=1, batch_size=race.BATCH,
                                rng=shuffle, clip=clip or None, record_every=None)
            accuracy.append(float(history.epoch_accuracy[-1]))
            loss += [float(v) for v in history.step_loss]
            grad_norm += [float(v) for v in history.step_grad_norm]
            if stop_at_target and accuracy[-1] >= race.TARGET:
                break
    except NonFiniteError:
        diverged = True
    reached = [epoch for epoch, a in enumerate(accuracy, 1) if a >= race.TARGET]
    result = {"accuracy": accuracy,
              "first": reached[0] * steps_per_epoch if reached else None,
              "over": float(np.mean(np.array(grad_norm) > 1.0)) if grad_norm else 0.0,
              "diverged": diverged}
    if curve:
        result["loss"] = loss
    return result


def block_profile(depth: int, placement: str, seed: int) -> dict:
    """Chapter 10: ``signals.block_grad_norms`` of a fresh pre- or post-norm residual stack
    (``placement``) of ``depth`` blocks, its data and weights drawn with ``seed``: the gradient
    norm of every block at initialisation, input side first. No training."""
    norms = signals.block_grad_norms(depth, placement, rng=np.random.default_rng(seed))
    return {"norms": [float(v) for v in norms]}



# -- chapter 9 on real data: a small depth race on the handwritten digits ----------------------
DIGITS_CONFIGS = ("sigmoid + Xavier", "ReLU + He", "residual + BN")  # of race.CONFIGS
DIGITS_DEPTHS = (2, 4, 8, 16, 32, 64, 128, 256)
DIGITS_RATES = (1e-3, 1e-2)  # Adam's learning rates tried at every configuration and depth
DIGITS_MAX_STEPS = 630  # 30 epochs of the 21 batches of 64 in the 1,347 training images


def digits_depth(config: str, depth: int, lr: float, seed: int) -> dict:
    """Chapter 9 on real data: the ``race.CONFIGS[config]`` network of ``depth`` hidden layers
    (width 32; weights ``seed``) on ``data.digits`` (split by ``default_rng(0)``: 1,347
    training and 450 test images of 64 pixels, 10 classes), trained with Adam at ``lr`` in
    batches of 64 (order ``seed + 1000``) one epoch at a time until its training accuracy
    (inference mode) reaches ``race.TARGET`` or ``DIGITS_MAX_STEPS`` steps have passed. It
    *trains* if it reaches the target. Returns whether it did, the steps taken, whether it
    diverged, and the final training and test accuracy."""
    if config not in DIGITS_CONFIGS:
        raise ValueError(f"config={config!r}: choose one of {DIGITS_CONFIGS}")
    X, y, X_test, y_test = data.digits(np.random.default_rng(0))
    settings = dict(race.CONFIGS[config])
    settings.pop("kind")
    model = models.mlp(X.shape[1], race.WIDTH, depth, 10, rng=np.random.default_rng(seed),
                       **settings)
    opt, shuffle = optim.Adam(lr), np.random.default_rng(seed + 1000)
    per_epoch, steps, accuracy, diverged = len(X) // race.BATCH, 0, 0.0, False
    try:
        while steps < DIGITS_MAX_STEPS and accuracy < race.TARGET:
            history = train.fit(model, X, y, optimizer=opt, epochs=1, batch_size=race.BATCH,
                                rng=shuffle, record_every=None)
            steps += per_epoch
            accuracy = float(history.epoch_accuracy[-1])
    except NonFiniteError:
        diverged = True
    return {"trains": accuracy >= race.TARGET, "steps": steps, "diverged": diverged,
            "accuracy": accuracy,
            "test_accuracy": None if diverged else float(train.accuracy(model, X_test, y_test))}

# -- the gallery of broken networks: each case's network as given, and as fixed ----------------
GALLERY_CASES = ("sigmoid", "small_init", "big_steps", "batchnorm", "recurrence", "deep_plain")


def _gallery_fit(model, X, y, seed: int, *, lr: float, epochs: int = 30) -> float:
    """The gallery's training: Adam at ``lr``, batches of 64 in the order of ``seed + 1``; the
    final training accuracy."""
    history = train.fit(model, X, y, optimizer=optim.Adam(lr), epochs=epochs, batch_size=64,
                        rng=np.random.default_rng(seed + 1), record_every=None)
    return float(history.epoch_accuracy[-1])


def _bn_loop(model, X, y, seed: int, *, train_mode: bool, epochs: int = 60) -> float:
    """Case 4's hand-written loop, whose forward pass runs in the mode ``train_mode``."""
    opt, shuffle = optim.Adam(0.01), np.random.default_rng(seed + 1)
    for _ in range(epochs):
        order = shuffle.permutation(len(X))
        for b in range(len(X) // 64):
            rows = order[b * 64:(b + 1) * 64]
            _, dlogits = softmax_cross_entropy(model.forward(X[rows], train=train_mode), y[rows])
            model.backward(dlogits)
            opt.step(model)
    return train.accuracy(model, X, y)


def gallery_case(case: str, seed: int) -> dict:
    """One case of the gallery (appendix) with weights (and, for case 5, the recurrent matrix)
    drawn from ``seed``: the final training accuracy of the network as given (``broken``, with
    ``diverged`` if its training stopped on a non-finite value) and of its fix (``fixed``). The
    data are the depth race's 256 spiral points (data seed 12345), or for case 5 the sequence
    task of chapter 8 (512 sequences of 30 steps, data seed 0)."""
    if case not in GALLERY_CASES:
        raise ValueError(f"case={case!r} is unknown; choose one of {', '.join(GALLERY_CASES)}")
    X, y = data.spirals(256, np.random.default_rng(12345))

    def mlp(depth, **kw):
        return models.mlp(2, 32, depth, 2, rng=np.random.default_rng(seed), **kw)

    he = dict(activation="relu", init="he_normal")
    diverged = False
    if case == "sigmoid":
        broken = _gallery_fit(mlp(20, activation="sigmoid", init="xavier_normal"), X, y, seed,
                              lr=0.01)
        fixed = _gallery_fit(mlp(20, **he), X, y, seed, lr=0.01)
    elif case == "small_init":
        broken = _gallery_fit(mlp(20, activation="relu", init=0.01), X, y, seed, lr=0.01)
        fixed = _gallery_fit(mlp(20, **he), X, y, seed, lr=0.01)
    elif case == "big_steps":
        model = mlp(6, **he)
        _gallery_fit(model, X, y, seed, lr=0.3, epochs=1)  # the four large steps
        broken = _gallery_fit(model, X, y, seed, lr=0.003)
        fixed = _gallery_fit(mlp(6, **he), X, y, seed, lr=0.003)
    elif case == "batchnorm":
        def net():
            return mlp(10, activation="sigmoid", init="xavier_normal", norm="batch")
        broken = _bn_loop(net(), X, y, seed, train_mode=False)
        fixed = _bn_loop(net(), X, y, seed, train_mode=True)
    elif case == "recurrence":
        X_seq, y_seq = data.sequence_sign(512, 30, np.random.default_rng(0))
        from . import recurrent
        from .layers import Dense, Sequential

        def run(clip):
            rng = np.random.default_rng(seed)
            model = Sequential([recurrent.RNN(1, 16, 30, activation="identity", radius=1.1,
                                              rng=rng), Dense(16, 2, rng=rng)])
            history = train.fit(model, X_seq, y_seq, optimizer=optim.SGD(0.01, momentum=0.9),
                                epochs=30, batch_size=32, rng=np.random.default_rng(seed + 1),
                                clip=clip, record_every=None)
            return float(history.epoch_accuracy[-1])
        try:
            broken = run(None)
        except NonFiniteError:
            broken, diverged = 0.0, True
        fixed = run(1.0)
    else:  # deep_plain: the network of plain_relu_lr at Adam 0.001
        as_given = plain_relu_lr(0.001, seed)
        broken, diverged = as_given["accuracy"], as_given["diverged"]
        stack = models.residual_stack(2, 32, 100, 2, activation="relu",
                                      rng=np.random.default_rng(seed))
        fixed = _gallery_fit(stack, X, y, seed, lr=0.001)
    return {"broken": broken, "diverged": diverged, "fixed": fixed}


# -- chapters 3 and 5 on real data: the handwritten digits -------------------------------------


def digits_diagnosis(activation: str, seed: int, *, depth: int = 10, width: int = 32,
                     lr: float = 0.05, batch_size: int = 64, epochs: int = 30) -> dict:
    """Chapter 3 on real data: the chapter's network and recipe on ``data.digits`` (split by
    ``default_rng(0)``: 1,347 training and 450 test images of 64 pixels, 10 classes). An
    ``mlp(64, width, depth, 10)`` with ``activation`` and He normal weights (drawn with
    ``seed + 1``) trained with plain SGD at ``lr`` for ``epochs`` epochs of batches of
    ``batch_size`` training images (order ``seed + 2``).

    Returns the mean training loss of every epoch (``epoch_loss``), the final training and test
    accuracy, ``weight_change``: ``||W_end - W_start|| / ||W_start||`` of every Dense layer
    (input side first), and the ``diagnose(model, X_train, y_train, lr=lr)`` report of the
    trained network, per Dense layer: ``||dL/dW||`` (``grad_norms``), ``||dL/dz||``
    (``signals``) and its flags (``flags``)."""
    X, y, X_test, y_test = data.digits(np.random.default_rng(0))
    model = models.mlp(X.shape[1], width, depth, 10, activation=activation,
                       init="he_normal", rng=np.random.default_rng(seed + 1))
    start = probe.weight_snapshot(model)
    history = train.fit(model, X, y, optimizer=optim.SGD(lr), epochs=epochs,
                        batch_size=batch_size, rng=np.random.default_rng(seed + 2),
                        record_every=None)
    report = diagnose.diagnose(model, X, y, lr=lr)
    return {"epoch_loss": [float(v) for v in history.epoch_loss],
            "accuracy": float(history.epoch_accuracy[-1]),
            "test_accuracy": float(train.accuracy(model, X_test, y_test)),
            "weight_change": [float(v) for v in probe.relative_weight_change(model, start)],
            "grad_norms": [float(lay.grad_norm) for lay in report.layers],
            "signals": [float(lay.signal) for lay in report.layers],
            "flags": [list(lay.flags) for lay in report.layers]}


def digits_relu_init(init: str, seed: int, *, depth: int = 30, width: int = 32,
                     lr: float = 0.02, batch_size: int = 16, epochs: int = 30) -> dict:
    """Chapter 5 on real data: ``deep_relu_init``'s network and recipe on ``data.digits``
    (split by ``default_rng(0)``: 1,347 training and 450 test images of 64 pixels, 10
    classes). A ReLU ``mlp(64, width, depth, 10)`` initialised with ``init`` (weights drawn
    with ``seed + 1``) trained with plain SGD at ``lr`` for ``epochs`` epochs of batches of
    ``batch_size`` training images (order ``seed + 2``).

    Returns the final training and test accuracy, the mean training loss of every epoch, every
    layer's ``||dL/dW||`` at the first step (input side first) and, from
    ``diagnose(model, X_train, y_train, lr=lr)`` of the fresh network, the standard deviation
    of every hidden layer's activations (``start_act_std``) and every layer's flags
    (``start_flags``)."""
    X, y, X_test, y_test = data.digits(np.random.default_rng(0))
    model = models.mlp(X.shape[1], width, depth, 10, activation="relu", init=init,
                       rng=np.random.default_rng(seed + 1))
    start = diagnose.diagnose(model, X, y, lr=lr)  # one pass: the weights stay as they are
    history = train.fit(model, X, y, optimizer=optim.SGD(lr), epochs=epochs,
                        batch_size=batch_size, rng=np.random.default_rng(seed + 2),
                        record_every=10**6)  # the per-layer record of the first step only
    return {"accuracy": float(history.epoch_accuracy[-1]),
            "test_accuracy": float(train.accuracy(model, X_test, y_test)),
            "epoch_loss": [float(v) for v in history.epoch_loss],
            "grad_norms_step1": [float(v) for v in history.grad_norms[0]],
            "start_act_std": [float(lay.act_std) for lay in start.layers[:-1]],
            "start_flags": [list(lay.flags) for lay in start.layers]}
