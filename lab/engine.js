// The gradient lab's numerical engine: vglib's MLP, loss, optimisers and diagnosis, in plain
// JavaScript, float64 throughout, so that the page trains the book's networks in the reader's
// browser and agrees with vglib to rounding (about 1e-12 relative).
//
// What it mirrors (read those files next to this one):
//   vglib/models.py      mlp: the network's structure and parameter order
//   vglib/layers.py      Dense, Activation, BatchNorm, LayerNorm, Residual (forward + backward)
//   vglib/activations.py sigmoid, tanh, relu, leaky_relu, gelu (with vglib/_special.py's erfc)
//   vglib/losses.py      softmax_cross_entropy
//   vglib/optim.py       SGD (PyTorch-style momentum), Adam, clip_grad_norm
//   vglib/_stable.py     the norms and standard deviations that neither underflow nor overflow
//   vglib/probe.py       activation_stats (saturated, dead)
//   vglib/diagnose.py    the per-layer measurements, the flags and the one-line verdict
//   vglib/lab.py         what the page receives: specs, base64 float64 arrays, the layout
//
// A classic script without modules: everything lives inside VGLabFactory, so the page can also
// start a Web Worker from the factory's own source:
//   new Worker(URL.createObjectURL(new Blob(
//     ['(' + VGLabFactory.toString() + ')().workerMain(self);'])))
// Nothing here touches the DOM.
//
// API (VGLab = VGLabFactory()):
//   decode(base64) -> Float64Array; encode(Float64Array) -> base64   (vglib.lab.encode/decode)
//   new Network(spec, params?, seed?)  spec = {depth, width, activation, init, scale, norm,
//       residual} as vglib.lab.network; params (Float64Array, vglib's packed order) or weights
//       drawn with new Rng(seed). net.params, net.grads: the packed Float64Arrays;
//       net.layout() = export_network(...)["layout"]; net.running: BatchNorm running stats.
//     net.forward(X, n, train) -> logits (n x 2);  net.backward(dlogits) fills net.grads
//     net.trainStep(X, y, rows, optimizer, clip, measureLr?) -> {loss, accuracy, gradNorm,
//       measurements, fault}
//     net.measure(lr) -> diagnose's per-Dense-layer numbers of the last pass
//     net.diagnose(X, y, n, lr) -> {loss, accuracy, measurements, flags, verdict}
//     net.probabilities(X, n), net.predictGrid(xs, ys): P(class 1) in eval mode
//   softmaxCrossEntropy(logits, y, n) -> {loss, dlogits, accuracy}
//   new SGD(lr, momentum), new Adam(lr, b1, b2, eps): .step(net);  clipGradNorm(net, maxNorm)
//   flags(measurements, thresholds?) -> [[flag, ...], ...];  verdict(measurements, flags, lr?)
//   Rng(seed), workerMain(scope): see the sections below.
//
// Where it cannot be bit-identical to vglib: sums run in a different order than numpy's BLAS
// (x @ W, np.vdot), and Math.exp / Math.tanh / Math.log are not numpy's SIMD kernels, so the
// results differ in the last bits (1e-16 relative per operation; losses, gradients and
// measurements agree to 1e-13 or better). Quantities that are exactly zero in exact arithmetic
// come out as different rounding noise: the gradient of a Dense bias followed by BatchNorm
// (about 1e-17), which Adam then turns into steps of about lr * 1e-9 (lr * noise / eps).
//
// Speed: every buffer is allocated once per batch size (a layer grows its buffers when a larger
// batch comes, never shrinks them); the hot loops are plain for-loops over Float64Arrays.
/* exported VGLabFactory, VGLab */

function VGLabFactory() {
  "use strict";

  // ---------------------------------------------------------------------------------------
  // Constants, each the value vglib uses
  // ---------------------------------------------------------------------------------------

  var ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "gelu"];  // vglib.lab.ACTIVATIONS
  var INITS = ["xavier_normal", "he_normal"];
  var NORMS = [null, "batch", "layer"];
  var IN_DIM = 2, OUT_DIM = 2;  // the lab's data: 2-D points, 2 classes

  var LEAKY_SLOPE = 0.01;  // activations.LEAKY_SLOPE
  var BN_EPS = 1e-5, BN_MOMENTUM = 0.1;  // BatchNorm defaults
  var LN_EPS = 1e-5;  // LayerNorm default
  var SATURATION = 0.05;  // probe.SATURATION
  // probe.peak_derivative(name): the largest f'(z) over vglib's grid np.linspace(-10, 10, 200001)
  var PEAK_DERIVATIVE = {sigmoid: 0.25, tanh: 1.0, relu: 1.0, leaky_relu: 1.0,
                         gelu: 1.1289041451469775};
  var THRESHOLDS = {  // diagnose.THRESHOLDS
    vanishing_vs_output: 1e-3,  // ||dL/dz|| or ||dL/dW|| / the output layer's
    exploding_vs_output: 1e3,
    vanishing_step: 1e-6,  // lr ||dL/dW|| / ||W||
    exploding_step: 0.1,
    saturated: 0.5,  // fraction of entries
    dead: 0.5  // fraction of units
  };
  var ADVICE = {  // diagnose.Report.verdict
    vanishing: "gradients vanish on their way back, so these layers barely learn; " +
               "check the activation, the initial weight scale and the depth",
    exploding: "gradients explode, so a step would throw these weights far away; " +
               "lower the learning rate, clip the gradients or rescale the weights",
    saturated: "most units sit where their activation is flat; inputs are too " +
               "large for the activation (initial scale, normalisation)",
    dead: "most units output zero for every example and pass no gradient back; " +
          "look for a large negative bias or a too-large learning-rate step (in a " +
          "deep, narrow ReLU network it can also mean that the inputs have become " +
          "nearly identical by this depth)"
  };

  var F64 = Float64Array;

  // ---------------------------------------------------------------------------------------
  // base64 <-> Float64Array (vglib.lab.encode/decode: little-endian float64, C order)
  // ---------------------------------------------------------------------------------------

  function decode(text) {
    var bytes = atob(text);
    if (bytes.length % 8 !== 0) {
      throw new Error("decode: " + bytes.length + " bytes is not a whole number of float64s");
    }
    var view = new DataView(new ArrayBuffer(bytes.length));
    for (var i = 0; i < bytes.length; i++) { view.setUint8(i, bytes.charCodeAt(i)); }
    var out = new F64(bytes.length / 8);
    for (var k = 0; k < out.length; k++) { out[k] = view.getFloat64(8 * k, true); }
    return out;
  }

  function encode(values) {
    var view = new DataView(new ArrayBuffer(8 * values.length));
    for (var k = 0; k < values.length; k++) { view.setFloat64(8 * k, values[k], true); }
    var bytes = new Uint8Array(view.buffer), parts = [];
    for (var i = 0; i < bytes.length; i += 8192) {
      parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192)));
    }
    return btoa(parts.join(""));
  }

  // ---------------------------------------------------------------------------------------
  // Rng: a small seeded generator (xoshiro128**, seeded by splitmix32). It cannot reproduce
  // numpy's draws; networks that must match vglib come with their weights (vglib.lab).
  // ---------------------------------------------------------------------------------------

  function Rng(seed) {
    seed = (seed === undefined || seed === null) ? 0 : Number(seed);
    var lo = seed >>> 0, hi = Math.floor(seed / 4294967296) >>> 0;
    var h = (lo ^ Math.imul(hi, 0x85ebca6b)) | 0;
    function splitmix() {
      h = (h + 0x9e3779b9) | 0;
      var z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    }
    this.s = new Uint32Array([splitmix(), splitmix(), splitmix(), splitmix()]);
    this.spare = NaN;  // Box-Muller gives normals in pairs
  }
  Rng.prototype.nextUint32 = function () {
    var s = this.s;
    var r = Math.imul(s[1], 5);
    r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
    var t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return r;
  };
  Rng.prototype.uniform = function () {  // [0, 1), 53 random bits
    var a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  };
  Rng.prototype.normal = function () {  // standard normal (Box-Muller)
    if (this.spare === this.spare) {
      var s = this.spare;
      this.spare = NaN;
      return s;
    }
    var u = 1 - this.uniform(), v = this.uniform();  // u in (0, 1]
    var r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  Rng.prototype.int = function (n) {  // uniform integer in [0, n)
    return Math.floor(this.uniform() * n);
  };
  Rng.prototype.shuffle = function (a) {  // Fisher-Yates, in place
    for (var i = a.length - 1; i > 0; i--) {
      var j = this.int(i + 1), t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  };

  // ---------------------------------------------------------------------------------------
  // vglib/_special.py: erfc(x) = t exp(-x^2 + g(t)), t = 1 / (1 + |x|/2), g a degree-24
  // Chebyshev series in t on [T_MIN, 1] (Clenshaw); erfc(-x) = 2 - erfc(x). The same
  // coefficients and the same order of operations as vglib, so GELU agrees to rounding.
  // ---------------------------------------------------------------------------------------

  var SQRT_2 = Math.sqrt(2.0);
  var SQRT_2PI = Math.sqrt(2.0 * Math.PI);
  var T_MIN = 1.0 / (1.0 + 26.5 / 2);
  var ERFC_COEFFICIENTS = new F64([
    -0.6100171641512798, 0.6046992435245915, 0.013806059441531945, -0.008241647854603568,
    -0.0005358987303485318, 0.00028717627645581, 1.5290826417866985e-05,
    -1.3695068787799716e-05, 1.2793930271020493e-08, 7.073872476863575e-07,
    -5.81112972751482e-08, -3.372122486561988e-08, 6.7116007170569325e-09,
    1.1776232908724624e-09, -5.265760510701439e-10, -6.951127104782519e-13,
    3.039615042967155e-11, -4.282808340362518e-12, -1.08540365234616e-12,
    4.087442832638571e-13, -7.427742186515842e-15, -2.079370606759916e-14,
    3.713871093257921e-15, 4.170657377455419e-16, -5.36227377101411e-16
  ]);
  var CHEB_A = 4.0 / (1.0 - T_MIN);  // 2u = A t - B maps t in [T_MIN, 1] to 2u in [-2, 2]
  var CHEB_B = 2.0 * (T_MIN + 1.0) / (1.0 - T_MIN);
  var CHEB_LAST = ERFC_COEFFICIENTS.length - 1;

  function erfc(x) {
    var a = Math.abs(x);
    var t = 1.0 / (1.0 + 0.5 * a);
    var twoU = t * CHEB_A;
    twoU -= CHEB_B;
    var c = ERFC_COEFFICIENTS, b1 = c[CHEB_LAST], b2 = 0.0, s;
    for (var k = CHEB_LAST - 1; k >= 1; k--) {  // b_k = 2u b_{k+1} - b_{k+2} + c_k
      s = twoU * b1 - b2 + c[k];
      b2 = b1;
      b1 = s;
    }
    var g = twoU * b1 * 0.5 - b2 + c[0];
    var tail = Math.exp(g - a * a) * t;
    return x < 0 ? 2.0 - tail : tail;
  }

  function normalCdf(z) { return 0.5 * erfc(-z / SQRT_2); }  // Phi(z) = erfc(-z/sqrt 2) / 2

  // GELU's forward pass, a = z Phi(z) = z (erfc(-z/sqrt 2) / 2), for z[0:m] into a: exactly
  // erfc's operations, on four entries at a time. Clenshaw's recurrence is one long chain of
  // dependent multiply-adds; four independent chains side by side run twice as fast.
  function geluForward(z, a, m) {
    var c = ERFC_COEFFICIENTS, last = c[CHEB_LAST], c0 = c[0], i = 0, k;
    for (; i + 3 < m; i += 4) {
      var x0 = -z[i] / SQRT_2, x1 = -z[i + 1] / SQRT_2;
      var x2 = -z[i + 2] / SQRT_2, x3 = -z[i + 3] / SQRT_2;
      var a0 = Math.abs(x0), a1 = Math.abs(x1), a2 = Math.abs(x2), a3 = Math.abs(x3);
      var t0 = 1.0 / (1.0 + 0.5 * a0), t1 = 1.0 / (1.0 + 0.5 * a1);
      var t2 = 1.0 / (1.0 + 0.5 * a2), t3 = 1.0 / (1.0 + 0.5 * a3);
      var u0 = t0 * CHEB_A, u1 = t1 * CHEB_A, u2 = t2 * CHEB_A, u3 = t3 * CHEB_A;
      u0 -= CHEB_B; u1 -= CHEB_B; u2 -= CHEB_B; u3 -= CHEB_B;
      var p0 = last, p1 = last, p2 = last, p3 = last, q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0;
      for (k = CHEB_LAST - 1; k >= 1; k--) {
        var ck = c[k];
        var s0 = u0 * p0 - q0 + ck, s1 = u1 * p1 - q1 + ck;
        var s2 = u2 * p2 - q2 + ck, s3 = u3 * p3 - q3 + ck;
        q0 = p0; p0 = s0; q1 = p1; p1 = s1; q2 = p2; p2 = s2; q3 = p3; p3 = s3;
      }
      var e0 = Math.exp(u0 * p0 * 0.5 - q0 + c0 - a0 * a0) * t0;
      var e1 = Math.exp(u1 * p1 * 0.5 - q1 + c0 - a1 * a1) * t1;
      var e2 = Math.exp(u2 * p2 * 0.5 - q2 + c0 - a2 * a2) * t2;
      var e3 = Math.exp(u3 * p3 * 0.5 - q3 + c0 - a3 * a3) * t3;
      a[i] = z[i] * (0.5 * (x0 < 0 ? 2.0 - e0 : e0));
      a[i + 1] = z[i + 1] * (0.5 * (x1 < 0 ? 2.0 - e1 : e1));
      a[i + 2] = z[i + 2] * (0.5 * (x2 < 0 ? 2.0 - e2 : e2));
      a[i + 3] = z[i + 3] * (0.5 * (x3 < 0 ? 2.0 - e3 : e3));
    }
    for (; i < m; i++) { a[i] = z[i] * normalCdf(z[i]); }
  }
  function normalPdf(z) { return Math.exp(-0.5 * z * z) / SQRT_2PI; }

  // ---------------------------------------------------------------------------------------
  // vglib/_stable.py: norms and standard deviations. The plain sum of squares first; only
  // when it is not finite or below 2^-900 are the values scaled by a power of two first.
  // ---------------------------------------------------------------------------------------

  var SAFE_LOW = Math.pow(2, -900);
  var bitsView = new DataView(new ArrayBuffer(8));

  function frexpExponent(m) {  // e with m = f 2^e, 0.5 <= f < 1 (0 for 0, inf, NaN)
    if (m === 0 || !isFinite(m)) { return 0; }
    m = Math.abs(m);
    var shift = 0;
    if (m < 2.2250738585072014e-308) { m *= 18446744073709551616; shift = 64; }  // subnormal
    bitsView.setFloat64(0, m);
    return ((bitsView.getUint16(0) >> 4) & 0x7ff) - 1022 - shift;
  }

  function pow2(e) {  // 2^e exactly, for -1022 <= e <= 1023
    bitsView.setUint32(0, ((e + 1023) << 20) >>> 0);
    bitsView.setUint32(4, 0);
    return bitsView.getFloat64(0);
  }

  function ldexp(x, e) {  // x 2^e (math.ldexp), by exact steps of powers of two
    while (e > 1023) { x *= pow2(1023); e -= 1023; if (!isFinite(x)) { return x; } }
    while (e < -1022) { x *= pow2(-1022); e += 1022; if (x === 0) { return x; } }
    return x * pow2(e);
  }

  function maxAbs(a, start, end) {  // NaN if any NaN, as np.max
    var m = 0;
    for (var i = start; i < end; i++) {
      var v = Math.abs(a[i]);
      if (v > m) { m = v; } else if (v !== v) { return NaN; }
    }
    return m;
  }

  // np.add.reduce of a contiguous float64 array: numpy's pairwise summation (8 accumulators
  // in blocks of up to 128, halves above), so that means come out as numpy's to the bit
  function pairwiseSum(a, start, n) {
    var i, res;
    if (n < 8) {
      res = 0.0;
      for (i = 0; i < n; i++) { res += a[start + i]; }
      return res;
    }
    if (n <= 128) {
      var r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
      var r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
      var end8 = n - (n % 8);
      for (i = 8; i < end8; i += 8) {
        var o = start + i;
        r0 += a[o]; r1 += a[o + 1]; r2 += a[o + 2]; r3 += a[o + 3];
        r4 += a[o + 4]; r5 += a[o + 5]; r6 += a[o + 6]; r7 += a[o + 7];
      }
      res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
      for (; i < n; i++) { res += a[start + i]; }
      return res;
    }
    var n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
  }

  function sumSquares(a, start, end) {
    var s = 0;
    for (var i = start; i < end; i++) { s += a[i] * a[i]; }
    return s;
  }

  // _stable.norm over a[start:end]
  function stableNorm(a, start, end) {
    if (start === undefined) { start = 0; end = a.length; }
    var total = sumSquares(a, start, end);
    if (total >= SAFE_LOW && total < Infinity) { return Math.sqrt(total); }
    if (end <= start) { return 0; }
    var m = maxAbs(a, start, end);
    if (m === 0 || !isFinite(m)) { return m; }
    var e = frexpExponent(m), s = 0;
    for (var i = start; i < end; i++) { var y = ldexp(a[i], -e); s += y * y; }
    return ldexp(Math.sqrt(s), e);
  }

  // _stable.std (population) over a[start:end]; scratch: a buffer of at least end - start
  // entries (its contents are overwritten). Sums are numpy's pairwise ones, as np.var's.
  function stableStd(a, start, end, scratch) {
    var count = end - start, i;
    var dev = scratch || new F64(count);
    var mean = pairwiseSum(a, start, count) / count;
    for (i = 0; i < count; i++) { var d = a[start + i] - mean; dev[i] = d * d; }
    var variance = pairwiseSum(dev, 0, count) / count;
    if (variance >= SAFE_LOW && variance < Infinity) { return Math.sqrt(variance); }
    // scaled: divide by the largest magnitude, centre, divide by the largest deviation
    var e1 = frexpExponent(maxAbs(a, start, end));
    for (i = 0; i < count; i++) { dev[i] = ldexp(a[start + i], -e1); }  // y, |y| < 1
    var ymean = pairwiseSum(dev, 0, count) / count, dmax = 0;
    for (i = 0; i < count; i++) {
      dev[i] -= ymean;
      var dv = Math.abs(dev[i]);
      if (dv > dmax || dv !== dv) { dmax = dv; }
    }
    var e2 = frexpExponent(dmax);
    for (i = 0; i < count; i++) { var z = ldexp(dev[i], -e2); dev[i] = z * z; }
    return ldexp(Math.sqrt(pairwiseSum(dev, 0, count) / count), e1 + e2);
  }

  function allFinite(a, start, end) {  // v - v is 0 for a finite v, NaN for inf and NaN
    for (var i = start; i < end; i++) { if (a[i] - a[i] !== 0) { return false; } }
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Layers. Each has forward(x, n, train) -> its output buffer, backward(dy, n) -> dL/dx,
  // written into buffers it owns (grown by reserve(n), never per pass). Inputs and outputs are
  // (n, features) row-major. Every leaf keeps, as vglib's layers do, x (its input), out (its
  // output, vglib's y) and dy (dL/dy of the last backward); diagnose reads them. Parameters
  // and gradients are views into the network's two packed buffers. Like vglib's, backward
  // OVERWRITES the gradients: nothing accumulates across passes.
  // ---------------------------------------------------------------------------------------

  function grow(buffer, size) { return buffer && buffer.length >= size ? buffer : new F64(size); }

  // The matrix product of the Dense layers: C[i N + j] = sum_k A(i, k) B(k, j), k in order,
  // with A(i, k) = a[i ai + k ak] and B(k, j) = b[k bk + j bj], so that x W, dy W^T and x^T dy
  // all read the arrays in place. Blocks of 4 x 4 outputs kept in locals (16 products for 8
  // loads) run about five times faster than the plain triple loop; the edges take that loop.
  function gemm(a, ai, ak, b, bk, bj, c, M, N, K) {
    var i0, j0, k, M4 = M - (M % 4), N4 = N - (N % 4);
    for (i0 = 0; i0 < M4; i0 += 4) {
      var ar0 = i0 * ai, ar1 = ar0 + ai, ar2 = ar1 + ai, ar3 = ar2 + ai;
      for (j0 = 0; j0 < N4; j0 += 4) {
        var bc0 = j0 * bj, bc1 = bc0 + bj, bc2 = bc1 + bj, bc3 = bc2 + bj;
        var c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        var c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (k = 0; k < K; k++) {
          var ka = k * ak, kb = k * bk;
          var a0 = a[ar0 + ka], a1 = a[ar1 + ka], a2 = a[ar2 + ka], a3 = a[ar3 + ka];
          var b0 = b[kb + bc0], b1 = b[kb + bc1], b2 = b[kb + bc2], b3 = b[kb + bc3];
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        var o = i0 * N + j0;
        c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03; o += N;
        c[o] = c10; c[o + 1] = c11; c[o + 2] = c12; c[o + 3] = c13; o += N;
        c[o] = c20; c[o + 1] = c21; c[o + 2] = c22; c[o + 3] = c23; o += N;
        c[o] = c30; c[o + 1] = c31; c[o + 2] = c32; c[o + 3] = c33;
      }
    }
    // the edges: rows M4.. (all columns) and columns N4.. (rows < M4)
    for (var i = 0; i < M; i++) {
      for (var j = i < M4 ? N4 : 0; j < N; j++) {
        var s = 0;
        for (k = 0; k < K; k++) { s += a[i * ai + k * ak] * b[k * bk + j * bj]; }
        c[i * N + j] = s;
      }
    }
  }

  // Dense: y = x W + b with W (fanIn, fanOut), row-major.
  function Dense(fanIn, fanOut) {
    this.kind = "Dense";
    this.fanIn = fanIn;
    this.fanOut = fanOut;
    this.slots = [["W", [fanIn, fanOut]], ["b", [fanOut]]];
    this.needDx = true;  // false for the network's first layer: nothing uses dL/dX
    this.out = null; this.dx = null; this.x = null; this.dy = null;
  }
  Dense.prototype.reserve = function (n) {
    this.out = grow(this.out, n * this.fanOut);
    if (this.needDx) { this.dx = grow(this.dx, n * this.fanIn); }
  };
  Dense.prototype.forward = function (x, n, train, net) {
    var fi = this.fanIn, fo = this.fanOut, b = this.b, y = this.out;
    this.x = x;
    gemm(x, fi, 1, this.W, fo, 1, y, n, fo, fi);  // y = x @ W
    for (var i = 0; i < n; i++) {  // ... + b
      var o = i * fo;
      for (var j = 0; j < fo; j++) { y[o + j] += b[j]; }
    }
    if (!net.fault && !allFinite(y, 0, n * fo)) {  // vglib raises here (Layer._output)
      net.fault = {role: "the output of", layer: this};
    }
    return y;
  };
  Dense.prototype.backward = function (dy, n) {
    var fi = this.fanIn, fo = this.fanOut, db = this.db;
    this.dy = dy;
    gemm(this.x, 1, fi, dy, fo, 1, this.dW, fi, fo, n);  // dL/dW = x^T dL/dy
    db.fill(0);
    for (var i = 0; i < n; i++) {  // dL/db = sum over the batch of dL/dy
      var o = i * fo;
      for (var j = 0; j < fo; j++) { db[j] += dy[o + j]; }
    }
    if (!this.needDx) { return null; }
    gemm(dy, fo, 1, this.W, 1, fo, this.dx, n, fi, fo);  // dL/dx = dL/dy W^T
    return this.dx;
  };

  // Activation: y = f(z) elementwise; backward dL/dz = dL/dy * f'(z), with f'(z) computed from
  // the cached output a = f(z) as vglib's derivative_from_output does.
  var SIGMOID = 0, TANH = 1, RELU = 2, LEAKY = 3, GELU = 4;
  // numpy's tanh (its SIMD kernel, on x86-64 with AVX2 or AVX-512) returns exactly +-1 for
  // |z| >= 0x1.2fd86fe9a361bp+4 = 18.99034..., V8's Math.tanh only from 19.0615. Whether
  // tanh(z) is exactly 1 decides whether f'(z) = 1 - a^2 is 0, which diagnose counts as not
  // saturated (and towards dead): so the lab rounds to +-1 where numpy does.
  var TANH_ONE = 18.990341103219276;

  function Activation(name, width) {
    this.kind = "Activation";
    this.name = name;
    this.fn = ACTIVATIONS.indexOf(name);
    this.width = width;
    this.slots = [];
    this.out = null; this.dx = null; this.x = null; this.dy = null;
  }
  Activation.prototype.reserve = function (n) {
    this.out = grow(this.out, n * this.width);
    this.dx = grow(this.dx, n * this.width);
  };
  Activation.prototype.forward = function (z, n, train) {
    var m = n * this.width, a = this.out, i, v;
    this.x = z;  // the pre-activation
    switch (this.fn) {
      case SIGMOID:  // 1 / (1 + exp(-z)); exp overflows to inf for z < -709 and a = 0
        for (i = 0; i < m; i++) { a[i] = 1.0 / (1.0 + Math.exp(-z[i])); }
        break;
      case TANH:  // numpy's tanh is exactly +-1 from |z| >= TANH_ONE on (see there)
        for (i = 0; i < m; i++) {
          v = z[i];
          a[i] = Math.abs(v) >= TANH_ONE ? (v > 0 ? 1.0 : -1.0) : Math.tanh(v);
        }
        break;
      case RELU:  // max(z, 0) (NaN stays NaN, as np.maximum)
        for (i = 0; i < m; i++) { v = z[i]; a[i] = v > 0 || v !== v ? v : 0.0; }
        break;
      case LEAKY:  // z if z > 0 else 0.01 z
        for (i = 0; i < m; i++) { v = z[i]; a[i] = v > 0 ? v : LEAKY_SLOPE * v; }
        break;
      case GELU:  // z Phi(z)
        geluForward(z, a, m);
        break;
    }
    return a;
  };
  Activation.prototype.backward = function (dy, n) {
    var m = n * this.width, dx = this.dx;
    this.dy = dy;
    this.slopes(dx, n);  // f'(z), then times dL/dy in place: dL/dz = dL/dy f'(z)
    for (var i = 0; i < m; i++) { dx[i] = dy[i] * dx[i]; }
    return dx;
  };
  // f'(z) of the last forward pass into `into` (the layer's local_slope)
  Activation.prototype.slopes = function (into, n) {
    var m = n * this.width, z = this.x, a = this.out, i, v;
    switch (this.fn) {
      case SIGMOID:  // sigma' = a (1 - a) <= 1/4
        for (i = 0; i < m; i++) { v = a[i]; into[i] = v * (1.0 - v); }
        break;
      case TANH:  // tanh' = 1 - a^2 <= 1
        for (i = 0; i < m; i++) { v = a[i]; into[i] = 1.0 - v * v; }
        break;
      case RELU:  // 1 where the unit is active, else 0
        for (i = 0; i < m; i++) { into[i] = z[i] > 0 ? 1.0 : 0.0; }
        break;
      case LEAKY:  // never exactly 0
        for (i = 0; i < m; i++) { into[i] = z[i] > 0 ? 1.0 : LEAKY_SLOPE; }
        break;
      case GELU:  // Phi(z) + z phi(z), Phi(z) = a / z reused from the forward pass (1/2 at 0)
        for (i = 0; i < m; i++) {
          v = z[i];
          into[i] = (v !== 0 ? a[i] / v : 0.5) + v * normalPdf(v);
        }
        break;
    }
  };

  // BatchNorm over the batch axis. Training: xhat = (x - mean_B) / sqrt(var_B + eps), biased
  // batch variance; y = gamma xhat + beta; running = (1 - m) running + m batch with the
  // UNBIASED variance n/(n-1) for the running value. Eval: the running statistics.
  function BatchNorm(dim) {
    this.kind = "BatchNorm";
    this.dim = dim;
    this.slots = [["gamma", [dim]], ["beta", [dim]]];
    this.eps = BN_EPS;
    this.momentum = BN_MOMENTUM;
    this.mean = new F64(dim); this.variance = new F64(dim); this.invStd = new F64(dim);
    this.m1 = new F64(dim); this.m2 = new F64(dim);
    this.out = null; this.dx = null; this.xhat = null; this.x = null; this.dy = null;
    this.train = true;
  }
  BatchNorm.prototype.reserve = function (n) {
    this.out = grow(this.out, n * this.dim);
    this.dx = grow(this.dx, n * this.dim);
    this.xhat = grow(this.xhat, n * this.dim);
  };
  BatchNorm.prototype.forward = function (x, n, train, net) {
    var d = this.dim, mean = this.mean, variance = this.variance, invStd = this.invStd;
    var xhat = this.xhat, y = this.out, gamma = this.gamma, beta = this.beta, i, j, o;
    this.x = x;
    this.train = train;
    if (train) {
      if (n < 2) {
        throw new Error("BatchNorm in training mode needs a batch of at least 2 rows; got " + n);
      }
      mean.fill(0);
      variance.fill(0);
      for (i = 0; i < n; i++) { o = i * d; for (j = 0; j < d; j++) { mean[j] += x[o + j]; } }
      for (j = 0; j < d; j++) { mean[j] /= n; }
      for (i = 0; i < n; i++) {  // xc = x - mean, kept in xhat; var = sum xc^2 / n (biased)
        o = i * d;
        for (j = 0; j < d; j++) {
          var c = x[o + j] - mean[j];
          xhat[o + j] = c;
          variance[j] += c * c;
        }
      }
      var m = this.momentum, rm = this.runningMean, rv = this.runningVar, bad = false;
      for (j = 0; j < d; j++) {
        variance[j] /= n;
        if (!isFinite(variance[j])) { bad = true; }
        rm[j] = (1 - m) * rm[j] + m * mean[j];
        rv[j] = (1 - m) * rv[j] + m * variance[j] * n / (n - 1);  // unbiased: / (n - 1)
      }
      if (bad && !net.fault) {  // vglib raises: the batch variance overflows float64
        net.fault = {role: "the batch variance in", layer: this};
      }
      for (j = 0; j < d; j++) { invStd[j] = 1.0 / Math.sqrt(variance[j] + this.eps); }
    } else {
      for (j = 0; j < d; j++) { invStd[j] = 1.0 / Math.sqrt(this.runningVar[j] + this.eps); }
      for (i = 0; i < n; i++) {
        o = i * d;
        for (j = 0; j < d; j++) { xhat[o + j] = x[o + j] - this.runningMean[j]; }
      }
    }
    for (i = 0; i < n; i++) {  // xhat = xc / sqrt(var + eps); y = gamma xhat + beta
      o = i * d;
      for (j = 0; j < d; j++) {
        var h = xhat[o + j] * invStd[j];
        xhat[o + j] = h;
        y[o + j] = gamma[j] * h + beta[j];
      }
    }
    return y;
  };
  BatchNorm.prototype.backward = function (dy, n) {
    var d = this.dim, xhat = this.xhat, invStd = this.invStd, gamma = this.gamma;
    var dgamma = this.dgamma, dbeta = this.dbeta, dx = this.dx, m1 = this.m1, m2 = this.m2;
    var i, j, o;
    this.dy = dy;
    dgamma.fill(0);
    dbeta.fill(0);
    m1.fill(0);
    m2.fill(0);
    for (i = 0; i < n; i++) {
      o = i * d;
      for (j = 0; j < d; j++) {
        var g = dy[o + j], h = xhat[o + j], dxhat = g * gamma[j];  // dL/dxhat = dy gamma
        dgamma[j] += g * h;  // dL/dgamma = sum over the batch of dy xhat
        dbeta[j] += g;  // dL/dbeta = sum of dy
        m1[j] += dxhat * h;
        m2[j] += dxhat;
      }
    }
    if (!this.train) {  // fixed statistics: a per-feature affine map
      for (i = 0; i < n; i++) {
        o = i * d;
        for (j = 0; j < d; j++) { dx[o + j] = dy[o + j] * gamma[j] * invStd[j]; }
      }
      return dx;
    }
    for (j = 0; j < d; j++) { m1[j] /= n; m2[j] /= n; }
    // _normalise_backward: dx = inv_std (dxhat - xhat mean(dxhat xhat) - mean(dxhat))
    for (i = 0; i < n; i++) {
      o = i * d;
      for (j = 0; j < d; j++) {
        dx[o + j] = invStd[j] * (dy[o + j] * gamma[j] - xhat[o + j] * m1[j] - m2[j]);
      }
    }
    return dx;
  };

  // LayerNorm over the last axis: each row its own mean and (biased) variance, in training and
  // in inference alike. Rows near 1e154 whose squares overflow take vglib's scaled path.
  function LayerNorm(dim) {
    this.kind = "LayerNorm";
    this.dim = dim;
    this.slots = [["gamma", [dim]], ["beta", [dim]]];
    this.eps = LN_EPS;
    this.out = null; this.dx = null; this.xhat = null; this.invStd = null;
    this.x = null; this.dy = null;
  }
  LayerNorm.prototype.reserve = function (n) {
    this.out = grow(this.out, n * this.dim);
    this.dx = grow(this.dx, n * this.dim);
    this.xhat = grow(this.xhat, n * this.dim);
    this.invStd = grow(this.invStd, n);
  };
  LayerNorm.prototype.forward = function (x, n, train) {
    var d = this.dim, xhat = this.xhat, invStd = this.invStd, y = this.out;
    var gamma = this.gamma, beta = this.beta, i, j, o, s, mean, c, finite = true;
    this.x = x;
    for (i = 0; i < n; i++) {  // mean and var over the row; xhat holds x - mean for now
      o = i * d;
      s = 0;
      for (j = 0; j < d; j++) { s += x[o + j]; }
      mean = s / d;
      s = 0;
      for (j = 0; j < d; j++) { c = x[o + j] - mean; xhat[o + j] = c; s += c * c; }
      var variance = s / d;
      if (!isFinite(variance)) { finite = false; }
      invStd[i] = 1.0 / Math.sqrt(variance + this.eps);
    }
    if (finite) {
      for (i = 0; i < n; i++) {
        o = i * d;
        for (j = 0; j < d; j++) { xhat[o + j] *= invStd[i]; }
      }
    } else {  // vglib: if any row overflows, every row is scaled by its largest entry first
      for (i = 0; i < n; i++) {
        o = i * d;
        var scale = maxAbs(x, o, o + d);
        s = 0;
        for (j = 0; j < d; j++) { s += x[o + j] / scale; }
        mean = s / d;
        s = 0;
        for (j = 0; j < d; j++) { c = x[o + j] / scale - mean; s += c * c; }
        var stdS = Math.sqrt(s / d + this.eps / scale / scale);
        var flat = stdS === 0;  // a constant row whose eps / scale^2 underflowed: xhat = 0
        if (flat) { stdS = 1.0; }
        invStd[i] = flat ? 1.0 / Math.sqrt(this.eps) : 1.0 / scale / stdS;
        for (j = 0; j < d; j++) { xhat[o + j] = (x[o + j] / scale - mean) / stdS; }
      }
    }
    for (i = 0; i < n; i++) {  // y = gamma xhat + beta
      o = i * d;
      for (j = 0; j < d; j++) { y[o + j] = gamma[j] * xhat[o + j] + beta[j]; }
    }
    return y;
  };
  LayerNorm.prototype.backward = function (dy, n) {
    var d = this.dim, xhat = this.xhat, invStd = this.invStd, gamma = this.gamma;
    var dgamma = this.dgamma, dbeta = this.dbeta, dx = this.dx, i, j, o;
    this.dy = dy;
    dgamma.fill(0);
    dbeta.fill(0);
    for (i = 0; i < n; i++) {
      o = i * d;
      var m1 = 0, m2 = 0;
      for (j = 0; j < d; j++) {
        var g = dy[o + j], h = xhat[o + j], dxhat = g * gamma[j];
        dgamma[j] += g * h;  // dL/dgamma = sum over the batch of dy xhat
        dbeta[j] += g;  // dL/dbeta = sum of dy
        m1 += dxhat * h;
        m2 += dxhat;
      }
      m1 /= d;
      m2 /= d;
      // _normalise_backward along the row:
      //   dx = inv_std (dxhat - xhat mean(dxhat xhat) - mean(dxhat))
      for (j = 0; j < d; j++) {
        dx[o + j] = invStd[i] * (dy[o + j] * gamma[j] - xhat[o + j] * m1 - m2);
      }
    }
    return dx;
  };

  // Residual: y = x + block(x); backward dL/dx = dL/dy + block'(x)^T dL/dy (the identity path
  // carries the gradient unchanged). Not a leaf: the block's layers keep the records.
  function Residual(layers, width) {
    this.kind = "Residual";
    this.layers = layers;
    this.width = width;
    this.slots = [];
    this.out = null; this.dx = null;
  }
  Residual.prototype.reserve = function (n) {
    for (var l = 0; l < this.layers.length; l++) { this.layers[l].reserve(n); }
    this.out = grow(this.out, n * this.width);
    this.dx = grow(this.dx, n * this.width);
  };
  Residual.prototype.forward = function (x, n, train, net) {
    var h = x, y = this.out, m = n * this.width;
    for (var l = 0; l < this.layers.length; l++) { h = this.layers[l].forward(h, n, train, net); }
    for (var i = 0; i < m; i++) { y[i] = x[i] + h[i]; }
    return y;
  };
  Residual.prototype.backward = function (dy, n) {
    var g = dy, dx = this.dx, m = n * this.width;
    for (var l = this.layers.length - 1; l >= 0; l--) { g = this.layers[l].backward(g, n); }
    for (var i = 0; i < m; i++) { dx[i] = dy[i] + g[i]; }
    return dx;
  };

  // ---------------------------------------------------------------------------------------
  // Loss: vglib.losses.softmax_cross_entropy. Mean over the batch of -log softmax(logits)[y],
  // log-sum-exp with the row's largest logit; dL/dlogits = (softmax - onehot) / n.
  // ---------------------------------------------------------------------------------------

  // writes dlogits; returns the loss, and the accuracy into info.accuracy. picked: a buffer of
  // n entries for -log p(label) of each row (their mean, as numpy sums it, is the loss).
  function lossInto(logits, y, n, dlogits, info, picked) {
    var C = OUT_DIM, correct = 0;
    for (var i = 0; i < n; i++) {
      var o = i * C, mx = -Infinity, c, label = y[i], best = 0;
      for (c = 0; c < C; c++) {
        if (logits[o + c] > mx) { mx = logits[o + c]; }
        if (logits[o + c] > logits[o + best]) { best = c; }  // np.argmax: the first largest
      }
      var sum = 0;
      for (c = 0; c < C; c++) { sum += Math.exp(logits[o + c] - mx); }
      var lse = Math.log(sum);
      for (c = 0; c < C; c++) {
        var logp = (logits[o + c] - mx) - lse;  // log_probs = shifted - log(sum exp(shifted))
        if (c === label) { picked[i] = logp; }
        dlogits[o + c] = Math.exp(logp) - (c === label ? 1.0 : 0.0);
      }
      if (best === label) { correct++; }
    }
    for (var k = 0; k < n * C; k++) { dlogits[k] /= n; }
    if (info) { info.accuracy = correct / n; }
    return -(pairwiseSum(picked, 0, n) / n);  // -log_probs[rows, labels].mean()
  }

  function softmaxCrossEntropy(logits, y, n, dlogits) {
    if (n === undefined) { n = y.length; }
    dlogits = dlogits || new F64(n * OUT_DIM);
    var info = {accuracy: 0};
    var loss = lossInto(logits, y, n, dlogits, info, new F64(n));
    return {loss: loss, dlogits: dlogits, accuracy: info.accuracy};
  }

  // ---------------------------------------------------------------------------------------
  // Network: vglib.models.mlp for a lab spec (vglib.lab.network)
  //   plain:    [Dense(2, w), norm, act] + (depth - 1) x [Dense(w, w), norm, act] + [Dense(w, 2)]
  //   residual: [Dense(2, w)] + depth x [Residual([Dense(w, w), norm, act])] + [Dense(w, 2)]
  // ---------------------------------------------------------------------------------------

  function checkSpec(spec) {
    if (!spec || typeof spec !== "object") { throw new TypeError("spec must be an object"); }
    var norm = spec.norm === undefined ? null : spec.norm;
    var s = {depth: spec.depth, width: spec.width, activation: spec.activation,
             init: spec.init, scale: spec.scale === undefined ? 1.0 : spec.scale,
             norm: norm, residual: !!spec.residual};
    if (!(Number.isInteger(s.depth) && s.depth >= 1)) {
      throw new Error("depth must be an integer >= 1; got " + spec.depth);
    }
    if (!(Number.isInteger(s.width) && s.width >= 1)) {
      throw new Error("width must be an integer >= 1; got " + spec.width);
    }
    if (ACTIVATIONS.indexOf(s.activation) < 0) {
      throw new Error("activation must be one of " + ACTIVATIONS.join(", ") + "; got " +
                      s.activation);
    }
    if (INITS.indexOf(s.init) < 0) {
      throw new Error("init must be one of " + INITS.join(", ") + "; got " + s.init);
    }
    if (NORMS.indexOf(norm) < 0) {
      throw new Error("norm must be null, 'batch' or 'layer'; got " + norm);
    }
    if (!(typeof s.scale === "number" && s.scale > 0 && isFinite(s.scale))) {
      throw new Error("scale must be a number > 0; got " + spec.scale);
    }
    return s;
  }

  function Network(spec, params, seed) {
    spec = checkSpec(spec);
    this.spec = spec;
    var w = spec.width, top = [];
    function normLayer() {
      if (spec.norm === "batch") { return [new BatchNorm(w)]; }
      return spec.norm === "layer" ? [new LayerNorm(w)] : [];
    }
    function hidden(fanIn) {
      return [new Dense(fanIn, w)].concat(normLayer(), [new Activation(spec.activation, w)]);
    }
    var l;
    if (spec.residual) {
      top.push(new Dense(IN_DIM, w));
      for (l = 0; l < spec.depth; l++) { top.push(new Residual(hidden(w), w)); }
    } else {
      top = hidden(IN_DIM);
      for (l = 1; l < spec.depth; l++) { top = top.concat(hidden(w)); }
    }
    top.push(new Dense(w, OUT_DIM));
    top[0].needDx = false;
    this.layers = top;

    // the leaves in forward order, with vglib's dotted names as leaf.path ("3", "1.block.0")
    var leaves = [];
    top.forEach(function (layer, i) {
      if (layer.kind === "Residual") {
        layer.layers.forEach(function (inner, j) {
          inner.path = i + ".block." + j;
          leaves.push(inner);
        });
      } else {
        layer.path = String(i);
        leaves.push(layer);
      }
    });
    this.leaves = leaves;

    // the packed parameter and gradient buffers, in vglib's order (Sequential.parameters)
    var layout = [], total = 0;
    leaves.forEach(function (leaf) {
      leaf.slots.forEach(function (slot) {
        var size = slot[1].reduce(function (a, b) { return a * b; }, 1);
        layout.push({name: leaf.path + "." + slot[0], shape: slot[1].slice(), leaf: leaf,
                     key: slot[0], offset: total, size: size});
        total += size;
      });
    });
    this._layout = layout;
    this.params = new F64(total);
    this.grads = new F64(total);
    var self = this;
    layout.forEach(function (p) {  // dW, db, dgamma, dbeta: the gradients' views
      p.leaf[p.key] = self.params.subarray(p.offset, p.offset + p.size);
      p.leaf["d" + p.key] = self.grads.subarray(p.offset, p.offset + p.size);
    });

    // BatchNorm running statistics: one buffer too (runningState / setRunningState)
    var norms = leaves.filter(function (leaf) { return leaf.kind === "BatchNorm"; });
    this.running = new F64(2 * w * norms.length);
    norms.forEach(function (bn, k) {
      bn.runningMean = self.running.subarray(2 * k * w, (2 * k + 1) * w);
      bn.runningVar = self.running.subarray((2 * k + 1) * w, (2 * k + 2) * w);
      bn.runningVar.fill(1.0);
    });

    // diagnose's groups: every Dense layer and the first activation after it, before the next
    // Dense (none for the residual stem and the output layer)
    var groups = [];
    leaves.forEach(function (leaf) {
      if (leaf.kind === "Dense") {
        groups.push({dense: leaf, act: null});
      } else if (leaf.kind === "Activation" && groups.length && !groups[groups.length - 1].act) {
        groups[groups.length - 1].act = leaf;
      }
    });
    this.groups = groups;

    if (params) {
      if (params.length !== total) {
        throw new Error("params has " + params.length + " values; this network has " + total);
      }
      this.params.set(params);
    } else {
      this.initialise(new Rng(seed));
    }

    this.cap = 0;  // rows the buffers hold
    this.n = 0;  // rows of the last forward pass
    this.fault = null;  // the first NaN or inf of the last pass: {role, layer}
    this.lossInfo = {accuracy: 0};
  }

  // vglib.init: W ~ N(0, std^2) times spec.scale; b = 0, gamma = 1, beta = 0
  Network.prototype.initialise = function (rng) {
    var spec = this.spec;
    this._layout.forEach(function (p) {
      var a = p.leaf[p.key], i;
      if (p.key === "W") {
        var fi = p.shape[0], fo = p.shape[1];
        var std = spec.init === "he_normal" ? Math.sqrt(2.0 / fi) : Math.sqrt(2.0 / (fi + fo));
        for (i = 0; i < a.length; i++) { a[i] = std * rng.normal() * spec.scale; }
      } else {
        a.fill(p.key === "gamma" ? 1.0 : 0.0);
      }
    });
  };

  // [[name, shape], ...], exactly vglib.lab.export_network(...)["layout"]
  Network.prototype.layout = function () {
    return this._layout.map(function (p) { return [p.name, p.shape.slice()]; });
  };

  // the parameter (its layout name) that entry `index` of the packed buffers belongs to
  Network.prototype.parameterAt = function (index) {
    for (var k = 0; k < this._layout.length; k++) {
      var p = this._layout[k];
      if (index < p.offset + p.size) { return p.name; }
    }
    return null;
  };

  Network.prototype.runningState = function () { return new F64(this.running); };
  Network.prototype.setRunningState = function (state) { this.running.set(state); };

  Network.prototype.reserve = function (n) {
    if (n <= this.cap) { return; }
    for (var l = 0; l < this.layers.length; l++) { this.layers[l].reserve(n); }
    this.slopeBuffer = new F64(n * this.spec.width);
    this.dlogits = new F64(n * OUT_DIM);
    this.picked = new F64(n);
    this.batchX = new F64(n * IN_DIM);
    this.batchY = new Int32Array(n);
    this.cap = n;
    this._views = {};
  };

  Network.prototype._view = function (name, buffer, size) {  // a cached subarray of the buffer
    var v = this._views[name];
    if (!v || v.length !== size || v.buffer !== buffer.buffer) {
      v = this._views[name] = size === buffer.length ? buffer : buffer.subarray(0, size);
    }
    return v;
  };

  // X: n rows of 2 features (row-major); returns the logits (n x 2, a view the next pass
  // overwrites). train: BatchNorm uses (and updates) batch statistics; false: running ones.
  Network.prototype.forward = function (X, n, train) {
    if (n === undefined) { n = X.length / IN_DIM; }
    if (train === undefined) { train = true; }
    this.reserve(n);
    this.fault = null;
    var h = X;
    for (var l = 0; l < this.layers.length; l++) { h = this.layers[l].forward(h, n, train, this); }
    this.n = n;
    this.train = train;
    this.backwardDone = false;
    return this._view("logits", h, n * OUT_DIM);
  };

  // dlogits: dL/dlogits of the last forward pass; fills net.grads (overwriting them)
  Network.prototype.backward = function (dlogits) {
    var g = dlogits, n = this.n;
    for (var l = this.layers.length - 1; l >= 0; l--) { g = this.layers[l].backward(g, n); }
    this.backwardDone = true;
  };

  // One step: forward (training mode) on rows of X, loss, backward, clipping (if clip is a
  // number), optimizer.step. Returns the loss and accuracy BEFORE the update and the global
  // gradient norm (before clipping). measureLr (optional): also returns measurements
  // (this.measure) of this pass, taken before clipping and the update, as diagnose would.
  // A NaN or inf (forward, loss, gradient or new parameter) stops the step before the update
  // (a parameter: during it) and returns fault, a message naming the layer or parameter.
  Network.prototype.trainStep = function (X, y, rows, optimizer, clip, measureLr) {
    var n, Xb, yb;
    if (rows) {
      n = rows.length;
      this.reserve(n);
      Xb = this._view("batchX", this.batchX, n * IN_DIM);
      yb = this.batchY;
      for (var r = 0; r < n; r++) {
        var row = rows[r];
        Xb[IN_DIM * r] = X[IN_DIM * row];
        Xb[IN_DIM * r + 1] = X[IN_DIM * row + 1];
        yb[r] = y[row];
      }
    } else {
      n = y.length;
      Xb = X;
      yb = y;
    }
    var logits = this.forward(Xb, n, true);
    var dl = this._view("dlogits", this.dlogits, n * OUT_DIM);
    var loss = lossInto(logits, yb, n, dl, this.lossInfo, this.picked);
    var result = {loss: loss, accuracy: this.lossInfo.accuracy, gradNorm: NaN,
                  measurements: null, fault: null};
    if (this.fault || !isFinite(loss)) {
      result.fault = this.describeFault("forward");
      return result;
    }
    this.backward(dl);
    if (measureLr) { result.measurements = this.measure(measureLr); }
    result.gradNorm = clip === null || clip === undefined ? globalGradNorm(this)
      : clipGradNorm(this, clip);
    if (!isFinite(result.gradNorm)) {
      result.fault = this.describeFault("backward");
      return result;
    }
    if (optimizer) {
      var bad = optimizer.step(this);
      if (bad >= 0) {
        result.fault = "an optimiser step would make parameter '" + this.parameterAt(bad) +
          "' NaN or inf: lower the learning rate or clip the gradients";
      }
    }
    return result;
  };

  // The first NaN or inf of the last pass, named by layer (for the lab's "diverged" message)
  Network.prototype.describeFault = function (stage) {
    var f = this.fault;
    if (stage === "forward") {
      if (f) {
        return f.role + " layer " + f.layer.path + " (" + f.layer.kind + ") is NaN or inf" +
          (f.role === "the batch variance in" ? " (overflows float64)" : "");
      }
      return "the loss is NaN or inf (the logits spread beyond float64)";
    }
    // backward: the gradient arriving at the layer nearest the output that holds a NaN or inf
    var grads = this.grads;
    for (var k = 0; k < this._layout.length; k++) {
      var p = this._layout[k];
      if (!allFinite(grads, p.offset, p.offset + p.size)) {
        return "the gradient of parameter '" + p.name + "' contains NaN or inf: training " +
          "diverged; lower the learning rate or clip the gradients";
      }
    }
    return "the gradient norm overflows float64";
  };

  // Class-1 probabilities of X (n rows) in eval mode (BatchNorm: running statistics), in
  // chunks of 256 rows. Overwrites the layers' records of the last pass (as vglib's forward).
  var CHUNK = 256;
  Network.prototype.probabilities = function (X, n, out) {
    if (n === undefined) { n = X.length / IN_DIM; }
    out = out || new F64(n);
    for (var start = 0; start < n; start += CHUNK) {
      var m = Math.min(CHUNK, n - start);
      var logits = this.forward(X.subarray(start * IN_DIM, (start + m) * IN_DIM), m, false);
      for (var i = 0; i < m; i++) { out[start + i] = classOne(logits, i); }
    }
    return out;
  };

  function classOne(logits, i) {  // softmax(logits_i)[1], shifted by the row's largest
    var l0 = logits[2 * i], l1 = logits[2 * i + 1], mx = l0 > l1 ? l0 : l1;
    var e0 = Math.exp(l0 - mx), e1 = Math.exp(l1 - mx);
    return e1 / (e0 + e1);
  }

  // out[j * xs.length + i] = P(class 1) at (xs[i], ys[j]), eval mode; only the points
  // from <= p < to if given (the worker computes a grid in pieces)
  Network.prototype.predictGrid = function (xs, ys, out, from, to) {
    var nx = xs.length, total = nx * ys.length;
    out = out || new F64(total);
    from = from || 0;
    to = to === undefined ? total : Math.min(to, total);
    if (!this.gridX) { this.gridX = new F64(CHUNK * IN_DIM); }
    var gx = this.gridX;
    for (var start = from; start < to; start += CHUNK) {
      var m = Math.min(CHUNK, to - start);
      for (var r = 0; r < m; r++) {
        var p = start + r;
        gx[2 * r] = xs[p % nx];
        gx[2 * r + 1] = ys[Math.floor(p / nx)];
      }
      var logits = this.forward(gx, m, false);
      for (var i = 0; i < m; i++) { out[start + i] = classOne(logits, i); }
    }
    return out;
  };

  // vglib.diagnose's measurements of the last forward + backward pass: one entry per Dense
  // layer, input side first, as diagnose(model, X, y, lr=lr).layers (before the flags):
  //   grad_norm  ||dL/dW||;  signal ||dL/dz|| arriving at the layer's output;
  //   weight_norm ||W||;     step_ratio lr ||dL/dW|| / ||W||;
  //   activation, act_mean, act_std, saturated, dead: of the first activation after the
  //   layer (probe.activation_stats), null and NaN for the stem and the output layer.
  Network.prototype.measure = function (lr) {
    if (!this.backwardDone) {
      throw new Error("measure needs a forward and a backward pass first");
    }
    var n = this.n, out = [];
    for (var g = 0; g < this.groups.length; g++) {
      var dense = this.groups[g].dense, act = this.groups[g].act;
      var gradNorm = stableNorm(dense.dW), weightNorm = stableNorm(dense.W);
      var entry = {
        name: dense.path, shape: [dense.fanIn, dense.fanOut],
        grad_norm: gradNorm,
        signal: stableNorm(dense.dy, 0, n * dense.fanOut),
        weight_norm: weightNorm,
        step_ratio: lr * gradNorm / pyMax(weightNorm, 1e-300),
        activation: act ? act.name : null,
        act_mean: NaN, act_std: NaN, saturated: NaN, dead: NaN, lr: lr
      };
      if (act) { this.activationStats(act, entry); }
      out.push(entry);
    }
    return out;
  };

  // probe.activation_stats: saturated = fraction of entries with 0 < f'(z) < 5 % of the peak;
  // dead = fraction of units with f'(z) = 0 for every example of the batch
  Network.prototype.activationStats = function (act, entry) {
    var n = this.n, w = act.width, m = n * w, a = act.out, slope = this.slopeBuffer;
    act.slopes(slope, n);
    var threshold = SATURATION * PEAK_DERIVATIVE[act.name], saturated = 0, i, j;
    for (i = 0; i < m; i++) {
      if (slope[i] > 0 && slope[i] < threshold) { saturated++; }
    }
    var dead = 0;
    for (j = 0; j < w; j++) {
      var allZero = true;
      for (i = 0; i < n && allZero; i++) { if (slope[i * w + j] !== 0) { allZero = false; } }
      if (allZero) { dead++; }
    }
    entry.act_mean = pairwiseSum(a, 0, m) / m;
    entry.act_std = stableStd(a, 0, m, slope);  // the slopes are no longer needed
    entry.saturated = saturated / m;
    entry.dead = dead / w;
    return entry;
  };

  // diagnose(model, X, y, lr): a training-mode forward and backward pass on X (n rows), then
  // measure(lr). Returns {loss, accuracy, measurements, flags, verdict}.
  Network.prototype.diagnose = function (X, y, n, lr) {
    if (n === undefined || n === null) { n = y.length; }
    var logits = this.forward(X, n, true);
    var dl = this._view("dlogits", this.dlogits, n * OUT_DIM);
    var loss = lossInto(logits, y, n, dl, this.lossInfo, this.picked);
    this.backward(dl);
    var m = this.measure(lr), f = flags(m);
    return {loss: loss, accuracy: this.lossInfo.accuracy, measurements: m, flags: f,
            verdict: verdict(m, f, lr)};
  };

  // ---------------------------------------------------------------------------------------
  // Optimisers over the packed buffers (vglib.optim). step(net) returns -1, or the index of
  // the first entry the step made NaN or inf (vglib refuses such a step).
  // ---------------------------------------------------------------------------------------

  function firstNonFinite(a) {
    for (var i = 0; i < a.length; i++) { if (a[i] - a[i] !== 0) { return i; } }
    return -1;
  }

  // SGD with PyTorch-style momentum: v = momentum v + g (v = g at the first step); w -= lr v.
  // momentum 0: w -= lr g.
  function SGD(lr, momentum) {
    this.lr = lr;
    this.momentum = momentum || 0;
    this.velocity = null;
  }
  SGD.prototype.step = function (net) {
    var p = net.params, g = net.grads, lr = this.lr, m = this.momentum, i, check = 0;
    if (!m) {
      for (i = 0; i < p.length; i++) { p[i] = p[i] - lr * g[i]; check += p[i]; }
    } else if (!this.velocity || this.velocity.length !== g.length) {
      this.velocity = new F64(g);  // v = g.copy()
      for (i = 0; i < p.length; i++) { p[i] = p[i] - lr * g[i]; check += p[i]; }
    } else {
      var v = this.velocity;
      for (i = 0; i < p.length; i++) {
        v[i] = m * v[i] + g[i];
        p[i] = p[i] - lr * v[i];
        check += p[i];
      }
    }
    return check - check === 0 ? -1 : firstNonFinite(p);
  };

  // Adam with bias correction: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
  // w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
  function Adam(lr, b1, b2, eps) {
    this.lr = lr;
    this.b1 = b1 === undefined ? 0.9 : b1;
    this.b2 = b2 === undefined ? 0.999 : b2;
    this.eps = eps === undefined ? 1e-8 : eps;
    this.t = 0;
    this.m = null;
    this.v = null;
  }
  Adam.prototype.step = function (net) {
    var p = net.params, g = net.grads, len = g.length;
    if (!this.m || this.m.length !== len) { this.m = new F64(len); this.v = new F64(len); }
    this.t += 1;
    var b1 = this.b1, b2 = this.b2, lr = this.lr, eps = this.eps, m = this.m, v = this.v;
    var c1 = 1.0 - Math.pow(b1, this.t), c2 = 1.0 - Math.pow(b2, this.t);
    var a1 = 1 - b1, a2 = 1 - b2, check = 0;
    for (var i = 0; i < len; i++) {
      var gi = g[i];
      m[i] = m[i] * b1 + a1 * gi;
      v[i] = v[i] * b2 + a2 * gi * gi;
      p[i] = p[i] - lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
      check += p[i];
    }
    return check - check === 0 ? -1 : firstNonFinite(p);
  };

  // optim.global_grad_norm: the L2 norm of all gradients together
  function globalGradNorm(net) { return stableNorm(net.grads, 0, net.grads.length); }

  // optim.clip_grad_norm: if ||g|| > maxNorm, g <- (maxNorm / ||g||) g. Returns the norm
  // before clipping.
  function clipGradNorm(net, maxNorm) {
    var g = net.grads, total = globalGradNorm(net);
    if (total > maxNorm) {
      var scale = maxNorm / total;
      for (var i = 0; i < g.length; i++) { g[i] *= scale; }
    }
    return total;
  }

  // ---------------------------------------------------------------------------------------
  // diagnose.build_report's flags and Report.verdict
  // ---------------------------------------------------------------------------------------

  function pyMax(a, b) { return b > a ? b : a; }  // Python's max(a, b), NaN included
  function pyMin(a, b) { return b < a ? b : a; }

  // diagnose._flags for every measured layer (the output layer, the last, is the reference)
  function flags(measurements, thresholds) {
    var t = thresholds || THRESHOLDS, output = measurements[measurements.length - 1];
    return measurements.map(function (lay) {
      var r1 = lay.grad_norm / pyMax(output.grad_norm, 1e-300);
      var r2 = lay.signal / pyMax(output.signal, 1e-300);
      var found = [];
      if (pyMin(r1, r2) < t.vanishing_vs_output || lay.step_ratio < t.vanishing_step) {
        found.push("vanishing");
      }
      if (pyMax(r1, r2) > t.exploding_vs_output || lay.step_ratio > t.exploding_step) {
        found.push("exploding");
      }
      var stats = lay.activation !== null && lay.activation !== undefined;
      if (stats && lay.saturated > t.saturated) { found.push("saturated"); }
      if (stats && lay.dead > t.dead) { found.push("dead"); }
      return found;
    });
  }

  // diagnose._layer_list: [1, 2, 3, 7] -> "layers 1-3 and 7"
  function layerList(numbers) {
    var runs = [], start = numbers[0];
    for (var k = 0; k < numbers.length; k++) {
      var prev = numbers[k], cur = k + 1 < numbers.length ? numbers[k + 1] : null;
      if (cur === null || cur !== prev + 1) {
        runs.push(start === prev ? String(start) : start + "-" + prev);
        start = cur;
      }
    }
    var word = numbers.length === 1 ? "layer" : "layers";
    return word + " " + (runs.length === 1 ? runs[0]
      : runs.slice(0, -1).join(", ") + " and " + runs[runs.length - 1]);
  }

  // diagnose.Report.verdict: one paragraph saying what is wrong, where, and what helps.
  // lr: the learning rate of the measurements (measure() stores it in each entry).
  function verdict(measurements, flagLists, lr) {
    if (lr === undefined || lr === null) { lr = measurements[0].lr; }
    flagLists = flagLists || flags(measurements);
    var n = measurements.length, order = [], byFlag = {};
    flagLists.forEach(function (list, i) {
      list.forEach(function (flag) {
        if (!byFlag[flag]) { byFlag[flag] = []; order.push(flag); }
        byFlag[flag].push(i + 1);
      });
    });
    if (!order.length) {
      var hi = measurements[0].grad_norm, lo = measurements[0].grad_norm;
      measurements.forEach(function (m) {
        hi = pyMax(hi, m.grad_norm);
        lo = pyMin(lo, m.grad_norm);
      });
      var spread = hi / pyMax(lo, 1e-300);
      return "Healthy: the gradient norms of all " + n + " layers are within a factor of " +
        formatG(spread, 3) + " of each other, no activation is mostly saturated or dead, " +
        "and an SGD step at lr=" + formatG(lr, 6) + " moves every layer by a sensible fraction.";
    }
    return order.map(function (flag) {
      return flag.charAt(0).toUpperCase() + flag.slice(1) + " in " + layerList(byFlag[flag]) +
        " of " + n + ": " + ADVICE[flag] + ".";
    }).join(" ");
  }

  // Python's format(x, "." + precision + "g"), rounding half to even on the exact binary value
  function formatG(x, precision) {
    if (precision === undefined) { precision = 6; }
    if (precision === 0) { precision = 1; }
    if (x !== x) { return "nan"; }
    if (x === Infinity) { return "inf"; }
    if (x === -Infinity) { return "-inf"; }
    var sign = x < 0 || (x === 0 && 1 / x < 0) ? "-" : "";
    x = Math.abs(x);
    if (x === 0) { return sign + "0"; }
    // 100 correctly rounded significant digits, then round to `precision` of them
    var text = x.toExponential(99), cut = text.indexOf("e");
    var digits = text.slice(0, cut).replace(".", ""), exp = parseInt(text.slice(cut + 1), 10);
    var kept = digits.slice(0, precision), rest = digits.slice(precision);
    var up = rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) ||
             (+kept[kept.length - 1]) % 2 === 1));
    if (up) {
      var arr = kept.split(""), k = arr.length - 1;
      while (k >= 0 && arr[k] === "9") { arr[k] = "0"; k--; }
      if (k < 0) { arr.unshift("1"); arr.pop(); exp += 1; } else { arr[k] = String(+arr[k] + 1); }
      kept = arr.join("");
    }
    function strip(s) { return s.indexOf(".") < 0 ? s : s.replace(/0+$/, "").replace(/\.$/, ""); }
    if (exp < -4 || exp >= precision) {
      var e = Math.abs(exp);
      return sign + strip(kept[0] + "." + kept.slice(1)) + "e" + (exp < 0 ? "-" : "+") +
        (e < 10 ? "0" + e : String(e));
    }
    var body = exp >= 0 ? kept.slice(0, exp + 1) + "." + kept.slice(exp + 1)
      : "0." + new Array(-exp).join("0") + kept;
    return sign + strip(body);
  }

  // ---------------------------------------------------------------------------------------
  // The Web Worker. It trains in slices of about 30 ms and yields between them (setTimeout 0)
  // so that the page's messages get through; posts its state about 5 times a second; computes
  // the decision-boundary grid in pieces between slices too (training waits meanwhile), at most
  // 5 times a second and so that it takes at most a sixth of the time.
  //   in:  {type: "init", spec, params (base64 or null: drawn with Rng(seed)), seed,
  //         data: {X (base64, n x 2), y: [labels], n},
  //         train: {optimizer: "sgd"|"adam", lr, momentum, batch, clip (null or a number),
  //                 b1?, b2?, eps? (Adam's)},
  //         thresholds? (diagnose's), gridSize? (0: no grid), gridPad? (a fraction of the
  //         range added on each side of the data's bounding box; default 0)}
  //        {type: "run"}, {type: "pause"}, {type: "step", count},
  //        {type: "set", train?: {...} (changed fields only), thresholds?, gridSize?},
  //        {type: "export"}
  //   out: {type: "ready", layout, nParams, gridBox}
  //        {type: "state", step, loss, accuracy, gradNorm (of the last step, before its
  //         update), lossTrace, accuracyTrace (Float64Arrays: every step since the previous
  //         state), measuredStep, measurements, flags, verdict (diagnose's, of the pass of
  //         step measuredStep, before its update), grid (Float64Array of gridSize^2 P(class 1),
  //         grid[j gridSize + i] at (xs[i], ys[j]), cell centres xs[i] = xmin + (i + 0.5)
  //         (xmax - xmin) / gridSize; null when this state brings no new grid), gridStep (the
  //         step whose weights the grid shows), gridSize, gridBox {xmin, xmax, ymin, ymax},
  //         stepsPerSecond, running, diverged, message (why, naming the step and the layer)}
  //        {type: "params", params (base64), step}
  //        {type: "error", message} (a bad message; training stops)
  // ---------------------------------------------------------------------------------------

  var SLICE_MS = 30, POST_MS = 200, GRID_MS = 200, GRID_SHARE = 6, GRID_PIECE = 128;

  function clock() {
    return typeof performance !== "undefined" && performance.now ? performance.now() : Date.now();
  }

  function makeOptimizer(train) {
    if (train.optimizer === "adam") { return new Adam(train.lr, train.b1, train.b2, train.eps); }
    if (train.optimizer && train.optimizer !== "sgd") {
      throw new Error("optimizer must be 'sgd' or 'adam'; got " + train.optimizer);
    }
    return new SGD(train.lr, train.momentum || 0);
  }

  function workerMain(scope) {
    var S = null;  // the session: network, data, optimiser, counters
    var scheduled = false;

    function post(msg, transfer) { scope.postMessage(msg, transfer || []); }

    function schedule() {
      if (!scheduled) { scheduled = true; setTimeout(tick, 0); }
    }

    function setTrain(train) {
      var old = S.train || {}, t = {}, k;
      for (k in old) { t[k] = old[k]; }
      for (k in train || {}) { t[k] = train[k]; }
      if (!(t.lr > 0)) { throw new Error("lr must be a number > 0; got " + t.lr); }
      if (t.clip !== null && t.clip !== undefined && !(t.clip > 0)) {
        throw new Error("clip must be null or a number > 0; got " + t.clip);
      }
      if (t.batch === undefined) { t.batch = 64; }
      t.batch = Math.max(S.net.spec.norm === "batch" ? 2 : 1, Math.min(t.batch | 0, S.n));
      var same = S.optimizer && (t.optimizer || "sgd") === (old.optimizer || "sgd") &&
        t.b1 === old.b1 && t.b2 === old.b2 && t.eps === old.eps;
      if (same) {  // keep the velocity or the moments
        S.optimizer.lr = t.lr;
        if (S.optimizer instanceof SGD) { S.optimizer.momentum = t.momentum || 0; }
      } else {
        S.optimizer = makeOptimizer(t);
      }
      if (!S.rows || S.rows.length !== t.batch) { S.rows = new Int32Array(t.batch); }
      S.train = t;
    }

    function nextRows() {  // consecutive rows of a shuffled order, reshuffled every epoch
      var rows = S.rows, b = rows.length;
      if (S.pos + b > S.n) { S.rng.shuffle(S.order); S.pos = 0; }
      for (var i = 0; i < b; i++) { rows[i] = S.order[S.pos + i]; }
      S.pos += b;
      return rows;
    }

    function setGrid(size) {
      S.gridSize = Math.max(0, size | 0);
      var g = S.gridSize, box = S.gridBox;
      S.xs = new F64(g);
      S.ys = new F64(g);
      for (var i = 0; i < g; i++) {
        S.xs[i] = box.xmin + (i + 0.5) * (box.xmax - box.xmin) / g;
        S.ys[i] = box.ymin + (i + 0.5) * (box.ymax - box.ymin) / g;
      }
      S.gridJob = null;
      S.gridStep = -1;
    }

    function init(msg) {
      var net = new Network(msg.spec, msg.params ? decode(msg.params) : null, msg.seed);
      var X = decode(msg.data.X), y = Int32Array.from(msg.data.y);
      var n = msg.data.n || y.length, i;
      if (X.length !== IN_DIM * n) { throw new Error("data.X must hold n x 2 values"); }
      var seed = msg.seed === undefined || msg.seed === null ? 0 : msg.seed;
      S = {net: net, X: X, y: y, n: n, rng: new Rng(seed + 7919), order: new Int32Array(n),
           pos: n, rows: null, optimizer: null, train: null, step: 0,
           thresholds: msg.thresholds || THRESHOLDS, running: false, pending: 0,
           diverged: false, message: null, last: null, measurements: null, measuredStep: 0,
           lastPost: -Infinity, gridJob: null, gridStep: -1, gridDone: -Infinity,
           gridCost: 0, traceLoss: [], traceAcc: [], rateSteps: 0, rateStart: clock(),
           stepsPerSecond: 0};
      for (i = 0; i < n; i++) { S.order[i] = i; }
      setTrain(msg.train || {});
      var xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
      for (i = 0; i < n; i++) {
        xmin = Math.min(xmin, X[2 * i]); xmax = Math.max(xmax, X[2 * i]);
        ymin = Math.min(ymin, X[2 * i + 1]); ymax = Math.max(ymax, X[2 * i + 1]);
      }
      var pad = msg.gridPad || 0, px = pad * (xmax - xmin), py = pad * (ymax - ymin);
      S.gridBox = {xmin: xmin - px, xmax: xmax + px, ymin: ymin - py, ymax: ymax + py};
      setGrid(msg.gridSize || 0);
      post({type: "ready", layout: net.layout(), nParams: net.params.length, gridBox: S.gridBox});
      // step 0: diagnose the first minibatch without changing anything (the BatchNorm running
      // statistics are put back), so that the page shows the network as it starts
      var saved = net.runningState(), rows = nextRows();
      S.pos -= rows.length;
      var r = net.trainStep(S.X, S.y, rows, null, null, S.train.lr);
      net.setRunningState(saved);
      S.last = r;
      if (r.fault) {
        S.diverged = true;
        S.message = "The network fails before training: " + r.fault + ".";
      } else {
        S.measurements = r.measurements;
      }
      postState(null);
      startGrid();
    }

    function oneStep(measure) {
      var r = S.net.trainStep(S.X, S.y, nextRows(), S.optimizer, S.train.clip,
                              measure ? S.train.lr : 0);
      S.step += 1;
      S.last = r;
      S.traceLoss.push(r.loss);
      S.traceAcc.push(r.accuracy);
      S.rateSteps += 1;
      if (r.measurements) { S.measurements = r.measurements; S.measuredStep = S.step; }
      if (r.fault) {
        S.diverged = true;
        S.running = false;
        S.pending = 0;
        S.message = "Training diverged at step " + S.step + ": " + r.fault + ".";
        return false;
      }
      return true;
    }

    function startGrid() {  // a new grid of the current weights, computed in pieces by tick
      if (S.gridSize > 0 && S.gridStep !== S.step && !S.gridJob) {
        S.gridJob = {out: new F64(S.gridSize * S.gridSize), next: 0, step: S.step, cost: 0};
        schedule();
      }
    }

    function gridPieces(t0) {  // some pieces of the grid; posts it when complete
      var job = S.gridJob, total = job.out.length, start = clock();
      while (job.next < total && clock() - t0 < SLICE_MS) {
        S.net.predictGrid(S.xs, S.ys, job.out, job.next, job.next + GRID_PIECE);
        job.next += GRID_PIECE;
      }
      var end = clock();
      job.cost += end - start;
      if (job.next >= total) {
        S.gridJob = null;
        S.gridStep = job.step;
        S.gridDone = end;
        S.gridCost = job.cost;
        postState(job.out);
      }
    }

    function tick() {
      scheduled = false;
      if (!S) { return; }
      var t0 = clock();
      if (S.gridJob) {
        gridPieces(t0);
      } else if (!S.diverged && (S.running || S.pending > 0)) {
        var measure = t0 - S.lastPost >= POST_MS - SLICE_MS;
        do {
          if (!oneStep(measure || (!S.running && S.pending === 1))) { break; }
          measure = false;
          if (!S.running) { S.pending -= 1; }
        } while ((S.running || S.pending > 0) && clock() - t0 < SLICE_MS);
        var t1 = clock(), stopped = S.diverged || (!S.running && S.pending <= 0);
        if (stopped || t1 - S.lastPost >= POST_MS) { postState(null); }
        if (stopped || t1 - S.gridDone >= Math.max(GRID_MS, GRID_SHARE * S.gridCost)) {
          startGrid();
        }
      }
      if (S.gridJob || (!S.diverged && (S.running || S.pending > 0))) { schedule(); }
    }

    function postState(grid) {
      var t = clock();
      if (S.rateSteps > 0 && t > S.rateStart) {  // steps per wall-clock second since the
        S.stepsPerSecond = 1000 * S.rateSteps / (t - S.rateStart);  // previous state
      }
      S.rateSteps = 0;
      S.rateStart = t;
      var m = S.measurements, f = m ? flags(m, S.thresholds) : null, last = S.last || {};
      var lossTrace = new F64(S.traceLoss), accTrace = new F64(S.traceAcc);
      S.traceLoss = [];
      S.traceAcc = [];
      var transfer = [lossTrace.buffer, accTrace.buffer];
      if (grid) { transfer.push(grid.buffer); }
      post({type: "state", step: S.step, loss: last.loss, accuracy: last.accuracy,
            gradNorm: last.gradNorm, lossTrace: lossTrace, accuracyTrace: accTrace,
            measuredStep: S.measuredStep, measurements: m, flags: f,
            verdict: m ? verdict(m, f, S.train.lr) : null, grid: grid || null,
            gridStep: S.gridStep, gridSize: S.gridSize, gridBox: S.gridBox,
            stepsPerSecond: S.stepsPerSecond, running: S.running, diverged: S.diverged,
            message: S.message}, transfer);
      S.lastPost = clock();
    }

    function handle(msg) {
      if (msg.type === "init") { S = null; init(msg); return; }
      if (!S) { throw new Error("send an 'init' message first"); }
      switch (msg.type) {
        case "run":
          if (!S.running && S.pending <= 0) { S.rateSteps = 0; S.rateStart = clock(); }
          if (!S.diverged) { S.running = true; schedule(); } else { postState(null); }
          break;
        case "pause":
          S.running = false;
          S.pending = 0;
          postState(null);
          startGrid();
          break;
        case "step":
          if (!S.running && S.pending <= 0) { S.rateSteps = 0; S.rateStart = clock(); }
          if (S.diverged) { postState(null); return; }
          S.pending += Math.max(1, msg.count | 0);
          schedule();
          break;
        case "set":
          if (msg.train) { setTrain(msg.train); }
          if (msg.thresholds) { S.thresholds = msg.thresholds; }
          if (msg.gridSize !== undefined) { setGrid(msg.gridSize); }
          if (!S.running && S.pending <= 0) { postState(null); }
          if (msg.gridSize !== undefined || !S.running) { startGrid(); }
          break;
        case "export":
          post({type: "params", params: encode(S.net.params), step: S.step});
          break;
        default:
          throw new Error("unknown message type " + msg.type);
      }
    }

    scope.onmessage = function (event) {
      try {
        handle(event.data);
      } catch (err) {
        if (S) { S.running = false; S.pending = 0; }
        post({type: "error", message: String(err && err.message ? err.message : err)});
      }
    };
    return {handle: handle, session: function () { return S; }};
  }

  return {
    decode: decode, encode: encode, Network: Network, softmaxCrossEntropy: softmaxCrossEntropy,
    SGD: SGD, Adam: Adam, clipGradNorm: clipGradNorm, globalGradNorm: globalGradNorm,
    flags: flags, verdict: verdict, Rng: Rng, workerMain: workerMain,
    THRESHOLDS: THRESHOLDS, ACTIVATIONS: ACTIVATIONS, formatG: formatG, layerList: layerList,
    erfc: erfc, geluForward: geluForward, stableNorm: stableNorm, stableStd: stableStd
  };
}

var VGLab = VGLabFactory();
if (typeof module !== "undefined" && module.exports) { module.exports = VGLab; }
