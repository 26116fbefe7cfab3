// Renderer of vglib's kernel-free figures (vglib/figures.py inlines it into every figure).
// Reads the figure's JSON, draws the lines for the chosen control values into the SVG and
// updates the caption; runs again on every control change. No dependencies, no network.
// Every line's colour comes in the JSON (vglib/_palette.py): no colour is chosen here.
(function () {
  "use strict";
  var ID = "__VGFIG_ID__";
  // this script's own figure, even if the same figure is shown twice on one page (JupyterLab
  // puts every open notebook in one document)
  var here = document.currentScript;
  var root = (here && here.closest(".vgfig")) || document.getElementById(ID);
  if (!root || root.dataset.ready) { return; }
  root.dataset.ready = "1";
  function part(suffix) { return root.querySelector('[id="' + ID + suffix + '"]'); }
  var spec = JSON.parse(part("-data").textContent);
  var svg = part("-svg");
  var caption = part("-caption");
  var NS = "http://www.w3.org/2000/svg";
  var W = 640, H = 380, M = { left: 78, right: 16, top: 34, bottom: 50 };
  var inputs = spec.controls.map(function (c) { return part("-" + c.name); });

  // Python's "{:.3g}", so captions match the notebook's widgets character for character.
  function fmt(v) {
    if (typeof v !== "number") { return String(v); }
    if (v === 0) { return "0"; }
    var parts = v.toExponential(2).split("e");
    var exp = parseInt(parts[1], 10);
    var strip = function (s) { return s.indexOf(".") < 0 ? s : s.replace(/0+$/, "").replace(/\.$/, ""); };
    if (exp < -4 || exp >= 3) {
      var sign = exp < 0 ? "-" : "+";
      var digits = String(Math.abs(exp));
      return strip(parts[0]) + "e" + sign + (digits.length < 2 ? "0" + digits : digits);
    }
    return strip(v.toFixed(Math.max(0, 2 - exp)));
  }

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) { node.setAttribute(key, attrs[key]); }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function xValues(s) {
    if (Array.isArray(s.x)) { return s.x; }
    var out = new Array(s.y.length);
    for (var i = 0; i < s.y.length; i++) { out[i] = s.x.start + i * s.x.step; }
    return out;
  }

  function niceTicks(lo, hi, count) {
    var span = hi - lo || 1, raw = span / count;
    var mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
    [1, 2, 5, 10].some(function (m) { step = m * mag; return raw <= step; });
    var ticks = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      ticks.push(Math.round(t / step) * step);
    }
    return ticks;
  }

  function state() {
    var chosen = {}, dataKey = [], xmax = Infinity;
    spec.controls.forEach(function (c, i) {
      var k = parseInt(inputs[i].value, 10);
      chosen[c.name] = c.values[k];
      if (c.role === "xmax") { xmax = c.values[k]; } else { dataKey.push(k); }
      var shown = part("-" + c.name + "-shown");
      if (shown) { shown.textContent = c.shown[k]; }
      if (c.kind === "slider") { inputs[i].setAttribute("aria-valuetext", c.shown[k]); }
    });
    var lines = spec.states[dataKey.join("|")].map(function (s) {
      var xs = xValues(s), x = [], y = [];
      for (var j = 0; j < xs.length; j++) {
        if (xs[j] <= xmax && (!spec.logY || s.y[j] > 0)) { x.push(xs[j]); y.push(s.y[j]); }
      }
      return { label: s.label, color: s.color, dashed: s.dashed, note: s.note, x: x, y: y };
    });
    return { chosen: chosen, lines: lines };
  }

  function render() {
    var st = state(), lines = st.lines;
    var xs = [], ys = [];
    lines.forEach(function (s) { xs = xs.concat(s.x); ys = ys.concat(s.y); });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    if (x1 === x0) { x1 = x0 + 1; }
    var room = 0.02 * (x1 - x0);  // as the widget: end points off the frame
    x0 -= room; x1 += room;
    // the same rule as Explorer.y_range: whole decades, at least minDecades of them, on a log
    // axis; the data range padded by 5 % on a linear one
    var f = spec.logY ? Math.log10 : function (v) { return v; };
    var y0 = f(Math.min.apply(null, ys)), y1 = f(Math.max.apply(null, ys));
    if (spec.logY) {
      y0 = Math.floor(y0 - 0.15); y1 = Math.ceil(y1 + 0.15);
      var missing = Math.max(0, spec.minDecades - (y1 - y0));
      y0 -= Math.ceil(missing / 2); y1 += Math.floor(missing / 2);
    } else {
      var pad = 0.05 * ((y1 - y0) || 1);
      y0 -= pad; y1 += pad;
    }
    var px = function (x) { return M.left + (x - x0) / (x1 - x0) * (W - M.left - M.right); };
    var py = function (y) { return H - M.bottom - (f(y) - y0) / (y1 - y0) * (H - M.top - M.bottom); };
    var pyRaw = function (t) { return H - M.bottom - (t - y0) / (y1 - y0) * (H - M.top - M.bottom); };

    while (svg.firstChild && svg.lastChild.tagName !== "title") { svg.removeChild(svg.lastChild); }
    var g = el("g", { "font-size": "12", fill: "currentColor" });
    svg.appendChild(g);
    g.appendChild(el("text", { x: W / 2, y: 20, "text-anchor": "middle", "font-weight": "bold",
      "font-size": "14" }, spec.title));
    // y axis: decades on a log axis, nice numbers otherwise
    var yTicks;
    if (spec.logY) {
      var lo = Math.ceil(y0), hi = Math.floor(y1), every = Math.max(1, Math.ceil((hi - lo + 1) / 8));
      yTicks = [];
      for (var d = lo; d <= hi; d++) { if ((d - lo) % every === 0) { yTicks.push(d); } }
    } else { yTicks = niceTicks(y0, y1, 5); }
    yTicks.forEach(function (t) {
      var y = pyRaw(t);
      g.appendChild(el("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, stroke: "currentColor",
        "stroke-opacity": "0.15" }));
      var label = el("text", { x: M.left - 8, y: y + 4, "text-anchor": "end" });
      if (spec.logY) {
        label.appendChild(document.createTextNode("10"));
        label.appendChild(el("tspan", { dy: "-6", "font-size": "9" }, String(t)));
      } else { label.textContent = fmt(t); }
      g.appendChild(label);
    });
    niceTicks(x0, x1, 8).forEach(function (t) {
      var x = px(t);
      g.appendChild(el("line", { x1: x, x2: x, y1: M.top, y2: H - M.bottom, stroke: "currentColor",
        "stroke-opacity": "0.15" }));
      g.appendChild(el("text", { x: x, y: H - M.bottom + 16, "text-anchor": "middle" }, fmt(t)));
    });
    g.appendChild(el("rect", { x: M.left, y: M.top, width: W - M.left - M.right,
      height: H - M.top - M.bottom, fill: "none", stroke: "currentColor", "stroke-opacity": "0.6" }));
    g.appendChild(el("text", { x: (M.left + W - M.right) / 2, y: H - 10, "text-anchor": "middle" },
      spec.xlabel));
    g.appendChild(el("text", { x: 16, y: (M.top + H - M.bottom) / 2, "text-anchor": "middle",
      transform: "rotate(-90 16 " + (M.top + H - M.bottom) / 2 + ")" }, spec.ylabel));
    // the lines, markers when there are few points, and a legend
    lines.forEach(function (s) {
      var color = s.color;
      var points = s.x.map(function (x, j) { return px(x).toFixed(1) + "," + py(s.y[j]).toFixed(1); });
      g.appendChild(el("polyline", { points: points.join(" "), fill: "none", stroke: color,
        "stroke-width": "2", "stroke-dasharray": s.dashed ? "6 4" : "none", "class": "vgfig-line" }));
      if (s.x.length <= 60) {
        s.x.forEach(function (x, j) {
          g.appendChild(el("circle", { cx: px(x).toFixed(1), cy: py(s.y[j]).toFixed(1), r: "2.5",
            fill: color }));
        });
      }
    });
    // legend in the plot corner with the fewest data points under it
    var longest = Math.max.apply(null, lines.map(function (s) { return s.label.length; }));
    var boxW = 40 + 6.5 * longest, boxH = 10 + 18 * lines.length;
    var corners = [[W - M.right - boxW, M.top], [M.left, M.top],
                   [M.left, H - M.bottom - boxH], [W - M.right - boxW, H - M.bottom - boxH]];
    var best = corners.map(function (c) {
      var inside = 0;
      lines.forEach(function (s) { s.x.forEach(function (x, j) {
        var X = px(x), Y = py(s.y[j]);
        if (X >= c[0] && X <= c[0] + boxW && Y >= c[1] && Y <= c[1] + boxH) { inside++; }
      }); });
      return inside;
    });
    var corner = corners[best.indexOf(Math.min.apply(null, best))];
    lines.forEach(function (s, i) {
      var color = s.color, ly = corner[1] + 18 + 18 * i;
      g.appendChild(el("line", { x1: corner[0] + 8, x2: corner[0] + 32, y1: ly - 4, y2: ly - 4,
        stroke: color, "stroke-width": "2", "stroke-dasharray": s.dashed ? "6 4" : "none" }));
      g.appendChild(el("text", { x: corner[0] + 38, y: ly }, s.label));
    });
    // the caption doubles as the figure's text alternative (aria-labelledby)
    caption.textContent = spec.caption.replace(/\{(\w+)(?:\[(\d+)\])?\}/g, function (m, key, idx) {
      if (key in st.chosen) {
        var c = spec.controls.filter(function (c) { return c.name === key; })[0];
        return c.shown[c.values.indexOf(st.chosen[key])];
      }
      var s = lines[parseInt(idx || "0", 10)];
      if (key === "note") { return lines[0].note; }
      return fmt(key === "start" ? s.y[0] : s.y[s.y.length - 1]);
    });
  }

  inputs.forEach(function (input) { input.addEventListener("input", render); });
  inputs.forEach(function (input) { input.addEventListener("change", render); });
  render();
})();
