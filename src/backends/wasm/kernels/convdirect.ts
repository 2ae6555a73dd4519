// Direct convolution forward for unit stride along the last spatial axis, filters in the rows of
// the tile: the microkernel reads its B operand straight from a zero-padded copy of the image.
//
// With stride 1 along the last axis, eight consecutive outputs (o0, o1, ox..ox+7) of one filter tap
// (ch, t0, t1, t2) read eight consecutive input elements of the padded image: row k of the B panel is
// the padded image at base(o0, o1, ox) + off[k], a per-tap offset from a table. The padded image
// and the tap table are conv.ts's (setPaddedDims, copyPadded, tapTable: the zero border written once
// per call, the interior copied once per image); the microkernel pays one extra scalar load per step
// for reading through the table. The weights are packed once per group.
// conv.ts has a direct form too, with output positions in the tile's rows and filters in its lanes
// (Yᵀ = col(X)ᵀ·Wᵀ): it wins for short products (few channels × taps) and rows that are not a
// multiple of eight; this one where many filters share long rows (W3, the 16×16 layers of W2).
//
// Each output is summed over the K blocks in the same order whatever the thread split (threads take
// whole (image, group) units, or whole output rows), so results do not depend on the thread count.
// Shapes this path does not take go to conv.ts's convForward; the choice depends on the shape only.
import { madd, pi, scratch, share } from './common';
import {
  C, convBackwardData, convForward, copyPadded, dataAsForward, dl0, dl1, dl2, F, G, K0, K1, K2, MAX_TAPS, N, O0, O1, O2, paddedImageFits, pb0, pb1, pb2,
  readGeom, S0, S1, S2, setPaddedDims, st0, st1, st2, tapTable, xD0, xD1, xD2,
} from './conv';
import { ASH, COMPACT_A, KC, MC, MR, MR6, NR, SCR_A, SCR_B, SCR_TILE, SCR_USER, SCR_W, SCR_W_BYTES, balanced, packPanels } from './gemm';

/**
 * The direct microkernel: C[0..4, 0..8] (=|+=) Σ_k A[·,k] · B_k, where B_k is the eight floats at
 * base + tab[k] (byte offsets). A is a packed panel (compact in the fused multiply-add build,
 * pre-broadcast in the plain one, as in gemm.ts). Unrolled four times with exit tests between the
 * steps, for the reasons given at gemm.ts's micro.
 */
function microD(kc: i32, pa: usize, tab: usize, base: usize, c: usize, ldc: usize, acc: bool, mr: i32): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let a = f32x4.splat(0);
  const end = tab + (<usize>kc << 2);
  while (tab < end) {
    let r = base + <usize>load<i32>(tab, 0);
    b0 = v128.load(r, 0);
    b1 = v128.load(r, 16);
    a = loadA(pa, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = loadA(pa, 1);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = loadA(pa, 2);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = loadA(pa, 3);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (tab + 4 >= end) break;
    r = base + <usize>load<i32>(tab, 4);
    b0 = v128.load(r, 0);
    b1 = v128.load(r, 16);
    a = loadA(pa, 4);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = loadA(pa, 5);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = loadA(pa, 6);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = loadA(pa, 7);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (tab + 8 >= end) break;
    r = base + <usize>load<i32>(tab, 8);
    b0 = v128.load(r, 0);
    b1 = v128.load(r, 16);
    a = loadA(pa, 8);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = loadA(pa, 9);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = loadA(pa, 10);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = loadA(pa, 11);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (tab + 12 >= end) break;
    r = base + <usize>load<i32>(tab, 12);
    b0 = v128.load(r, 0);
    b1 = v128.load(r, 16);
    a = loadA(pa, 12);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = loadA(pa, 13);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = loadA(pa, 14);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = loadA(pa, 15);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += <usize>16 << ASH;
    tab += 16;
  }
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  if (acc) {
    c00 = f32x4.add(v128.load(c), c00);
    c01 = f32x4.add(v128.load(c, 16), c01);
    if (mr > 1) {
      c10 = f32x4.add(v128.load(c1), c10);
      c11 = f32x4.add(v128.load(c1, 16), c11);
    }
    if (mr > 2) {
      c20 = f32x4.add(v128.load(c2), c20);
      c21 = f32x4.add(v128.load(c2, 16), c21);
    }
    if (mr > 3) {
      c30 = f32x4.add(v128.load(c3), c30);
      c31 = f32x4.add(v128.load(c3, 16), c31);
    }
  }
  // the last panel of rows may hold fewer than four filters: store only those
  v128.store(c, c00);
  v128.store(c, c01, 16);
  if (mr > 1) {
    v128.store(c1, c10);
    v128.store(c1, c11, 16);
  }
  if (mr > 2) {
    v128.store(c2, c20);
    v128.store(c2, c21, 16);
  }
  if (mr > 3) {
    v128.store(c3, c30);
    v128.store(c3, c31, 16);
  }
}

/**
 * microD with six filters in the rows (the fused multiply-add build, compact A): twelve
 * accumulators, the basic block ended after each row by a never-true `kc == -n` test so that
 * TurboFan does not hoist the six A splats of a step (see gemm.ts's micro6). mr ≤ 6 rows are stored.
 */
function microD6(kc: i32, pa: usize, tab: usize, base: usize, c: usize, ldc: usize, acc: bool, mr: i32): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0);
  let c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0);
  let c51 = f32x4.splat(0);
  const end = tab + (<usize>kc << 2);
  while (tab < end) {
    {
      const r = base + <usize>load<i32>(tab, 0);
      const b0 = v128.load(r, 0);
      const b1 = v128.load(r, 16);
      {
        const a = v128.load32_splat(pa, 0);
        c00 = madd(a, b0, c00);
        c01 = madd(a, b1, c01);
      }
      if (kc == -1) break;
      {
        const a = v128.load32_splat(pa, 4);
        c10 = madd(a, b0, c10);
        c11 = madd(a, b1, c11);
      }
      if (kc == -2) break;
      {
        const a = v128.load32_splat(pa, 8);
        c20 = madd(a, b0, c20);
        c21 = madd(a, b1, c21);
      }
      if (kc == -3) break;
      {
        const a = v128.load32_splat(pa, 12);
        c30 = madd(a, b0, c30);
        c31 = madd(a, b1, c31);
      }
      if (kc == -4) break;
      {
        const a = v128.load32_splat(pa, 16);
        c40 = madd(a, b0, c40);
        c41 = madd(a, b1, c41);
      }
      if (kc == -5) break;
      {
        const a = v128.load32_splat(pa, 20);
        c50 = madd(a, b0, c50);
        c51 = madd(a, b1, c51);
      }
    }
    if (tab + 4 >= end) break;
    {
      const r = base + <usize>load<i32>(tab, 4);
      const b0 = v128.load(r, 0);
      const b1 = v128.load(r, 16);
      {
        const a = v128.load32_splat(pa, 24);
        c00 = madd(a, b0, c00);
        c01 = madd(a, b1, c01);
      }
      if (kc == -6) break;
      {
        const a = v128.load32_splat(pa, 28);
        c10 = madd(a, b0, c10);
        c11 = madd(a, b1, c11);
      }
      if (kc == -7) break;
      {
        const a = v128.load32_splat(pa, 32);
        c20 = madd(a, b0, c20);
        c21 = madd(a, b1, c21);
      }
      if (kc == -8) break;
      {
        const a = v128.load32_splat(pa, 36);
        c30 = madd(a, b0, c30);
        c31 = madd(a, b1, c31);
      }
      if (kc == -9) break;
      {
        const a = v128.load32_splat(pa, 40);
        c40 = madd(a, b0, c40);
        c41 = madd(a, b1, c41);
      }
      if (kc == -10) break;
      {
        const a = v128.load32_splat(pa, 44);
        c50 = madd(a, b0, c50);
        c51 = madd(a, b1, c51);
      }
    }
    if (tab + 8 >= end) break;
    {
      const r = base + <usize>load<i32>(tab, 8);
      const b0 = v128.load(r, 0);
      const b1 = v128.load(r, 16);
      {
        const a = v128.load32_splat(pa, 48);
        c00 = madd(a, b0, c00);
        c01 = madd(a, b1, c01);
      }
      if (kc == -11) break;
      {
        const a = v128.load32_splat(pa, 52);
        c10 = madd(a, b0, c10);
        c11 = madd(a, b1, c11);
      }
      if (kc == -12) break;
      {
        const a = v128.load32_splat(pa, 56);
        c20 = madd(a, b0, c20);
        c21 = madd(a, b1, c21);
      }
      if (kc == -13) break;
      {
        const a = v128.load32_splat(pa, 60);
        c30 = madd(a, b0, c30);
        c31 = madd(a, b1, c31);
      }
      if (kc == -14) break;
      {
        const a = v128.load32_splat(pa, 64);
        c40 = madd(a, b0, c40);
        c41 = madd(a, b1, c41);
      }
      if (kc == -15) break;
      {
        const a = v128.load32_splat(pa, 68);
        c50 = madd(a, b0, c50);
        c51 = madd(a, b1, c51);
      }
    }
    if (tab + 12 >= end) break;
    {
      const r = base + <usize>load<i32>(tab, 12);
      const b0 = v128.load(r, 0);
      const b1 = v128.load(r, 16);
      {
        const a = v128.load32_splat(pa, 72);
        c00 = madd(a, b0, c00);
        c01 = madd(a, b1, c01);
      }
      if (kc == -16) break;
      {
        const a = v128.load32_splat(pa, 76);
        c10 = madd(a, b0, c10);
        c11 = madd(a, b1, c11);
      }
      if (kc == -17) break;
      {
        const a = v128.load32_splat(pa, 80);
        c20 = madd(a, b0, c20);
        c21 = madd(a, b1, c21);
      }
      if (kc == -18) break;
      {
        const a = v128.load32_splat(pa, 84);
        c30 = madd(a, b0, c30);
        c31 = madd(a, b1, c31);
      }
      if (kc == -19) break;
      {
        const a = v128.load32_splat(pa, 88);
        c40 = madd(a, b0, c40);
        c41 = madd(a, b1, c41);
      }
      if (kc == -20) break;
      {
        const a = v128.load32_splat(pa, 92);
        c50 = madd(a, b0, c50);
        c51 = madd(a, b1, c51);
      }
    }
    pa += 96;
    tab += 16;
  }
  const c0p = c;
  const c1p = c + <usize>1 * ldc;
  const c2p = c + <usize>2 * ldc;
  const c3p = c + <usize>3 * ldc;
  const c4p = c + <usize>4 * ldc;
  const c5p = c + <usize>5 * ldc;
  if (acc) {
    c00 = f32x4.add(v128.load(c0p), c00);
    c01 = f32x4.add(v128.load(c0p, 16), c01);
    if (mr > 1) {
      c10 = f32x4.add(v128.load(c1p), c10);
      c11 = f32x4.add(v128.load(c1p, 16), c11);
    }
    if (mr > 2) {
      c20 = f32x4.add(v128.load(c2p), c20);
      c21 = f32x4.add(v128.load(c2p, 16), c21);
    }
    if (mr > 3) {
      c30 = f32x4.add(v128.load(c3p), c30);
      c31 = f32x4.add(v128.load(c3p, 16), c31);
    }
    if (mr > 4) {
      c40 = f32x4.add(v128.load(c4p), c40);
      c41 = f32x4.add(v128.load(c4p, 16), c41);
    }
    if (mr > 5) {
      c50 = f32x4.add(v128.load(c5p), c50);
      c51 = f32x4.add(v128.load(c5p, 16), c51);
    }
  }
  v128.store(c0p, c00);
  v128.store(c0p, c01, 16);
  if (mr > 1) {
    v128.store(c1p, c10);
    v128.store(c1p, c11, 16);
  }
  if (mr > 2) {
    v128.store(c2p, c20);
    v128.store(c2p, c21, 16);
  }
  if (mr > 3) {
    v128.store(c3p, c30);
    v128.store(c3p, c31, 16);
  }
  if (mr > 4) {
    v128.store(c4p, c40);
    v128.store(c4p, c41, 16);
  }
  if (mr > 5) {
    v128.store(c5p, c50);
    v128.store(c5p, c51, 16);
  }
}

/** Packed A element i of the panel as a vector (compact: splat load; plain: pre-broadcast load). */
@inline function loadA(pa: usize, i: i32): v128 {
  if (ASH == 2) return v128.load32_splat(pa + (<usize>i << 2));
  return v128.load(pa + (<usize>i << 4));
}

/**
 * Whether the direct path covers this geometry: unit stride along the last axis, rows of outputs
 * that fill panels of eight, enough taps, and the buffers of conv.ts's direct forward (the padded
 * image, the tap table) plus the group's packed weights in SCR_W.
 */
function directOk(): bool {
  // a row of outputs in panels of eight: at least 80 % of the lanes must be outputs
  if (st2 != 1 || O2 * 5 < ((O2 + NR - 1) / NR) * NR * 4) return false;
  const Cg = C / G;
  const Fg = F / G;
  const Kd = Cg * K0 * K1 * K2;
  // short products (few channels × taps, like a first layer on 1–3 channels) go to conv.ts's
  // direct form with positions in the rows of the tile, which measured faster there — unless the
  // filters fill six-row tiles and there are ≥ 16 taps (LeNet's 6 filters of 5×5 on one channel:
  // 24 → 26 GFLOP/s at batch 1, 28 → 30 at batch 64)
  if (Fg < MR || Kd < (filterRows(Fg) == MR6 ? 16 : 64) || Kd > MAX_TAPS) return false;
  setPaddedDims();
  if (!paddedImageFits(Cg)) return false;
  const dr = filterRows(Fg);
  const Mpad = (Fg + dr - 1) / dr * dr;
  return (<u64>Mpad * <u64>Kd << ASH) <= <u64>SCR_W_BYTES;
}

/**
 * Filters per tile: six in the fused multiply-add build (microD6, twelve accumulators) for ≥ 24
 * filters or a multiple of six, unless the padding to a multiple of six costs more than 4 % over
 * fours (32 filters would pad to 36); else MR.
 */
@inline function filterRows(Fg: i32): i32 {
  return COMPACT_A && (Fg >= 24 || Fg % 6 == 0) && (Fg + 5) / 6 * 6 * 25 <= (Fg + 3) / 4 * 4 * 26 ? MR6 : MR;
}

/**
 * conv forward (same parameter block as conv.ts's convForward): the direct path when it covers the
 * shape, else the gather product. split 0: (image, group) units per thread; 1: output rows.
 */
export function convAuto(p: usize, tid: i32, nt: i32): void {
  readGeom(p);
  if (!directOk()) {
    convForward(p, tid, nt);
    return;
  }
  direct(<usize>pi(p, 22), <usize>pi(p, 23), <usize>pi(p, 24), pi(p, 25), tid, nt);
}

/**
 * conv input gradient (same parameter block as conv.ts's convBackwardData): where every stride is 1,
 * the C input channels fill six-row tiles and dX has at most 1.25× as many positions as dY, the
 * direct forward computes it — dX is the correlation of dY, padded by dl·(K−1) − pb in front, with
 * the weights transposed (C rows of F·K taps) and flipped — with the channels in the tile's rows and
 * eight input positions in its lanes; else conv.ts's forms. The correlation also multiplies the zero
 * border, Q/P times the useful work: LeNet's conv2 (14² from 10²) measured 25 → 21 useful GFLOP/s on
 * this path, so it stays with conv.ts's scatter form; W2's 64-channel 16×16 layers (Q = P) 49–50 →
 * 52 (pinned, alternating); four-row tiles (32 channels) gained nothing. Each thread writes the
 * transposed weights into its SCR_A (unused by the direct product) before taking its share.
 */
export function convDataAuto(p: usize, tid: i32, nt: i32): void {
  readGeom(p);
  const KK = K0 * K1 * K2;
  // after dataAsForward: F is dX's channels, C dY's
  // (Q: dX positions, P: dY positions — the correlation also runs over the zero border, Q per P)
  const P = O0 * O1 * O2;
  const Q = S0 * S1 * S2;
  if (4 * Q > 5 * P || !dataAsForward() || filterRows(F / G) != MR6 || !directOk() || <u64>F * <u64>(C / G) * <u64>KK * 4 > <u64>(MC * KC) << ASH) {
    convBackwardData(p, tid, nt);
    return;
  }
  const w = <usize>pi(p, 23);
  const wt = scratch() + SCR_A;
  const Cg = F / G; // dX channels per group (the original Cg)
  const Fg = C / G; // dY channels per group (the original Fg)
  // wt[(g·Cg + c)·Fg·KK + f·KK + t] = w[((g·Fg + f)·Cg + c)·KK + KK − 1 − t]
  for (let g = 0; g < G; g++)
    for (let c = 0; c < Cg; c++) {
      let q = wt + (<usize>((g * Cg + c) * Fg * KK) << 2);
      for (let f = 0; f < Fg; f++) {
        const src = w + (<usize>(((g * Fg + f) * Cg + c) * KK + KK - 1) << 2);
        for (let t = 0; t < KK; t++) store<f32>(q + (<usize>t << 2), load<f32>(src - (<usize>t << 2)));
        q += <usize>KK << 2;
      }
    }
  direct(<usize>pi(p, 22), wt, <usize>pi(p, 24), pi(p, 25), tid, nt);
}

/**
 * The direct product over the current geometry: y = conv(x, w) with x of C channels, y of F.
 * split 0: (image, group) units per thread; 1: output rows.
 */
function direct(x: usize, w: usize, y: usize, split: i32, tid: i32, nt: i32): void {
  const Cg = C / G;
  const Fg = F / G;
  const Kd = Cg * K0 * K1 * K2;
  const P = O0 * O1 * O2;
  const Sp = S0 * S1 * S2;
  const rows = O0 * O1;
  const units = N * G;
  let u0 = 0, u1 = units, r0 = 0, r1 = rows;
  if (split == 0) {
    u0 = share(units, tid, nt, 1);
    u1 = share(units, tid + 1, nt, 1);
  } else {
    r0 = share(rows, tid, nt, 1);
    r1 = share(rows, tid + 1, nt, 1);
  }
  if (u0 >= u1 || r0 >= r1) return;
  const dr = filterRows(Fg);
  const Mpad = (Fg + dr - 1) / dr * dr;
  const kcb = balanced(Kd, KC, 4);
  const wp = scratch() + SCR_W;
  const xp = scratch() + SCR_B;
  const tab = scratch() + SCR_USER;
  const tile = scratch() + SCR_TILE;
  const ldc = <usize>P << 2;
  // conv.ts's padded image (zero border written once, interior copied per image) and tap table
  const planeD = xD0 * xD1 * xD2;
  tapTable(tab, Kd, planeD);
  memory.fill(xp, 0, <usize>(Cg * planeD) << 2);
  for (let u = u0; u < u1; u++) {
    // group-major, so that one group's packed weights serve all its images
    const g = u / N;
    const n = u % N;
    if (u == u0 || n == 0) {
      const wg = w + (<usize>(g * Fg * Kd) << 2);
      for (let pc = 0; pc < Kd; pc += kcb)
        packPanels(wp + (<usize>(pc * Mpad) << ASH), wg, Kd, 1, 0, Fg, Fg, pc, min(kcb, Kd - pc), dr);
    }
    copyPadded(xp, x + (<usize>((n * C + g * Cg) * Sp) << 2), Cg, S0, S1, S2, pb0, pb1, pb2);
    const yg = y + (<usize>((n * F + g * Fg) * P) << 2);
    for (let pc = 0; pc < Kd; pc += kcb) {
      const kc = min(kcb, Kd - pc);
      const tabk = tab + (<usize>pc << 2);
      const ablk = wp + (<usize>(pc * Mpad) << ASH);
      const acc = pc > 0;
      for (let r = r0; r < r1; r++) {
        const o0 = r / O1;
        const o1 = r % O1;
        const rowBase = xp + (<usize>((o0 * st0 * xD1 + o1 * st1) * xD2) << 2);
        const yrow = yg + (<usize>(r * O2) << 2);
        for (let ox = 0; ox < O2; ox += NR) {
          const cols = min(NR, O2 - ox);
          const base = rowBase + (<usize>ox << 2);
          for (let ir = 0; ir < Fg; ir += dr) {
            const mr = min(dr, Fg - ir);
            const pa = ablk + (<usize>(ir * kc) << ASH);
            const cp = yrow + <usize>ir * ldc + (<usize>ox << 2);
            if (cols == NR) {
              if (COMPACT_A && dr == MR6) microD6(kc, pa, tabk, base, cp, ldc, acc, mr);
              else microD(kc, pa, tabk, base, cp, ldc, acc, mr);
            } else {
              if (COMPACT_A && dr == MR6) microD6(kc, pa, tabk, base, tile, NR * 4, false, MR6);
              else microD(kc, pa, tabk, base, tile, NR * 4, false, MR);
              for (let i = 0; i < mr; i++)
                for (let j = 0; j < cols; j++) {
                  const q = cp + <usize>i * ldc + (<usize>j << 2);
                  const v = load<f32>(tile + (<usize>(i * NR + j) << 2));
                  store<f32>(q, acc ? load<f32>(q) + v : v);
                }
            }
          }
        }
      }
    }
  }
}
