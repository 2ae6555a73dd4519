// Data movement: strided copies (permute, slice, its scatter, concat, flip, broadcastTo, constant pad),
// index-mapped gathers and scatter-adds (reflect / edge pad and its adjoint), fills. 32-bit words,
// so float32 and int32 alike.
import { pi, share } from './common';

/** Offset of row `r` of a grid (dims 0..rank-2 of shape at p+4*sh) with strides at p+4*st. */
@inline function rowOffset(p: usize, sh: i32, st: i32, rank: i32, r: i32): i32 {
  let off = 0;
  for (let d = rank - 2; d >= 0; d--) {
    const n = pi(p, sh + d);
    off += (r % n) * pi(p, st + d);
    r /= n;
  }
  return off;
}

/**
 * dst[Σ i·dstride] = src[Σ i·sstride] over the grid `shape`: p = [rank, src, dst, shape[rank],
 * sstride[rank], dstride[rank]] (elements; strides may be negative or zero). Threads split the rows.
 */
export function stridedCopy(p: usize, tid: i32, nt: i32): void {
  const rank = pi(p, 0);
  const src = <usize>pi(p, 1);
  const dst = <usize>pi(p, 2);
  const SH = 3;
  const SS = SH + rank;
  const DS = SS + rank;
  const L = pi(p, SH + rank - 1);
  const ss = pi(p, SS + rank - 1);
  const ds = pi(p, DS + rank - 1);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= pi(p, SH + d);
  const r0 = share(rows, tid, nt, 1);
  const r1 = share(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const s = src + (<usize>rowOffset(p, SH, SS, rank, r) << 2);
    const d = dst + (<usize>rowOffset(p, SH, DS, rank, r) << 2);
    if (ss == 1 && ds == 1) {
      memory.copy(d, s, <usize>L << 2);
    } else if (ss == 0 && ds == 1) {
      const v = v128.load32_splat(s);
      let i = 0;
      for (; i + 4 <= L; i += 4) v128.store(d + (<usize>i << 2), v);
      const w = load<i32>(s);
      for (; i < L; i++) store<i32>(d + (<usize>i << 2), w);
    } else {
      for (let i = 0; i < L; i++) store<i32>(d + (<usize>(i * ds) << 2), load<i32>(s + (<usize>(i * ss) << 2)));
    }
  }
}

/** p = [dst, n, value bits]: fills n words. */
export function fill(p: usize, tid: i32, nt: i32): void {
  const dst = <usize>pi(p, 0);
  const n = pi(p, 1);
  const bits = pi(p, 2);
  const i0 = share(n, tid, nt, 16);
  const i1 = share(n, tid + 1, nt, 16);
  if (bits == 0) {
    memory.fill(dst + (<usize>i0 << 2), 0, <usize>(i1 - i0) << 2);
    return;
  }
  const v = i32x4.splat(bits);
  let i = i0;
  for (; i + 4 <= i1; i += 4) v128.store(dst + (<usize>i << 2), v);
  for (; i < i1; i++) store<i32>(dst + (<usize>i << 2), bits);
}

/**
 * Index-mapped gather: y (dense over `shape`) [o] = map-valid ? x[Σ map_d[o_d]·xstride_d] : value.
 * p = [rank, x, y, value bits, shape[rank], xstride[rank], mapOffset[rank]] with each axis' map
 * (int32, -1 = the constant) at p + 4*mapOffset[d].
 */
export function gatherMapped(p: usize, tid: i32, nt: i32): void {
  const rank = pi(p, 0);
  const x = <usize>pi(p, 1);
  const y = <usize>pi(p, 2);
  const value = pi(p, 3);
  const SH = 4;
  const XS = SH + rank;
  const MO = XS + rank;
  const L = pi(p, SH + rank - 1);
  const xsL = pi(p, XS + rank - 1);
  const mapL = p + (<usize>pi(p, MO + rank - 1) << 2);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= pi(p, SH + d);
  const r0 = share(rows, tid, nt, 1);
  const r1 = share(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    // the row's source offset through the outer maps
    let rem = r;
    let off = 0;
    let valid = true;
    for (let d = rank - 2; d >= 0; d--) {
      const n = pi(p, SH + d);
      const i = rem % n;
      rem /= n;
      const m = load<i32>(p + (<usize>pi(p, MO + d) << 2) + (<usize>i << 2));
      if (m < 0) valid = false;
      off += m * pi(p, XS + d);
    }
    const yr = y + (<usize>(r * L) << 2);
    if (!valid) {
      for (let i = 0; i < L; i++) store<i32>(yr + (<usize>i << 2), value);
      continue;
    }
    const xr = x + (<usize>off << 2);
    for (let i = 0; i < L; i++) {
      const m = load<i32>(mapL + (<usize>i << 2));
      store<i32>(yr + (<usize>i << 2), m < 0 ? value : load<i32>(xr + (<usize>(m * xsL) << 2)));
    }
  }
}

/**
 * Adjoint of gatherMapped for floats: x (zeroed by the caller) [Σ map_d[o_d]·xstride_d] += y[o]
 * for valid maps. Same parameter layout (value unused). Single thread (positions may collide).
 */
export function scatterMapped(p: usize, tid: i32, nt: i32): void {
  if (tid != 0) return;
  const rank = pi(p, 0);
  const x = <usize>pi(p, 1);
  const y = <usize>pi(p, 2);
  const SH = 4;
  const XS = SH + rank;
  const MO = XS + rank;
  const L = pi(p, SH + rank - 1);
  const xsL = pi(p, XS + rank - 1);
  const mapL = p + (<usize>pi(p, MO + rank - 1) << 2);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= pi(p, SH + d);
  for (let r = 0; r < rows; r++) {
    let rem = r;
    let off = 0;
    let valid = true;
    for (let d = rank - 2; d >= 0; d--) {
      const n = pi(p, SH + d);
      const i = rem % n;
      rem /= n;
      const m = load<i32>(p + (<usize>pi(p, MO + d) << 2) + (<usize>i << 2));
      if (m < 0) valid = false;
      off += m * pi(p, XS + d);
    }
    if (!valid) continue;
    const yr = y + (<usize>(r * L) << 2);
    const xr = x + (<usize>off << 2);
    for (let i = 0; i < L; i++) {
      const m = load<i32>(mapL + (<usize>i << 2));
      if (m >= 0) {
        const q = xr + (<usize>(m * xsL) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(yr + (<usize>i << 2)));
      }
    }
  }
}
