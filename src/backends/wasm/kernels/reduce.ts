// Reductions over axes (sum in f64, max/min in f32 with NaN propagating), argmax/argmin, softmax.
import { R_MAX, R_MIN, R_SUM } from '../opcodes';
import { pi, scratch, share } from './common';
import { SCR_USER } from './gemm';
import { expv } from './math';

/**
 * Σ of n contiguous floats in f64: four f64x2 accumulators over eight floats a step (four chains of
 * dependent adds hide the add latency; with two the loop waited on it), then two over four.
 */
@inline export function sumRow(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v = v128.load(x + (<usize>i << 2));
    const w = v128.load(x + (<usize>i << 2), 16);
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3)));
    a2 = f64x2.add(a2, f64x2.promote_low_f32x4(w));
    a3 = f64x2.add(a3, f64x2.promote_low_f32x4(v128.shuffle<i32>(w, w, 2, 3, 2, 3)));
  }
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3)));
  }
  a0 = f64x2.add(f64x2.add(a0, a2), f64x2.add(a1, a3));
  let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}

/** max (or min) of n contiguous floats; NaN wins. */
@inline function extRow(x: usize, n: i32, isMax: bool, init: f32): f32 {
  let m = f32x4.splat(init);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    m = isMax ? f32x4.max(m, v) : f32x4.min(m, v);
  }
  let r = isMax
    ? max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)))
    : min(min(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), min(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    r = isMax ? max(r, v) : min(r, v);
  }
  return r;
}

/** Offset (elements) of the `idx`-th point of a grid of `rank` dims at p+4*sh with strides at p+4*st. */
@inline function gridOffset(p: usize, sh: i32, st: i32, rank: i32, idx: i32): i32 {
  let off = 0;
  for (let d = rank - 1; d >= 0; d--) {
    const n = pi(p, sh + d);
    off += (idx % n) * pi(p, st + d);
    idx /= n;
  }
  return off;
}

/**
 * p = [op, x, y, kr, rr, inner, L, kshape[kr], kstride[kr], rshape[rr], rstride[rr]].
 * The output is dense over the kept dims. inner = 0: the last reduced dim is contiguous in x with
 * length L (kept and reduced shapes exclude it). inner = 1: the last kept dim is contiguous in x
 * and y with length L (excluded from kshape). Threads split the outputs.
 */
export function reduce(p: usize, tid: i32, nt: i32): void {
  const op = pi(p, 0);
  const x = <usize>pi(p, 1);
  const y = <usize>pi(p, 2);
  const kr = pi(p, 3);
  const rr = pi(p, 4);
  const inner = pi(p, 5);
  const L = pi(p, 6);
  const KS = 7;
  const KT = KS + kr;
  const RS = KT + kr;
  const RT = RS + rr;
  let nk = 1;
  for (let d = 0; d < kr; d++) nk *= pi(p, KS + d);
  let nr = 1;
  for (let d = 0; d < rr; d++) nr *= pi(p, RS + d);
  const init: f32 = op == R_MAX ? -Infinity : op == R_MIN ? Infinity : 0;
  if (inner == 0) {
    const o0 = share(nk, tid, nt, 1);
    const o1 = share(nk, tid + 1, nt, 1);
    for (let o = o0; o < o1; o++) {
      const ko = gridOffset(p, KS, KT, kr, o);
      if (op == R_SUM) {
        let s: f64 = 0;
        for (let r = 0; r < nr; r++) s += sumRow(x + (<usize>(ko + gridOffset(p, RS, RT, rr, r)) << 2), L);
        store<f32>(y + (<usize>o << 2), <f32>s);
      } else {
        let m = init;
        const isMax = op == R_MAX;
        for (let r = 0; r < nr; r++) {
          const v = extRow(x + (<usize>(ko + gridOffset(p, RS, RT, rr, r)) << 2), L, isMax, init);
          m = isMax ? max(m, v) : min(m, v);
        }
        store<f32>(y + (<usize>o << 2), m);
      }
    }
    return;
  }
  // inner == 1: rows of L outputs; threads split the rows, or the row when there is one
  let o0 = share(nk, tid, nt, 1);
  let o1 = share(nk, tid + 1, nt, 1);
  let l0 = 0;
  let l1 = L;
  if (nk == 1) {
    o0 = 0;
    o1 = 1;
    l0 = share(L, tid, nt, 64);
    l1 = share(L, tid + 1, nt, 64);
    if (l0 >= l1) return;
  }
  const acc = scratch() + SCR_USER;
  const TILE = 1024;
  for (let o = o0; o < o1; o++) {
    const ko = gridOffset(p, KS, KT, kr, o);
    const yrow = y + (<usize>(o * L) << 2);
    for (let t0 = l0; t0 < l1; t0 += TILE) {
      const tn = min(TILE, l1 - t0);
      if (op == R_SUM) {
        for (let i = 0; i < tn; i += 2) v128.store(acc + (<usize>i << 3), f64x2.splat(0));
        for (let r = 0; r < nr; r++) {
          const xr = x + (<usize>(ko + gridOffset(p, RS, RT, rr, r) + t0) << 2);
          let i = 0;
          for (; i + 4 <= tn; i += 4) {
            const v = v128.load(xr + (<usize>i << 2));
            const q = acc + (<usize>i << 3);
            v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v)));
            v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 2, 3))), 16);
          }
          for (; i < tn; i++) {
            const q = acc + (<usize>i << 3);
            store<f64>(q, load<f64>(q) + <f64>load<f32>(xr + (<usize>i << 2)));
          }
        }
        for (let i = 0; i < tn; i++) store<f32>(yrow + (<usize>(t0 + i) << 2), <f32>load<f64>(acc + (<usize>i << 3)));
      } else {
        const isMax = op == R_MAX;
        const yr = yrow + (<usize>t0 << 2);
        for (let r = 0; r < nr; r++) {
          const xr = x + (<usize>(ko + gridOffset(p, RS, RT, rr, r) + t0) << 2);
          let i = 0;
          if (r == 0) {
            memory.copy(yr, xr, <usize>tn << 2);
            continue;
          }
          for (; i + 4 <= tn; i += 4) {
            const o = <usize>i << 2;
            const v = v128.load(xr + o);
            const m = v128.load(yr + o);
            v128.store(yr + o, isMax ? f32x4.max(m, v) : f32x4.min(m, v));
          }
          for (; i < tn; i++) {
            const o = <usize>i << 2;
            const v = load<f32>(xr + o);
            const m = load<f32>(yr + o);
            store<f32>(yr + o, isMax ? max(m, v) : min(m, v));
          }
        }
        if (nr == 0) for (let i = 0; i < tn; i++) store<f32>(yr + (<usize>i << 2), init);
      }
    }
  }
}

/**
 * argmax / argmin over the middle axis of (outer, n, inner): p = [isMax, x, y, outer, n, inner].
 * The first extremum wins; the first NaN wins over everything.
 */
export function argReduce(p: usize, tid: i32, nt: i32): void {
  const isMax = pi(p, 0) != 0;
  const x = <usize>pi(p, 1);
  const y = <usize>pi(p, 2);
  const outer = pi(p, 3);
  const n = pi(p, 4);
  const inner = pi(p, 5);
  const total = outer * inner;
  const q0 = share(total, tid, nt, 1);
  const q1 = share(total, tid + 1, nt, 1);
  for (let q = q0; q < q1; q++) {
    const a = q / inner;
    const c = q % inner;
    const base = x + (<usize>(a * n * inner + c) << 2);
    const step = <usize>inner << 2;
    let best = load<f32>(base);
    let bi = 0;
    let ptr = base;
    for (let j = 1; j < n; j++) {
      ptr += step;
      const v = load<f32>(ptr);
      if (best == best && ((isMax ? v > best : v < best) || v != v)) {
        best = v;
        bi = j;
      }
    }
    store<i32>(y + (<usize>q << 2), bi);
  }
}

/**
 * softmax / logSoftmax along the middle axis of (outer, n, inner): p = [log, x, y, outer, n, inner].
 * Max subtracted; the sum of exponentials in f64.
 */
export function softmax(p: usize, tid: i32, nt: i32): void {
  const isLog = pi(p, 0) != 0;
  const x = <usize>pi(p, 1);
  const y = <usize>pi(p, 2);
  const outer = pi(p, 3);
  const n = pi(p, 4);
  const inner = pi(p, 5);
  if (inner == 1) {
    const a0 = share(outer, tid, nt, 1);
    const a1 = share(outer, tid + 1, nt, 1);
    for (let a = a0; a < a1; a++) {
      const xr = x + (<usize>(a * n) << 2);
      const yr = y + (<usize>(a * n) << 2);
      const mx = extRow(xr, n, true, -Infinity);
      const mv = f32x4.splat(mx);
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let i = 0;
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        const d = f32x4.sub(v128.load(xr + o), mv);
        const e = expv(d);
        v128.store(yr + o, isLog ? d : e);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
        s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<i32>(e, e, 2, 3, 2, 3)));
      }
      s0 = f64x2.add(s0, s1);
      let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
      for (; i < n; i++) {
        const o = <usize>i << 2;
        const d = load<f32>(xr + o) - mx;
        const e = f32x4.extract_lane(expv(f32x4.splat(d)), 0);
        store<f32>(yr + o, isLog ? d : e);
        s += <f64>e;
      }
      if (isLog) {
        const ls = f32x4.splat(<f32>Math.log(s));
        i = 0;
        for (; i + 4 <= n; i += 4) {
          const o = <usize>i << 2;
          v128.store(yr + o, f32x4.sub(v128.load(yr + o), ls));
        }
        const l = <f32>Math.log(s);
        for (; i < n; i++) store<f32>(yr + (<usize>i << 2), load<f32>(yr + (<usize>i << 2)) - l);
      } else {
        const inv = <f32>(1 / s);
        const iv = f32x4.splat(inv);
        i = 0;
        for (; i + 4 <= n; i += 4) {
          const o = <usize>i << 2;
          v128.store(yr + o, f32x4.mul(v128.load(yr + o), iv));
        }
        for (; i < n; i++) store<f32>(yr + (<usize>i << 2), load<f32>(yr + (<usize>i << 2)) * inv);
      }
    }
    return;
  }
  // inner > 1: columns in tiles; max in a f32 tile, sums in a f64 tile
  const TILE = 512;
  const tiles = (inner + TILE - 1) / TILE;
  const units = outer * tiles;
  const u0 = share(units, tid, nt, 1);
  const u1 = share(units, tid + 1, nt, 1);
  const mxT = scratch() + SCR_USER;
  const sT = mxT + (<usize>TILE << 2);
  const step = <usize>inner << 2;
  for (let u = u0; u < u1; u++) {
    const a = u / tiles;
    const c0 = (u % tiles) * TILE;
    const tn = min(TILE, inner - c0);
    const xb = x + (<usize>(a * n * inner + c0) << 2);
    const yb = y + (<usize>(a * n * inner + c0) << 2);
    for (let c = 0; c < tn; c++) {
      store<f32>(mxT + (<usize>c << 2), -Infinity);
      store<f64>(sT + (<usize>c << 3), 0);
    }
    for (let j = 0; j < n; j++) {
      const xr = xb + <usize>j * step;
      let c = 0;
      for (; c + 4 <= tn; c += 4) {
        const o = <usize>c << 2;
        v128.store(mxT + o, f32x4.max(v128.load(mxT + o), v128.load(xr + o)));
      }
      for (; c < tn; c++) {
        const o = <usize>c << 2;
        store<f32>(mxT + o, max(load<f32>(mxT + o), load<f32>(xr + o)));
      }
    }
    for (let j = 0; j < n; j++) {
      const xr = xb + <usize>j * step;
      const yr = yb + <usize>j * step;
      let c = 0;
      for (; c + 4 <= tn; c += 4) {
        const o = <usize>c << 2;
        const d = f32x4.sub(v128.load(xr + o), v128.load(mxT + o));
        const e = expv(d);
        v128.store(yr + o, isLog ? d : e);
        const q = sT + (<usize>c << 3);
        v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(e)));
        v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(v128.shuffle<i32>(e, e, 2, 3, 2, 3))), 16);
      }
      for (; c < tn; c++) {
        const o = <usize>c << 2;
        const d = load<f32>(xr + o) - load<f32>(mxT + o);
        const e = f32x4.extract_lane(expv(f32x4.splat(d)), 0);
        store<f32>(yr + o, isLog ? d : e);
        const q = sT + (<usize>c << 3);
        store<f64>(q, load<f64>(q) + <f64>e);
      }
    }
    // the f32 tile now holds the per-column factor (1/s) or term (log s)
    for (let c = 0; c < tn; c++) {
      const s = load<f64>(sT + (<usize>c << 3));
      store<f32>(mxT + (<usize>c << 2), isLog ? <f32>Math.log(s) : <f32>(1 / s));
    }
    for (let j = 0; j < n; j++) {
      const yr = yb + <usize>j * step;
      let c = 0;
      for (; c + 4 <= tn; c += 4) {
        const o = <usize>c << 2;
        const f = v128.load(mxT + o);
        const v = v128.load(yr + o);
        v128.store(yr + o, isLog ? f32x4.sub(v, f) : f32x4.mul(v, f));
      }
      for (; c < tn; c++) {
        const o = <usize>c << 2;
        const f = load<f32>(mxT + o);
        const v = load<f32>(yr + o);
        store<f32>(yr + o, isLog ? v - f : v * f);
      }
    }
  }
}
