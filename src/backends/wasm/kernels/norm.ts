// Batch normalization in training, forward and backward, NCHW: channel c is N blocks of P contiguous
// floats. Statistics are accumulated in f64; threads split the channels, and each channel's sums run
// in one fixed order, so results do not depend on the thread count.
import { pf, pi, scratch, share } from './common';
import { SCR_TILE } from './gemm';
import { sumRow } from './reduce';

/** Σ (x − m)² of n contiguous floats: the difference and square in f32, the sum in f64. */
@inline function sqDevRow(x: usize, n: i32, m: f32): f64 {
  const mv = f32x4.splat(m);
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    let v = f32x4.sub(v128.load(x + (<usize>i << 2)), mv);
    let w = f32x4.sub(v128.load(x + (<usize>i << 2), 16), mv);
    v = f32x4.mul(v, v);
    w = f32x4.mul(w, w);
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3)));
    a2 = f64x2.add(a2, f64x2.promote_low_f32x4(w));
    a3 = f64x2.add(a3, f64x2.promote_low_f32x4(v128.shuffle<i32>(w, w, 2, 3, 2, 3)));
  }
  for (; i + 4 <= n; i += 4) {
    let v = f32x4.sub(v128.load(x + (<usize>i << 2)), mv);
    v = f32x4.mul(v, v);
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3)));
  }
  a0 = f64x2.add(f64x2.add(a0, a2), f64x2.add(a1, a3));
  let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - m;
    s += <f64>(d * d);
  }
  return s;
}

/** Σ dy of the last dyDevRow call. */
let rowSum: f64 = 0;

/** Σ dy·(x − m) of n contiguous floats (products in f32, sums in f64); Σ dy goes to rowSum. */
@inline function dyDevRow(dy: usize, x: usize, n: i32, m: f32): f64 {
  const mv = f32x4.splat(m);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const g = v128.load(dy + (<usize>i << 2));
    const v = f32x4.mul(g, f32x4.sub(v128.load(x + (<usize>i << 2)), mv));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(g));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<i32>(g, g, 2, 3, 2, 3)));
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3)));
  }
  s0 = f64x2.add(s0, s1);
  a0 = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  let a = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; i < n; i++) {
    const g = load<f32>(dy + (<usize>i << 2));
    s += <f64>g;
    a += <f64>(g * (load<f32>(x + (<usize>i << 2)) - m));
  }
  rowSum = s;
  return a;
}

/** out = (a − m)·k + c over n contiguous floats (with b: out = b·kb + ((a − m)·k + c)). */
@inline function affineRow(out: usize, a: usize, b: usize, n: i32, m: f32, k: f32, kb: f32, c: f32): void {
  const mv = f32x4.splat(m);
  const kv = f32x4.splat(k);
  const kbv = f32x4.splat(kb);
  const cv = f32x4.splat(c);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let r = f32x4.add(f32x4.mul(f32x4.sub(v128.load(a + (<usize>i << 2)), mv), kv), cv);
    if (b) r = f32x4.add(f32x4.mul(v128.load(b + (<usize>i << 2)), kbv), r);
    v128.store(out + (<usize>i << 2), r);
  }
  for (; i < n; i++) {
    let r = (load<f32>(a + (<usize>i << 2)) - m) * k + c;
    if (b) r = load<f32>(b + (<usize>i << 2)) * kb + r;
    store<f32>(out + (<usize>i << 2), r);
  }
}


// ---- (N, C) inputs (P = 1): four channels in the lanes of a vector, each lane summed over n in
// f64 in the same order as the per-channel path, so the results are bit for bit the same; the
// per-channel path would run its row loops on one float at a time, with a stride of C between them.

/** The f64 pair of lanes 0–1 (lo) or 2–3 (hi) of an f32x4. */
@inline function lo64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
@inline function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3));
}
/** Two f64x2 (lanes 0–1, 2–3) rounded to one f32x4. */
@inline function join32(a: v128, b: v128): v128 {
  return v128.shuffle<i32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

/** batchNormTrain's channels [c0, c1) of (N, C) in blocks of four; returns the first channel left. */
function trainLanes(x: usize, y: usize, mo: usize, vo: usize, w: usize, b: usize, N: i32, C: i32, eps: f64, c0: i32, c1: i32): i32 {
  const Mv = f64x2.splat(<f64>N);
  const ev = f64x2.splat(eps);
  const rs = <usize>C << 2;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const base = x + (<usize>c << 2);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (let n = 0, q = base; n < N; n++, q += rs) {
      const v = v128.load(q);
      s0 = f64x2.add(s0, lo64(v));
      s1 = f64x2.add(s1, hi64(v));
    }
    const m = join32(f64x2.div(s0, Mv), f64x2.div(s1, Mv));
    let q0 = f64x2.splat(0);
    let q1 = f64x2.splat(0);
    for (let n = 0, q = base; n < N; n++, q += rs) {
      let d = f32x4.sub(v128.load(q), m);
      d = f32x4.mul(d, d);
      q0 = f64x2.add(q0, lo64(d));
      q1 = f64x2.add(q1, hi64(d));
    }
    const v0 = f64x2.div(q0, Mv);
    const v1 = f64x2.div(q1, Mv);
    const wv = v128.load(w + (<usize>c << 2));
    const k = join32(f64x2.div(lo64(wv), f64x2.sqrt(f64x2.add(v0, ev))), f64x2.div(hi64(wv), f64x2.sqrt(f64x2.add(v1, ev))));
    const bv = v128.load(b + (<usize>c << 2));
    for (let n = 0, o = <usize>c << 2; n < N; n++, o += rs)
      v128.store(y + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), m), k), bv));
    v128.store(mo + (<usize>c << 2), m);
    v128.store(vo + (<usize>c << 2), join32(v0, v1));
  }
  return c;
}

/** batchNormBackward's channels [c0, c1) of (N, C) in blocks of four; returns the first channel left. */
function backwardLanes(
  dy: usize, x: usize, mi: usize, vi: usize, w: usize, dmi: usize, dvi: usize, dx: usize, dwo: usize, dbo: usize,
  N: i32, C: i32, eps: f64, c0: i32, c1: i32,
): i32 {
  const M = <f64>N;
  const rs = <usize>C << 2;
  const t = scratch() + SCR_TILE; // 112 bytes of sums and per-lane constants
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const co = <usize>c << 2;
    const m = v128.load(mi + co);
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let b0 = f64x2.splat(0);
    let b1 = f64x2.splat(0);
    for (let n = 0, o = co; n < N; n++, o += rs) {
      const g = v128.load(dy + o);
      const t = f32x4.mul(g, f32x4.sub(v128.load(x + o), m));
      a0 = f64x2.add(a0, lo64(g));
      a1 = f64x2.add(a1, hi64(g));
      b0 = f64x2.add(b0, lo64(t));
      b1 = f64x2.add(b1, hi64(t));
    }
    // the per-channel constants in f64, lane by lane, as the per-channel path computes them
    v128.store(t, a0);
    v128.store(t, a1, 16);
    v128.store(t, b0, 32);
    v128.store(t, b1, 48);
    for (let l = 0; l < 4; l++) {
      const cl = co + (<usize>l << 2);
      const s = 1 / Math.sqrt(<f64>load<f32>(vi + cl) + eps);
      const wc = <f64>load<f32>(w + cl);
      const A = load<f64>(t + (<usize>l << 3));
      const B = load<f64>(t + 32 + (<usize>l << 3)) * s;
      store<f32>(t + 64 + (<usize>l << 2), <f32>(wc * s));
      store<f32>(t + 80 + (<usize>l << 2), <f32>((2 * <f64>load<f32>(dvi + cl) - wc * s * s * B) / M));
      store<f32>(t + 96 + (<usize>l << 2), <f32>((<f64>load<f32>(dmi + cl) - wc * s * A) / M));
      store<f32>(dwo + cl, <f32>B);
      store<f32>(dbo + cl, <f32>A);
    }
    const ky = v128.load(t, 64);
    const kx = v128.load(t, 80);
    const k0 = v128.load(t, 96);
    for (let n = 0, o = co; n < N; n++, o += rs) {
      const r = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), m), kx), k0);
      v128.store(dx + o, f32x4.add(f32x4.mul(v128.load(dy + o), ky), r));
    }
  }
  return c;
}

/**
 * p = [x, y, mean, var, w, b, N, C, P, eps (f32)]. Per channel: the mean (Σx in f64), the biased
 * variance (Σ(x − mean)² in f64), then y = (x − mean)·(w/√(var + eps)) + b. Threads split channels.
 */
export function batchNormTrain(p: usize, tid: i32, nt: i32): void {
  const x = <usize>pi(p, 0);
  const y = <usize>pi(p, 1);
  const mo = <usize>pi(p, 2);
  const vo = <usize>pi(p, 3);
  const w = <usize>pi(p, 4);
  const b = <usize>pi(p, 5);
  const N = pi(p, 6);
  const C = pi(p, 7);
  const P = pi(p, 8);
  const eps = <f64>pf(p, 9);
  const M = <f64>N * <f64>P;
  const al = P == 1 ? 4 : 1;
  const c1 = share(C, tid + 1, nt, al);
  let c = share(C, tid, nt, al);
  if (P == 1) c = trainLanes(x, y, mo, vo, w, b, N, C, eps, c, c1);
  for (; c < c1; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += sumRow(x + ((<usize>n * C + c) * P << 2), P);
    const m = <f32>(s / M);
    let q: f64 = 0;
    for (let n = 0; n < N; n++) q += sqDevRow(x + ((<usize>n * C + c) * P << 2), P, m);
    const v = q / M;
    const k = <f32>(<f64>load<f32>(w + (<usize>c << 2)) / Math.sqrt(v + eps));
    const bc = load<f32>(b + (<usize>c << 2));
    for (let n = 0; n < N; n++) {
      const o = (<usize>n * C + c) * P << 2;
      affineRow(y + o, x + o, 0, P, m, k, 0, bc);
    }
    store<f32>(mo + (<usize>c << 2), m);
    store<f32>(vo + (<usize>c << 2), <f32>v);
  }
}

/**
 * p = [dy, x, mean, var, w, dmean, dvar, dx, dw, db, N, C, P, eps (f32)]. Per channel, with
 * s = 1/√(var + eps): A = Σdy and B = s·Σdy·(x − mean) in f64, then
 * dx = w·s·dy + (x − mean)·(2·dvar − w·s²·B)/M + (dmean − w·s·A)/M, dw = B, db = A.
 */
export function batchNormBackward(p: usize, tid: i32, nt: i32): void {
  const dy = <usize>pi(p, 0);
  const x = <usize>pi(p, 1);
  const mi = <usize>pi(p, 2);
  const vi = <usize>pi(p, 3);
  const w = <usize>pi(p, 4);
  const dmi = <usize>pi(p, 5);
  const dvi = <usize>pi(p, 6);
  const dx = <usize>pi(p, 7);
  const dwo = <usize>pi(p, 8);
  const dbo = <usize>pi(p, 9);
  const N = pi(p, 10);
  const C = pi(p, 11);
  const P = pi(p, 12);
  const eps = <f64>pf(p, 13);
  const M = <f64>N * <f64>P;
  const al = P == 1 ? 4 : 1;
  const c1 = share(C, tid + 1, nt, al);
  let c = share(C, tid, nt, al);
  if (P == 1) c = backwardLanes(dy, x, mi, vi, w, dmi, dvi, dx, dwo, dbo, N, C, eps, c, c1);
  for (; c < c1; c++) {
    const co = <usize>c << 2;
    const m = load<f32>(mi + co);
    const s = 1 / Math.sqrt(<f64>load<f32>(vi + co) + eps);
    const wc = <f64>load<f32>(w + co);
    let A: f64 = 0;
    let B: f64 = 0;
    for (let n = 0; n < N; n++) {
      const o = (<usize>n * C + c) * P << 2;
      B += dyDevRow(dy + o, x + o, P, m);
      A += rowSum;
    }
    B *= s;
    const ky = <f32>(wc * s);
    const kx = <f32>((2 * <f64>load<f32>(dvi + co) - wc * s * s * B) / M);
    const k0 = <f32>((<f64>load<f32>(dmi + co) - wc * s * A) / M);
    for (let n = 0; n < N; n++) {
      const o = (<usize>n * C + c) * P << 2;
      affineRow(dx + o, x + o, dy + o, P, m, kx, ky, k0);
    }
    store<f32>(dwo + co, <f32>B);
    store<f32>(dbo + co, <f32>A);
  }
}
