// Pooling over 1 to 3 spatial axes (padded to three), planes of (n, c) split across threads.
// p = [planes, S0,S1,S2, K0,K1,K2, O0,O1,O2, st0..2, pb0..2, pe0..2, dl0..2, in, out, out2, flag]
// (flag: countIncludePad for the average pools).
import { pi, share } from './common';

let S0: i32 = 1, S1: i32 = 1, S2: i32 = 1;
let K0: i32 = 1, K1: i32 = 1, K2: i32 = 1;
let O0: i32 = 1, O1: i32 = 1, O2: i32 = 1;
let st0: i32 = 1, st1: i32 = 1, st2: i32 = 1;
let pb0: i32 = 0, pb1: i32 = 0, pb2: i32 = 0;
let pe0: i32 = 0, pe1: i32 = 0, pe2: i32 = 0;
let dl0: i32 = 1, dl1: i32 = 1, dl2: i32 = 1;

function readPool(p: usize): void {
  S0 = pi(p, 1); S1 = pi(p, 2); S2 = pi(p, 3);
  K0 = pi(p, 4); K1 = pi(p, 5); K2 = pi(p, 6);
  O0 = pi(p, 7); O1 = pi(p, 8); O2 = pi(p, 9);
  st0 = pi(p, 10); st1 = pi(p, 11); st2 = pi(p, 12);
  pb0 = pi(p, 13); pb1 = pi(p, 14); pb2 = pi(p, 15);
  pe0 = pi(p, 16); pe1 = pi(p, 17); pe2 = pi(p, 18);
  dl0 = pi(p, 19); dl1 = pi(p, 20); dl2 = pi(p, 21);
}

/** Taps of one axis inside [−pb, S+pe) (the count-include-pad divisor factor). */
@inline function padded(o: i32, st: i32, pb: i32, pe: i32, dl: i32, K: i32, S: i32): i32 {
  let n = 0;
  for (let k = 0; k < K; k++) {
    const q = o * st - pb + k * dl;
    if (q >= -pb && q < S + pe) n++;
  }
  return n;
}

/** Best of a window so far: the later tap wins when strictly larger or NaN (per lane). */
@inline function better(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
}

/**
 * Four 2×2 windows of stride 2 from rows ra and rb (= ra + one input row), eight input columns from
 * column c: maxima to y, their flat indices in the plane (r = index of ra's first tap) to yi.
 */
@inline function max2x2x4(ra: usize, rb: usize, r: i32, s2: i32, y: usize, yi: usize): void {
  const a0 = v128.load(ra);
  const a1 = v128.load(ra, 16);
  const b0 = v128.load(rb);
  const b1 = v128.load(rb, 16);
  // taps (0,0), (0,1), (1,0), (1,1) of the four windows (even / odd columns of each row)
  const v00 = v128.shuffle<i32>(a0, a1, 0, 2, 4, 6);
  const v01 = v128.shuffle<i32>(a0, a1, 1, 3, 5, 7);
  const v10 = v128.shuffle<i32>(b0, b1, 0, 2, 4, 6);
  const v11 = v128.shuffle<i32>(b0, b1, 1, 3, 5, 7);
  // the winner's offset within its window (0, 1, s2 or s2 + 1), added to the windows' first taps
  let best = v00;
  let m = better(v01, best);
  best = v128.bitselect(v01, best, m);
  let off = v128.and(m, i32x4.splat(1));
  m = better(v10, best);
  best = v128.bitselect(v10, best, m);
  off = v128.bitselect(i32x4.splat(s2), off, m);
  m = better(v11, best);
  best = v128.bitselect(v11, best, m);
  off = v128.bitselect(i32x4.splat(s2 + 1), off, m);
  v128.store(y, best);
  v128.store(yi, i32x4.add(off, i32x4.add(i32x4.splat(r), i32x4(0, 2, 4, 6))));
}

/** One 2×2 window whose first tap is plane index r (row length s2), scalar. */
@inline function max2x2(xp: usize, r: i32, s2: i32, y: usize, yi: usize): void {
  const a = xp + (<usize>r << 2);
  let best = load<f32>(a);
  let bi = r;
  let v = load<f32>(a, 4);
  if (v > best || v != v) {
    best = v;
    bi = r + 1;
  }
  v = load<f32>(a + (<usize>s2 << 2));
  if (v > best || v != v) {
    best = v;
    bi = r + s2;
  }
  v = load<f32>(a + (<usize>s2 << 2), 4);
  if (v > best || v != v) {
    best = v;
    bi = r + s2 + 1;
  }
  store<f32>(y, best);
  store<i32>(yi, bi);
}

/**
 * Max pooling: the first largest tap of each window in row-major tap order wins, and a NaN wins over
 * everything (a later NaN over an earlier one), as the reference. 2×2 windows of stride 2 without
 * padding or dilation on the last two axes (the common case) take a fast path: every window that
 * lies inside the input in one pass, four at a time in v128 (a row's last four ending at its last
 * full window, overlapping the previous four when the count is not a multiple of four: the overlap
 * recomputes the same values), one at a time for rows of fewer than four; the partial windows of
 * ceil mode go through the general loop, as does every other geometry.
 */
export function maxPool(p: usize, tid: i32, nt: i32): void {
  readPool(p);
  const planes = pi(p, 0);
  const x = <usize>pi(p, 22);
  const y = <usize>pi(p, 23);
  const yi = <usize>pi(p, 24);
  const s0 = S0, s1 = S1, s2 = S2;
  const k0n = K0, k1n = K1, k2n = K2;
  const o0n = O0, o1n = O1, o2n = O2;
  const t0 = st0, t1 = st1, t2 = st2;
  const p0 = pb0, p1 = pb1, p2 = pb2;
  const d0 = dl0, d1 = dl1, d2 = dl2;
  const Sp = s0 * s1 * s2;
  const Op = o0n * o1n * o2n;
  const q0 = share(planes, tid, nt, 1);
  const q1 = share(planes, tid + 1, nt, 1);
  const fast2x2 = k0n == 1 && k1n == 2 && k2n == 2 && t1 == 2 && t2 == 2 && p1 == 0 && p2 == 0 && d1 == 1 && d2 == 1;
  // windows that lie inside the input along the last axis (all but a ceil-mode one)
  const full2 = o2n < s2 >> 1 ? o2n : s2 >> 1;
  for (let q = q0; q < q1; q++) {
    const xp = x + (<usize>(q * Sp) << 2);
    for (let o0 = 0; o0 < o0n; o0++) {
      const i0 = o0 * t0 - p0;
      for (let o1 = 0; o1 < o1n; o1++) {
        const rowOut = <usize>(q * Op + (o0 * o1n + o1) * o2n) << 2;
        let o2 = 0;
        if (fast2x2 && <u32>i0 < <u32>s0 && 2 * o1 + 1 < s1) {
          const r = (i0 * s1 + 2 * o1) * s2;
          const ra = xp + (<usize>r << 2);
          const rb = ra + (<usize>s2 << 2);
          if (full2 >= 4) {
            for (; o2 + 4 <= full2; o2 += 4) {
              const o = rowOut + (<usize>o2 << 2);
              max2x2x4(ra + (<usize>(2 * o2) << 2), rb + (<usize>(2 * o2) << 2), r + 2 * o2, s2, y + o, yi + o);
            }
            if (o2 < full2) {
              const c = full2 - 4;
              const o = rowOut + (<usize>c << 2);
              max2x2x4(ra + (<usize>(2 * c) << 2), rb + (<usize>(2 * c) << 2), r + 2 * c, s2, y + o, yi + o);
              o2 = full2;
            }
          } else
            for (; o2 < full2; o2++) {
              const o = rowOut + (<usize>o2 << 2);
              max2x2(xp, r + 2 * o2, s2, y + o, yi + o);
            }
        }
        for (; o2 < o2n; o2++) {
          let best: f32 = -Infinity;
          let bi = -1;
          for (let k0 = 0; k0 < k0n; k0++) {
            const j0 = i0 + k0 * d0;
            if (<u32>j0 >= <u32>s0) continue;
            for (let k1 = 0; k1 < k1n; k1++) {
              const j1 = o1 * t1 - p1 + k1 * d1;
              if (<u32>j1 >= <u32>s1) continue;
              const rowi = (j0 * s1 + j1) * s2;
              for (let k2 = 0; k2 < k2n; k2++) {
                const j2 = o2 * t2 - p2 + k2 * d2;
                if (<u32>j2 >= <u32>s2) continue;
                const t = rowi + j2;
                const v = load<f32>(xp + (<usize>t << 2));
                if (bi < 0) bi = t;
                if (v > best || v != v) {
                  best = v;
                  bi = t;
                }
              }
            }
          }
          const o = rowOut + (<usize>o2 << 2);
          store<f32>(y + o, best);
          store<i32>(yi + o, bi);
        }
      }
    }
  }
}

/** avgPool (backward = false) or its adjoint (dx zeroed by the caller). */
function avgPoolImpl(p: usize, tid: i32, nt: i32, backward: bool): void {
  readPool(p);
  const planes = pi(p, 0);
  const src = <usize>pi(p, 22);
  const dst = <usize>pi(p, 23);
  const includePad = pi(p, 25) != 0;
  const Sp = S0 * S1 * S2;
  const Op = O0 * O1 * O2;
  const q0 = share(planes, tid, nt, 1);
  const q1 = share(planes, tid + 1, nt, 1);
  for (let q = q0; q < q1; q++) {
    const xp = (backward ? dst : src) + (<usize>(q * Sp) << 2);
    let out = (backward ? src : dst) + (<usize>(q * Op) << 2);
    for (let o0 = 0; o0 < O0; o0++) {
      const p0 = padded(o0, st0, pb0, pe0, dl0, K0, S0);
      for (let o1 = 0; o1 < O1; o1++) {
        const p1 = padded(o1, st1, pb1, pe1, dl1, K1, S1);
        for (let o2 = 0; o2 < O2; o2++) {
          // count of taps inside the input, and their sum (forward) or share (backward)
          let n = 0;
          for (let k0 = 0; k0 < K0; k0++) {
            const i0 = o0 * st0 - pb0 + k0 * dl0;
            if (<u32>i0 >= <u32>S0) continue;
            for (let k1 = 0; k1 < K1; k1++) {
              const i1 = o1 * st1 - pb1 + k1 * dl1;
              if (<u32>i1 >= <u32>S1) continue;
              for (let k2 = 0; k2 < K2; k2++) {
                const i2 = o2 * st2 - pb2 + k2 * dl2;
                if (<u32>i2 < <u32>S2) n++;
              }
            }
          }
          const div: f64 = includePad ? <f64>(p0 * p1 * padded(o2, st2, pb2, pe2, dl2, K2, S2)) : <f64>n;
          let s: f64 = 0;
          const g: f64 = backward ? <f64>load<f32>(out) / div : 0;
          if (n > 0)
            for (let k0 = 0; k0 < K0; k0++) {
              const i0 = o0 * st0 - pb0 + k0 * dl0;
              if (<u32>i0 >= <u32>S0) continue;
              for (let k1 = 0; k1 < K1; k1++) {
                const i1 = o1 * st1 - pb1 + k1 * dl1;
                if (<u32>i1 >= <u32>S1) continue;
                const rowp = xp + (<usize>((i0 * S1 + i1) * S2) << 2);
                for (let k2 = 0; k2 < K2; k2++) {
                  const i2 = o2 * st2 - pb2 + k2 * dl2;
                  if (<u32>i2 >= <u32>S2) continue;
                  const a = rowp + (<usize>i2 << 2);
                  if (backward) store<f32>(a, <f32>(<f64>load<f32>(a) + g));
                  else s += <f64>load<f32>(a);
                }
              }
            }
          if (!backward) store<f32>(out, n > 0 ? <f32>(s / div) : 0);
          out += 4;
        }
      }
    }
  }
}

export function avgPool(p: usize, tid: i32, nt: i32): void {
  avgPoolImpl(p, tid, nt, false);
}

export function avgPoolBackward(p: usize, tid: i32, nt: i32): void {
  avgPoolImpl(p, tid, nt, true);
}

/**
 * unpoolScatter: y plane q = 0, then [idx[i]] += v[i]; p = [planes, inPlane, outPlane, v, idx, y]. Each
 * plane is zeroed right before its scatter, while it is in the cache (one pass over y, not two).
 * poolGather: y[i] = x[plane q, idx[i]]; p = [planes, inPlane (indices per plane), xPlane, x, idx, y].
 */
export function unpoolScatter(p: usize, tid: i32, nt: i32): void {
  const planes = pi(p, 0);
  const ip = pi(p, 1);
  const op = pi(p, 2);
  const v = <usize>pi(p, 3);
  const idx = <usize>pi(p, 4);
  const y = <usize>pi(p, 5);
  const q0 = share(planes, tid, nt, 1);
  const q1 = share(planes, tid + 1, nt, 1);
  for (let q = q0; q < q1; q++) {
    const yp = y + (<usize>(q * op) << 2);
    memory.fill(yp, 0, <usize>op << 2);
    const base = q * ip;
    for (let i = 0; i < ip; i++) {
      const o = <usize>(base + i) << 2;
      const a = yp + (<usize>load<i32>(idx + o) << 2);
      store<f32>(a, load<f32>(a) + load<f32>(v + o));
    }
  }
}

export function poolGather(p: usize, tid: i32, nt: i32): void {
  const planes = pi(p, 0);
  const ip = pi(p, 1);
  const xpl = pi(p, 2);
  const x = <usize>pi(p, 3);
  const idx = <usize>pi(p, 4);
  const y = <usize>pi(p, 5);
  const q0 = share(planes, tid, nt, 1);
  const q1 = share(planes, tid + 1, nt, 1);
  for (let q = q0; q < q1; q++) {
    const xp = x + (<usize>(q * xpl) << 2);
    const base = q * ip;
    for (let i = 0; i < ip; i++) {
      const o = <usize>(base + i) << 2;
      store<f32>(y + o, load<f32>(xp + (<usize>load<i32>(idx + o) << 2)));
    }
  }
}

/** Index of the first entry of idx[0..n) outside [0, limit), or -1. */
export function checkIndices(idx: usize, n: i32, limit: i32): i32 {
  // four at a time until a vector holds a bad one, then the scalar loop finds which
  const lim = i32x4.splat(limit);
  let i = 0;
  for (; i + 4 <= n; i += 4) if (v128.any_true(i32x4.ge_u(v128.load(idx + (<usize>i << 2)), lim))) break;
  for (; i < n; i++) if (<u32>load<i32>(idx + (<usize>i << 2)) >= <u32>limit) return i;
  return -1;
}
