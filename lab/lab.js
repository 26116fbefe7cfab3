// The lab page: controls, views and the worker that trains (engine.js), in plain JavaScript.
// The numbers come from the engine in a Web Worker built from a Blob (a page opened from
// file:// may not start a worker from a file); the data, the presets' initial weights and
// diagnose()'s thresholds come from vglib through data.js (window.VGLAB_DATA).
(function () {
  "use strict";
  var DATA = window.VGLAB_DATA;
  var root = document.getElementById("vglab");
  if (!root || !DATA || typeof VGLabFactory !== "function") return;

  var GRID = 48;  // the decision boundary is drawn on a GRID x GRID grid of probabilities
  var CHOICES = {
    dataset: [["spirals", "spirals"], ["moons", "moons"], ["circles", "circles"],
              ["checkerboard", "checkerboard"]],
    width: [["8", "8"], ["16", "16"], ["32", "32"], ["64", "64"]],
    activation: [["sigmoid", "sigmoid"], ["tanh", "tanh"], ["relu", "ReLU"],
                 ["leaky_relu", "leaky ReLU"], ["gelu", "GELU"]],
    init: [["xavier_normal", "Xavier (normal)"], ["he_normal", "He (normal)"]],
    norm: [["none", "none"], ["batch", "BatchNorm"], ["layer", "LayerNorm"]],
    optimizer: [["sgd", "SGD with momentum"], ["adam", "Adam"]],
    lr: [["0.0001", "0.0001"], ["0.0003", "0.0003"], ["0.001", "0.001"], ["0.003", "0.003"],
         ["0.01", "0.01"], ["0.02", "0.02"], ["0.05", "0.05"], ["0.1", "0.1"], ["0.3", "0.3"],
         ["1", "1"]],
    momentum: [["0", "0"], ["0.9", "0.9"]],
    batch: [["16", "16"], ["32", "32"], ["64", "64"]],
    clip: [["none", "off"], ["0.1", "0.1"], ["1", "1"], ["10", "10"]]
  };

  // ---------------------------------------------------------------- controls
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  var svgNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var node = document.createElementNS(svgNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  var controls = {};
  function select(name, label, choices) {
    var id = "vglab-" + name;
    var s = el("select", {id: id, name: name});
    choices.forEach(function (c) { s.appendChild(el("option", {value: c[0], text: c[1]})); });
    controls[name] = s;
    return el("div", {"class": "vglab-field"}, [el("label", {"for": id, text: label}), s]);
  }
  function number(name, label, min, max, step) {
    var id = "vglab-" + name;
    var input = el("input", {id: id, name: name, type: "number", min: min, max: max,
                             step: step, inputmode: "numeric"});
    controls[name] = input;
    return el("div", {"class": "vglab-field"}, [el("label", {"for": id, text: label}), input]);
  }
  function range(name, label, min, max, step) {
    var id = "vglab-" + name;
    var input = el("input", {id: id, name: name, type: "range", min: min, max: max, step: step});
    var out = el("output", {"for": id, id: id + "-value"});
    controls[name] = input;
    input.addEventListener("input", function () { out.textContent = input.value; });
    return el("div", {"class": "vglab-field"}, [el("label", {"for": id, text: label}), input,
                                                  out]);
  }
  var presetChoices = [["", "(your own settings)"]].concat(
    DATA.presets.map(function (p) { return [p.id, p.title]; }));

  var playButton = el("button", {type: "button", id: "vglab-play", "aria-pressed": "false",
                                 text: "Play"});
  var stepButton = el("button", {type: "button", id: "vglab-step", text: "Step"});
  var resetButton = el("button", {type: "button", id: "vglab-reset", text: "Reset"});
  var verdict = el("p", {id: "vglab-verdict", "class": "vglab-verdict", role: "status",
                         "aria-live": "polite", text: "Press Play to train."});
  var status = el("p", {id: "vglab-status", "class": "vglab-status"});

  var network = el("fieldset", {"class": "vglab-group"}, [
    el("legend", {text: "Network"}),
    range("depth", "Depth (hidden layers)", 1, 200, 1),
    select("width", "Width", CHOICES.width),
    select("activation", "Activation", CHOICES.activation),
    select("init", "Initialisation", CHOICES.init),
    range("scale", "Scale of the initial weights", 0.25, 2, 0.05),
    select("norm", "Normalisation", CHOICES.norm),
    el("div", {"class": "vglab-field"}, [
      (controls.residual = el("input", {type: "checkbox", id: "vglab-residual",
                                        name: "residual"})),
      el("label", {"for": "vglab-residual", text: "Residual connections"})])
  ]);
  var training = el("fieldset", {"class": "vglab-group"}, [
    el("legend", {text: "Training"}),
    select("preset", "Preset", presetChoices),
    select("dataset", "Data", CHOICES.dataset),
    select("optimizer", "Optimiser", CHOICES.optimizer),
    select("lr", "Learning rate", CHOICES.lr),
    select("momentum", "Momentum (SGD)", CHOICES.momentum),
    select("batch", "Batch size", CHOICES.batch),
    select("clip", "Clip the gradient norm at", CHOICES.clip),
    number("seed", "Seed", 0, 9999, 1)
  ]);
  var buttons = el("div", {"class": "vglab-buttons", role: "group",
                           "aria-label": "Run the training"},
                   [playButton, stepButton, resetButton]);

  // ---------------------------------------------------------------- views
  var boundary = el("canvas", {id: "vglab-boundary", width: 240, height: 240, role: "img",
                               "aria-label": "The data and the network's decision boundary"});
  var curves = svg("svg", {id: "vglab-curves", viewBox: "0 0 320 200", role: "img",
                           "aria-label": "Loss and accuracy by training step"});
  var grads = svg("svg", {id: "vglab-grads", viewBox: "0 0 420 200", role: "img",
                          "aria-label": "Gradient norm of every layer, log scale, with flags"});
  var flagsList = el("p", {id: "vglab-flags", "class": "vglab-flags"});
  function figure(child, caption) {
    return el("figure", {"class": "vglab-view"}, [child, el("figcaption", {text: caption})]);
  }
  var views = el("div", {"class": "vglab-views"}, [
    figure(boundary, "Data and decision boundary"),
    figure(curves, "Loss (solid) and accuracy (dashed) on each minibatch"),
    figure(grads, "||dL/dW|| per Dense layer, input on the left (log scale); " +
                  "\u25bc vanishing, \u25b2 exploding, \u25c6 saturated, \u2715 dead")
  ]);
  root.appendChild(el("div", {"class": "vglab-panel"}, [network, training]));
  root.appendChild(buttons);
  root.appendChild(verdict);
  root.appendChild(status);
  root.appendChild(views);
  root.appendChild(flagsList);

  // ---------------------------------------------------------------- state
  var worker = null, running = false, history = [], lastState = null, lastGrid = null;
  var shownMeasurement = null;
  var engine = window.VGLab;

  function settings() {
    return {
      spec: {depth: +controls.depth.value, width: +controls.width.value,
             activation: controls.activation.value, init: controls.init.value,
             scale: +controls.scale.value,
             norm: controls.norm.value === "none" ? null : controls.norm.value,
             residual: controls.residual.checked},
      train: {optimizer: controls.optimizer.value, lr: +controls.lr.value,
              momentum: +controls.momentum.value, batch: +controls.batch.value,
              clip: controls.clip.value === "none" ? null : +controls.clip.value},
      dataset: controls.dataset.value,
      seed: Math.max(0, Math.floor(+controls.seed.value || 0))
    };
  }
  function setValue(name, value) {
    var c = controls[name];
    if (c.type === "checkbox") c.checked = !!value; else c.value = String(value);
    c.dispatchEvent(new Event("input"));
  }
  function nearest(name, value) {
    var best = null;
    CHOICES[name].forEach(function (c) {
      if (best === null || Math.abs(+c[0] - value) < Math.abs(+best - value)) best = c[0];
    });
    return best;
  }
  function applyPreset(preset) {
    var s = preset.spec, t = preset.train;
    setValue("depth", s.depth); setValue("width", s.width); setValue("activation", s.activation);
    setValue("init", s.init); setValue("scale", s.scale); setValue("norm", s.norm || "none");
    setValue("residual", s.residual); setValue("dataset", preset.dataset);
    setValue("optimizer", t.optimizer); setValue("lr", nearest("lr", t.lr));
    setValue("momentum", t.momentum); setValue("batch", t.batch);
    setValue("clip", t.clip === null ? "none" : nearest("clip", t.clip));
    setValue("seed", preset.seed);
  }
  function currentPreset() {
    var id = controls.preset.value;
    return DATA.presets.filter(function (p) { return p.id === id; })[0] || null;
  }

  function reset() {
    if (worker) worker.terminate();
    running = false;
    playButton.textContent = "Play";
    playButton.setAttribute("aria-pressed", "false");
    history = [];
    lastState = null;
    lastGrid = null;
    shownMeasurement = null;
    var s = settings(), preset = currentPreset();
    var data = DATA.datasets[s.dataset];
    worker = new Worker(URL.createObjectURL(new Blob(
      ["(" + VGLabFactory.toString() + ")().workerMain(self);"], {type: "text/javascript"})));
    worker.onmessage = function (e) {
      if (e.data.type === "state") show(e.data);
      if (e.data.type === "error") {
        setRunning(false);
        verdict.textContent = "The lab stopped: " + e.data.message;
      }
    };
    worker.postMessage({type: "init", spec: s.spec, seed: s.seed,
                        params: preset ? preset.network.params : null,
                        data: data, train: s.train, thresholds: DATA.thresholds,
                        gridSize: GRID, gridPad: 0.08});
    worker.postMessage({type: "pause"});  // the fresh network's state: diagnosed, no step yet
  }

  // ---------------------------------------------------------------- drawing
  var points = {};
  function pointsOf(name) {
    if (!points[name]) points[name] = engine.decode(DATA.datasets[name].X);
    return points[name];
  }
  // the grid is painted once per new grid into a GRID x GRID image, then scaled onto the canvas
  var gridCanvas = document.createElement("canvas"), gridImage = null;
  function drawBoundary(state) {
    var ctx = boundary.getContext("2d"), W = boundary.width, H = boundary.height;
    var s = settings(), X = pointsOf(s.dataset), y = DATA.datasets[s.dataset].y;
    var box = state.gridBox;
    if (!box) return;
    if (state.grid) {
      var g = state.gridSize;
      if (!gridImage || gridImage.width !== g) {
        gridCanvas.width = gridCanvas.height = g;
        gridImage = gridCanvas.getContext("2d").createImageData(g, g);
      }
      var px = gridImage.data;
      for (var j = 0; j < g; j++) {  // grid[j g + i]: P(class 1) at (xs[i], ys[j]), ys rising
        for (var i = 0; i < g; i++) {
          var p = state.grid[j * g + i], o = 4 * ((g - 1 - j) * g + i);
          px[o] = Math.round(255 - 80 * p); px[o + 1] = 215; px[o + 2] = Math.round(175 + 80 * p);
          px[o + 3] = 255;
        }
      }
      gridCanvas.getContext("2d").putImageData(gridImage, 0, 0);
      lastGrid = true;
    }
    ctx.clearRect(0, 0, W, H);
    if (lastGrid) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(gridCanvas, 0, 0, W, H);
    }
    for (var c = 0; c < 2; c++) {  // one path per class
      ctx.beginPath();
      ctx.fillStyle = c ? "#0b3d91" : "#b3470b";
      for (var k = 0; k < y.length; k++) {
        if (y[k] !== c) continue;
        var qx = (X[2 * k] - box.xmin) / (box.xmax - box.xmin) * W;
        var qy = (box.ymax - X[2 * k + 1]) / (box.ymax - box.ymin) * H;
        ctx.moveTo(qx + 2.5, qy);
        ctx.arc(qx, qy, 2.5, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function polyline(values, x, y, attrs) {
    var pts = [];
    values.forEach(function (v, i) { if (isFinite(v)) pts.push(x(i) + "," + y(v)); });
    var a = {points: pts.join(" "), fill: "none"};
    Object.keys(attrs).forEach(function (k) { a[k] = attrs[k]; });
    return svg("polyline", a);
  }
  function text(x, y, s, anchor) {
    var t = svg("text", {x: x, y: y, "font-size": 11, "text-anchor": anchor || "start",
                         fill: "currentColor"});
    t.textContent = s;
    return t;
  }
  function drawCurves() {
    clear(curves);
    var n = history.length;
    if (!n) return;
    var maxLoss = Math.max.apply(null, history.map(function (h) { return h.loss; })
                                               .filter(isFinite).concat([1e-9]));
    var x = function (i) { return 40 + 270 * (n > 1 ? i / (n - 1) : 0); };
    var yl = function (v) { return 180 - 165 * Math.min(v / maxLoss, 1); };
    var ya = function (v) { return 180 - 165 * v; };
    curves.appendChild(svg("line", {x1: 40, x2: 310, y1: 180, y2: 180, stroke: "#999"}));
    curves.appendChild(polyline(history.map(function (h) { return h.loss; }), x, yl,
                                {stroke: "#0072b2", "stroke-width": 2}));
    curves.appendChild(polyline(history.map(function (h) { return h.accuracy; }), x, ya,
                                {stroke: "#d55e00", "stroke-width": 2,
                                 "stroke-dasharray": "5 3"}));
    curves.appendChild(text(36, 19, maxLoss < 1000 ? maxLoss.toPrecision(2)
                                                   : maxLoss.toExponential(0), "end"));
    curves.appendChild(text(312, 12, "accuracy 100 %", "end"));
    curves.appendChild(text(36, 184, "0", "end"));
    curves.appendChild(text(312, 196, "step " + history[n - 1].step, "end"));
  }
  var SYMBOL = {vanishing: "\u25bc", exploding: "\u25b2", saturated: "\u25c6", dead: "\u2715"};
  function drawGrads(state) {
    clear(grads);
    var m = state.measurements || [];
    if (!m.length) return;
    var values = m.map(function (l) { return l.grad_norm; });
    var logs = values.filter(function (v) { return v > 0 && isFinite(v); })
                     .map(function (v) { return Math.log10(v); });
    var lo = Math.floor(Math.min.apply(null, logs.concat([0]))),
        hi = Math.ceil(Math.max.apply(null, logs.concat([0])));
    if (hi === lo) hi = lo + 1;
    var x = function (i) { return 50 + 360 * (m.length > 1 ? i / (m.length - 1) : 0.5); };
    var y = function (v) {
      return 180 - 165 * (Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / (hi - lo);
    };
    for (var e = lo; e <= hi; e += Math.max(1, Math.ceil((hi - lo) / 6))) {
      grads.appendChild(svg("line", {x1: 50, x2: 410, y1: y(Math.pow(10, e)),
                                     y2: y(Math.pow(10, e)), stroke: "#ddd"}));
      grads.appendChild(text(46, y(Math.pow(10, e)) + 4, "1e" + e, "end"));
    }
    grads.appendChild(polyline(values, x, y, {stroke: "#009e73", "stroke-width": 2}));
    (state.flags || []).forEach(function (f, i) {
      if (f.length) grads.appendChild(text(x(i), y(values[i]) - 6,
                                           f.map(function (k) { return SYMBOL[k]; }).join(""),
                                           "middle"));
    });
  }
  function later(draw) { setTimeout(draw, 0); }
  function show(state) {
    lastState = state;
    var trace = state.lossTrace || [], acc = state.accuracyTrace || [];
    for (var t = 0; t < trace.length; t++) {  // every step since the last state
      history.push({step: state.step - trace.length + t + 1, loss: trace[t], accuracy: acc[t]});
    }
    if (history.length > 800) history = history.filter(function (_, i) { return i % 2 === 0; });
    // each view is drawn in a task of its own, so that no task of the page runs long; the
    // boundary only for a new grid, the gradient chart only for a new measurement
    if (state.grid || !lastGrid) later(function () { drawBoundary(state); });
    later(drawCurves);
    if (state.measuredStep !== shownMeasurement) {
      shownMeasurement = state.measuredStep;
      later(function () { drawGrads(state); });
    }
    var counts = {};
    (state.flags || []).forEach(function (f) {
      f.forEach(function (k) { counts[k] = (counts[k] || 0) + 1; });
    });
    flagsList.textContent = Object.keys(counts).length
      ? "Flagged layers: " + Object.keys(counts).map(function (k) {
          return SYMBOL[k] + " " + k + " " + counts[k]; }).join(", ") + "."
      : "No layer is flagged.";
    status.textContent = "Step " + state.step + (state.step && isFinite(state.loss)
      ? ": loss " + state.loss.toFixed(4) + " on the last minibatch, accuracy " +
        (100 * state.accuracy).toFixed(1) + " %" : "") +
      (running && state.stepsPerSecond ? ", " + Math.round(state.stepsPerSecond) +
       " steps per second" : "") + ".";
    var words = (state.diverged ? state.message + " " : "") + (state.verdict || "");
    if (verdict.textContent !== words) verdict.textContent = words;
    if (state.diverged) setRunning(false);
  }

  // ---------------------------------------------------------------- wiring
  function setRunning(on) {
    running = on;
    playButton.textContent = on ? "Pause" : "Play";
    playButton.setAttribute("aria-pressed", on ? "true" : "false");
    if (worker) worker.postMessage({type: on ? "run" : "pause"});
  }
  playButton.addEventListener("click", function () { setRunning(!running); });
  stepButton.addEventListener("click", function () {
    setRunning(false);
    worker.postMessage({type: "step", count: 1});
  });
  resetButton.addEventListener("click", reset);
  controls.preset.addEventListener("change", function () {
    var p = currentPreset();
    if (p) applyPreset(p);
    reset();
  });
  ["depth", "width", "activation", "init", "scale", "norm", "residual", "dataset",
   "seed"].forEach(function (name) {
    controls[name].addEventListener("change", function () {
      controls.preset.value = "";  // the network is no longer the preset's
      reset();
    });
  });
  ["optimizer", "lr", "momentum", "batch", "clip"].forEach(function (name) {
    controls[name].addEventListener("change", function () {
      worker.postMessage({type: "set", train: settings().train});
    });
  });

  // start: the preset named in the address (lab.html#preset-sigmoid10), else the first one
  var wanted = (location.hash.match(/preset-(\w+)/) || [])[1];
  var start = DATA.presets.filter(function (p) { return p.id === wanted; })[0] || DATA.presets[0];
  controls.preset.value = start.id;
  applyPreset(start);
  reset();
  window.addEventListener("hashchange", function () {  // the preset links on the page
    var id = (location.hash.match(/preset-(\w+)/) || [])[1];
    var p = DATA.presets.filter(function (q) { return q.id === id; })[0];
    if (!p) return;
    controls.preset.value = p.id;
    applyPreset(p);
    reset();
    root.scrollIntoView();
  });
  window.VGLabPage = {reset: reset, settings: settings, state: function () { return lastState; },
                      history: function () { return history; }, engine: engine,
                      setRunning: setRunning};
})();
