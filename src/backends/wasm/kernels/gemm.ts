// Single-precision matrix product C (M×N) (=|+=) op(A) (M×K) · op(B) (K×N): packed panels and a 4×8
// register-tiled v128 microkernel (6×8 for large products in the fused multiply-add build). Every operand is read through strides (in elements), so the
// transposed variants backward needs cost nothing extra: the pack routines absorb the transposes.
//
// Packed layouts (per thread scratch):
//   A panel (MR rows): for each k, MR vectors, each one row's value splatted to 4 lanes (64 bytes).
//     Pre-broadcasting makes the microkernel's A loads plain v128 loads with folded offsets.
//   B panel (NR columns): for each k, NR floats (32 bytes).
import { madd, pi, scratch, share } from './common';

export const MR: i32 = 4;
/**
 * Packed A layout: compact (MR floats per k, broadcast by the microkernel's load32_splat) in the
 * fused multiply-add build, pre-broadcast (each value splatted to 4 lanes, 64 bytes per k) in the
 * plain one, whose mul+add microkernel has no issue slot left for the lea V8 adds per splat load.
 */
export const COMPACT_A: bool = ASC_FEATURE_RELAXED_SIMD;
/** log2 of the bytes one packed A element takes. */
export const ASH: usize = COMPACT_A ? 2 : 4;

/** Stores one packed A element. */
@inline export function storeA(q: usize, v: f32): void {
  if (COMPACT_A) store<f32>(q, v);
  else v128.store(q, f32x4.splat(v));
}
export const NR: i32 = 8;
/** Rows of the fused multiply-add build's large-product tile (micro6). */
export const MR6: i32 = 6;

/**
 * Panel height for a product of `rows` rows: MR6 in the fused multiply-add build from 12 rows unless
 * padding to a multiple of six costs more than 4 % over fours (the 6×8 tile is ~6 % faster), else MR.
 * Both tiles sum every element in the same order, so the choice never changes a result.
 */
@inline export function panelRows(rows: i32): i32 {
  return COMPACT_A && rows >= 12 && (rows + 5) / 6 * 6 * 25 <= (rows + 3) / 4 * 4 * 26 ? MR6 : MR;
}
/** Largest K block (a 4×KC A panel and a KC×8 B panel stay in L1). */
export const KC: i32 = COMPACT_A ? 512 : 320;
/** Largest M block (the packed A block stays in L2). */
export const MC: i32 = COMPACT_A ? 192 : 96;
/** Largest N block. */
export const NC: i32 = 1024;

/** Block size splitting `total` into equal blocks of at most `max`, rounded up to `align`. */
@inline export function balanced(total: i32, max: i32, align: i32): i32 {
  const nb = (total + max - 1) / max;
  const b = ((total + nb - 1) / nb + align - 1) / align * align;
  return b < total ? b : total;
}

/** Byte offsets inside a thread's scratch. */
export const SCR_A: usize = 0;
export const SCR_B: usize = SCR_A + (<usize>(MC * KC) << ASH);
export const SCR_TILE: usize = SCR_B + <usize>(KC * NC * 4);
/** 64 KiB for the small tiles of the other kernels. */
export const SCR_USER: usize = SCR_TILE + 256;
/** Pre-packed convolution weights (all K blocks of one group), when they fit. */
export const SCR_W: usize = SCR_USER + 65536;
export const SCR_W_BYTES: usize = 4 << 20;
/** Scratch each thread needs. */
export const SCRATCH_BYTES: usize = SCR_W + SCR_W_BYTES;

@inline function transpose4(dst: usize, r0: v128, r1: v128, r2: v128, r3: v128, stride: usize): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<i32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<i32>(t2, t3, 2, 3, 6, 7));
}

/**
 * Packs rows [i0, i0+mc) × columns [k0, k0+kc) of A (element (i,k) at a + i*rs + k*cs) into
 * MR-row panels (pre-broadcast or compact, see COMPACT_A). Rows at or past M are zero.
 */
export function packA(dst: usize, a: usize, rs: i32, cs: i32, i0: i32, mc: i32, M: i32, k0: i32, kc: i32): void {
  packPanels(dst, a, rs, cs, i0, mc, M, k0, kc, MR);
}

/** packA with panels of `mr` rows (MR, or MR6 in the compact layout). */
export function packPanels(dst: usize, a: usize, rs: i32, cs: i32, i0: i32, mc: i32, M: i32, k0: i32, kc: i32, mr: i32): void {
  const csb = <usize>cs << 2;
  const step = <usize>mr << ASH;
  const rsb = <usize>rs << 2;
  for (let ir = 0; ir < mc; ir += mr) {
    const panel = dst + (<usize>(ir * kc) << ASH);
    if (COMPACT_A && cs == 1 && i0 + ir + mr <= M && (mr == 4 || mr == 6)) {
      // rows contiguous in k: 4×4 register transposes give four rows of the compact panel directly,
      // and for six rows a 2×4 interleave the other two (8 bytes per k)
      const p0 = a + (<usize>((i0 + ir) * rs + k0) << 2);
      const p4 = p0 + 4 * rsb;
      const kstep = <usize>mr << 2;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const q = panel + <usize>k * kstep;
        transpose4(q, v128.load(p0 + o), v128.load(p0 + rsb + o), v128.load(p0 + 2 * rsb + o), v128.load(p0 + 3 * rsb + o), kstep);
        if (mr == 6) {
          const r4 = v128.load(p4 + o);
          const r5 = v128.load(p4 + rsb + o);
          const lo = v128.shuffle<i32>(r4, r5, 0, 4, 1, 5);
          const hi = v128.shuffle<i32>(r4, r5, 2, 6, 3, 7);
          v128.store64_lane(q + 16, lo, 0);
          v128.store64_lane(q + 16 + kstep, lo, 1);
          v128.store64_lane(q + 16 + 2 * kstep, hi, 0);
          v128.store64_lane(q + 16 + 3 * kstep, hi, 1);
        }
      }
      for (; k < kc; k++)
        for (let r = 0; r < mr; r++)
          store<f32>(panel + (<usize>(k * mr + r) << 2), load<f32>(p0 + <usize>r * rsb + (<usize>k << 2)));
      continue;
    }
    for (let r = 0; r < mr; r++) {
      const i = i0 + ir + r;
      let q = panel + (<usize>r << ASH);
      if (i < M) {
        let p = a + (<usize>(i * rs + k0 * cs) << 2);
        for (let k = 0; k < kc; k++) {
          storeA(q, load<f32>(p));
          p += csb;
          q += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          storeA(q, 0);
          q += step;
        }
      }
    }
  }
}

/**
 * Packs rows [k0, k0+kc) × columns [j0, j0+nc) of B (element (k,j) at b + k*rs + j*cs) into NR-column
 * panels stored k-major. Columns at or past N are zero.
 */
export function packB(dst: usize, b: usize, rs: i32, cs: i32, k0: i32, kc: i32, j0: i32, nc: i32, N: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const j = j0 + jr;
    const cols = min(NR, N - j);
    const panel = dst + (<usize>(jr * kc) << 2);
    if (cols == NR && cs == 1) {
      let p = b + (<usize>(k0 * rs + j) << 2);
      const rsb = <usize>rs << 2;
      let q = panel;
      for (let k = 0; k < kc; k++) {
        v128.store(q, v128.load(p));
        v128.store(q, v128.load(p, 16), 16);
        p += rsb;
        q += 32;
      }
    } else if (cols == NR && rs == 1) {
      // B transposed: each column is contiguous in k; transpose 4×4 blocks
      const p0 = b + (<usize>(j * cs + k0) << 2);
      const csb = <usize>cs << 2;
      const p4 = p0 + 4 * csb;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const q = panel + (o << 3);
        transpose4(q, v128.load(p0 + o), v128.load(p0 + csb + o), v128.load(p0 + 2 * csb + o), v128.load(p0 + 3 * csb + o), 32);
        transpose4(q + 16, v128.load(p4 + o), v128.load(p4 + csb + o), v128.load(p4 + 2 * csb + o), v128.load(p4 + 3 * csb + o), 32);
      }
      for (; k < kc; k++) {
        const q = panel + (<usize>k << 5);
        const o = <usize>k << 2;
        for (let c = 0; c < NR; c++) store<f32>(q + (<usize>c << 2), load<f32>(p0 + <usize>c * csb + o));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const q = panel + (<usize>k << 5);
        const row = b + (<usize>((k0 + k) * rs) << 2);
        for (let c = 0; c < NR; c++) {
          let v: f32 = 0;
          if (c < cols) v = load<f32>(row + (<usize>((j + c) * cs) << 2));
          store<f32>(q + (<usize>c << 2), v);
        }
      }
    }
  }
}

/**
 * The 4×8 microkernel: C[0..4, 0..8] (=|+=) Σ_k A[·,k] B[k,·] from packed panels. Eight accumulators,
 * two B vectors and one A vector: eleven live v128, no spills (a 5×8 or 6×8 tile spills and halves
 * the speed). Unrolled four times with an exit test between the steps: without the exits Binaryen
 * merges consecutive steps per accumulator (c += a·b + a'·b'), which keeps four B vectors alive and
 * makes V8 spill. Kept out of line: inlined into the macro loop, V8 spills the accumulators.
 */
function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
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
  const end = pb + (<usize>kc << 5);
  while (pb < end) {
    b0 = v128.load(pb, 0);
    b1 = v128.load(pb, 16);
    a = v128.load(pa, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load(pa, 16);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load(pa, 32);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load(pa, 48);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 32 >= end) break;
    b0 = v128.load(pb, 32);
    b1 = v128.load(pb, 48);
    a = v128.load(pa, 64);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load(pa, 80);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load(pa, 96);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load(pa, 112);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 64 >= end) break;
    b0 = v128.load(pb, 64);
    b1 = v128.load(pb, 80);
    a = v128.load(pa, 128);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load(pa, 144);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load(pa, 160);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load(pa, 176);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 96 >= end) break;
    b0 = v128.load(pb, 96);
    b1 = v128.load(pb, 112);
    a = v128.load(pa, 192);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load(pa, 208);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load(pa, 224);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load(pa, 240);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 256;
    pb += 128;
  }
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  if (acc) {
    c00 = f32x4.add(v128.load(c), c00);
    c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c1), c10);
    c11 = f32x4.add(v128.load(c1, 16), c11);
    c20 = f32x4.add(v128.load(c2), c20);
    c21 = f32x4.add(v128.load(c2, 16), c21);
    c30 = f32x4.add(v128.load(c3), c30);
    c31 = f32x4.add(v128.load(c3, 16), c31);
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c1, c10);
  v128.store(c1, c11, 16);
  v128.store(c2, c20);
  v128.store(c2, c21, 16);
  v128.store(c3, c30);
  v128.store(c3, c31, 16);
}

/** micro for compact A panels: A broadcast by load32_splat. */
function microC(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
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
  const end = pb + (<usize>kc << 5);
  while (pb < end) {
    b0 = v128.load(pb, 0);
    b1 = v128.load(pb, 16);
    a = v128.load32_splat(pa, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 32 >= end) break;
    b0 = v128.load(pb, 32);
    b1 = v128.load(pb, 48);
    a = v128.load32_splat(pa, 16);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 20);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 24);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 28);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 64 >= end) break;
    b0 = v128.load(pb, 64);
    b1 = v128.load(pb, 80);
    a = v128.load32_splat(pa, 32);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 36);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 40);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 44);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 96 >= end) break;
    b0 = v128.load(pb, 96);
    b1 = v128.load(pb, 112);
    a = v128.load32_splat(pa, 48);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 52);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 56);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 60);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 64;
    pb += 128;
  }
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  if (acc) {
    c00 = f32x4.add(v128.load(c), c00);
    c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c1), c10);
    c11 = f32x4.add(v128.load(c1, 16), c11);
    c20 = f32x4.add(v128.load(c2), c20);
    c21 = f32x4.add(v128.load(c2, 16), c21);
    c30 = f32x4.add(v128.load(c3), c30);
    c31 = f32x4.add(v128.load(c3, 16), c31);
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c1, c10);
  v128.store(c1, c11, 16);
  v128.store(c2, c20);
  v128.store(c2, c21, 16);
  v128.store(c3, c30);
  v128.store(c3, c31, 16);
}

/**
 * The 6×8 microkernel of the fused multiply-add build, on compact A panels: twelve accumulators
 * (the 4×8 tile's eight are just the FMA latency × issue width, and any stall shows). Two B
 * vectors, one A splat: fifteen live v128, V8's allocatable fifteen. The tests `kc == -n` are never
 * true (kc ≥ 1); each ends a basic block, which stops TurboFan from scheduling all six A splats of
 * a step ahead of the multiply-adds (seventeen live values: it spills two accumulators and runs at
 * half speed). A compare with a constant and a never-taken branch are one fused µop.
 * Unrolled twice with an exit test between the steps, like micro.
 */
function micro6(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
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
  const end = pb + (<usize>kc << 5);
  const paEnd = pa + <usize>kc * 24;
  while (pb < end) {
    { const b0 = v128.load(pb, 0);
    const b1 = v128.load(pb, 16);
    { const a = v128.load32_splat(pa, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01); }
    if (kc == -1) break;
    { const a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11); }
    if (kc == -2) break;
    { const a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21); }
    if (kc == -3) break;
    { const a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31); }
    if (kc == -4) break;
    { const a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41); }
    if (kc == -5) break;
    { const a = v128.load32_splat(pa, 20);
    c50 = madd(a, b0, c50);
    c51 = madd(a, b1, c51); }
    }
    if (pb + 32 >= end) break;
    { const b0 = v128.load(pb, 32);
    const b1 = v128.load(pb, 48);
    { const a = v128.load32_splat(pa, 24);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01); }
    if (kc == -7) break;
    { const a = v128.load32_splat(pa, 28);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11); }
    if (kc == -8) break;
    { const a = v128.load32_splat(pa, 32);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21); }
    if (kc == -9) break;
    { const a = v128.load32_splat(pa, 36);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31); }
    if (kc == -10) break;
    { const a = v128.load32_splat(pa, 40);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41); }
    if (kc == -11) break;
    { const a = v128.load32_splat(pa, 44);
    c50 = madd(a, b0, c50);
    c51 = madd(a, b1, c51); }
    }
    pa += 48;
    pb += 64;
  }
  let cr = c;
  if (acc) { c00 = f32x4.add(v128.load(cr), c00); c01 = f32x4.add(v128.load(cr, 16), c01); }
  v128.store(cr, c00);
  v128.store(cr, c01, 16);
  cr += ldc;
  if (acc) { c10 = f32x4.add(v128.load(cr), c10); c11 = f32x4.add(v128.load(cr, 16), c11); }
  v128.store(cr, c10);
  v128.store(cr, c11, 16);
  cr += ldc;
  if (acc) { c20 = f32x4.add(v128.load(cr), c20); c21 = f32x4.add(v128.load(cr, 16), c21); }
  v128.store(cr, c20);
  v128.store(cr, c21, 16);
  cr += ldc;
  if (acc) { c30 = f32x4.add(v128.load(cr), c30); c31 = f32x4.add(v128.load(cr, 16), c31); }
  v128.store(cr, c30);
  v128.store(cr, c31, 16);
  cr += ldc;
  if (acc) { c40 = f32x4.add(v128.load(cr), c40); c41 = f32x4.add(v128.load(cr, 16), c41); }
  v128.store(cr, c40);
  v128.store(cr, c41, 16);
  cr += ldc;
  if (acc) { c50 = f32x4.add(v128.load(cr), c50); c51 = f32x4.add(v128.load(cr, 16), c51); }
  v128.store(cr, c50);
  v128.store(cr, c51, 16);
}

/**
 * Multiplies a packed A block (mc×kc) by a packed B block (kc×nc) into C (strides in elements).
 * Full tiles with unit column stride go straight to C; edge and strided tiles pass through a tile.
 */
export function macro(ap: usize, bp: usize, mc: i32, nc: i32, kc: i32, c: usize, rsc: i32, csc: i32, acc: bool): void {
  macroRows(ap, bp, mc, nc, kc, c, rsc, csc, acc, MR);
}

/** macro on panels of `MR_` rows: MR, or MR6 (the compact layout only). */
function macroRows(ap: usize, bp: usize, mc: i32, nc: i32, kc: i32, c: usize, rsc: i32, csc: i32, acc: bool, MR_: i32): void {
  const tile = scratch() + SCR_TILE;
  const ldc = <usize>rsc << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const pb = bp + (<usize>(jr * kc) << 2);
    for (let ir = 0; ir < mc; ir += MR_) {
      const mr = min(MR_, mc - ir);
      const pa = ap + (<usize>(ir * kc) << ASH);
      if (nr == NR && mr == MR_ && csc == 1) {
        const cp = c + (<usize>(ir * rsc + jr) << 2);
        if (COMPACT_A && MR_ == MR6) micro6(kc, pa, pb, cp, ldc, acc);
        else if (COMPACT_A) microC(kc, pa, pb, cp, ldc, acc);
        else micro(kc, pa, pb, cp, ldc, acc);
      } else {
        if (COMPACT_A && MR_ == MR6) micro6(kc, pa, pb, tile, NR * 4, false);
        else if (COMPACT_A) microC(kc, pa, pb, tile, NR * 4, false);
        else micro(kc, pa, pb, tile, NR * 4, false);
        for (let r = 0; r < mr; r++)
          for (let q = 0; q < nr; q++) {
            const cp = c + (<usize>((ir + r) * rsc + (jr + q) * csc) << 2);
            const v = load<f32>(tile + (<usize>(r * NR + q) << 2));
            store<f32>(cp, acc ? load<f32>(cp) + v : v);
          }
      }
    }
  }
}

/**
 * C[i, j0..j1] = A[i,:]·B for rows [i0, i1) without packing: for a row or three (a Dense layer at
 * batch 1), packing B costs more than the product and the 4×8 tile would waste most of its rows.
 * Each column is summed in k order whatever the column range, so results do not depend on threads.
 */
function gemvRange(
  K: i32, a: usize, rsa: i32, csa: i32, b: usize, rsb: i32, csb: i32,
  c: usize, rsc: i32, i0: i32, i1: i32, j0: i32, j1: i32,
): void {
  for (let i = i0; i < i1; i++) {
    const ar = a + (<usize>(i * rsa) << 2);
    const cr = c + (<usize>(i * rsc) << 2);
    let j = j0;
    if (rsb == 1 && csa == 1) {
      // B transposed (x·Wᵀ): every column is contiguous in k, four dot products at a time
      const colb = <usize>csb << 2;
      const k4 = K & ~3;
      for (; j + 4 <= j1; j += 4) {
        const b0 = b + (<usize>(j * csb) << 2);
        const b1 = b0 + colb;
        const b2 = b1 + colb;
        const b3 = b2 + colb;
        let s0 = f32x4.splat(0);
        let s1 = f32x4.splat(0);
        let s2 = f32x4.splat(0);
        let s3 = f32x4.splat(0);
        for (let k = 0; k < k4; k += 4) {
          const o = <usize>k << 2;
          const av = v128.load(ar + o);
          s0 = f32x4.add(s0, f32x4.mul(av, v128.load(b0 + o)));
          s1 = f32x4.add(s1, f32x4.mul(av, v128.load(b1 + o)));
          s2 = f32x4.add(s2, f32x4.mul(av, v128.load(b2 + o)));
          s3 = f32x4.add(s3, f32x4.mul(av, v128.load(b3 + o)));
        }
        let r0 = hsum(s0);
        let r1 = hsum(s1);
        let r2 = hsum(s2);
        let r3 = hsum(s3);
        for (let k = k4; k < K; k++) {
          const o = <usize>k << 2;
          const av = load<f32>(ar + o);
          r0 += av * load<f32>(b0 + o);
          r1 += av * load<f32>(b1 + o);
          r2 += av * load<f32>(b2 + o);
          r3 += av * load<f32>(b3 + o);
        }
        store<f32>(cr + (<usize>j << 2), r0);
        store<f32>(cr + (<usize>j << 2), r1, 4);
        store<f32>(cr + (<usize>j << 2), r2, 8);
        store<f32>(cr + (<usize>j << 2), r3, 12);
      }
      for (; j < j1; j++) {
        const bj = b + (<usize>(j * csb) << 2);
        let s = f32x4.splat(0);
        for (let k = 0; k < k4; k += 4) s = f32x4.add(s, f32x4.mul(v128.load(ar + (<usize>k << 2)), v128.load(bj + (<usize>k << 2))));
        let r = hsum(s);
        for (let k = k4; k < K; k++) r += load<f32>(ar + (<usize>k << 2)) * load<f32>(bj + (<usize>k << 2));
        store<f32>(cr + (<usize>j << 2), r);
      }
    } else if (csb == 1) {
      // row-major B: eight columns at a time, one broadcast of A[i,k] per row of B
      const rowb = <usize>rsb << 2;
      const acs = <usize>csa << 2;
      for (; j + 8 <= j1; j += 8) {
        let s0 = f32x4.splat(0);
        let s1 = f32x4.splat(0);
        let p = b + (<usize>j << 2);
        let q = ar;
        for (let k = 0; k < K; k++) {
          const av = v128.load32_splat(q);
          s0 = f32x4.add(s0, f32x4.mul(av, v128.load(p)));
          s1 = f32x4.add(s1, f32x4.mul(av, v128.load(p, 16)));
          p += rowb;
          q += acs;
        }
        v128.store(cr + (<usize>j << 2), s0);
        v128.store(cr + (<usize>j << 2), s1, 16);
      }
    }
    for (; j < j1; j++) {
      let r: f32 = 0;
      for (let k = 0; k < K; k++) r += load<f32>(ar + (<usize>(k * csa) << 2)) * load<f32>(b + (<usize>(k * rsb + j * csb) << 2));
      store<f32>(cr + (<usize>j << 2), r);
    }
  }
}

/** Alignment of the row shares of M rows over nt shares: whole 6-row and 4-row panels when there are enough rows. */
@inline function rowAlign(M: i32, nt: i32): i32 {
  return COMPACT_A && M >= 24 * nt ? 12 : MR;
}

/** Sum of the four lanes, in a fixed order. */
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** C[i0..i1, j0..j1] (=|+=) op(A)·op(B) of one matrix, blocked for the caches. */
export function gemmRange(
  M: i32, N: i32, K: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, rsc: i32, csc: i32,
  accumulate: bool, i0: i32, i1: i32, j0: i32, j1: i32,
): void {
  const ap = scratch() + SCR_A;
  const bp = scratch() + SCR_B;
  const ncb = balanced(j1 - j0, NC, NR);
  const kcb = balanced(K, KC, 4);
  const mr = panelRows(i1 - i0);
  const mcb = balanced(i1 - i0, MC, mr);
  for (let jc = j0; jc < j1; jc += ncb) {
    const nc = min(ncb, j1 - jc);
    for (let pc = 0; pc < K; pc += kcb) {
      const kc = min(kcb, K - pc);
      packB(bp, b, rsb, csb, pc, kc, jc, nc, N);
      const acc = accumulate || pc > 0;
      for (let ic = i0; ic < i1; ic += mcb) {
        const mc = min(mcb, i1 - ic);
        packPanels(ap, a, rsa, csa, ic, mc, M, pc, kc, mr);
        macroRows(ap, bp, mc, nc, kc, c + (<usize>(ic * rsc + jc * csc) << 2), rsc, csc, acc, mr);
      }
    }
  }
}

/**
 * The matmul op, batched: p = [M, N, K, a, rsa, csa, b, rsb, csb, c, batch, aOffsets, bOffsets, split].
 * Batch item i reads A at a + aOffsets[i], B at b + bOffsets[i] (element offsets, broadcasting
 * repeats them) and writes the dense C at c + i·M·N. split: 0 = whole batch items per thread,
 * 1 = column panels, 2 = row panels.
 */
export function matmul(p: usize, tid: i32, nt: i32): void {
  const M = pi(p, 0);
  const N = pi(p, 1);
  const K = pi(p, 2);
  const a = <usize>pi(p, 3);
  const rsa = pi(p, 4);
  const csa = pi(p, 5);
  const b = <usize>pi(p, 6);
  const rsb = pi(p, 7);
  const csb = pi(p, 8);
  const c = <usize>pi(p, 9);
  const batch = pi(p, 10);
  const aoff = <usize>pi(p, 11);
  const boff = <usize>pi(p, 12);
  const split = pi(p, 13);
  let b0 = 0;
  let b1 = batch;
  let i0 = 0;
  let i1 = M;
  let j0 = 0;
  let j1 = N;
  if (split == 0) {
    b0 = share(batch, tid, nt, 1);
    b1 = share(batch, tid + 1, nt, 1);
  } else if (split == 1) {
    j0 = share(N, tid, nt, NR);
    j1 = share(N, tid + 1, nt, NR);
  } else {
    const al = rowAlign(M, nt);
    i0 = share(M, tid, nt, al);
    i1 = share(M, tid + 1, nt, al);
  }
  if (i0 >= i1 || j0 >= j1) return;
  for (let i = b0; i < b1; i++) {
    const ai = a + (<usize>load<i32>(aoff + (<usize>i << 2)) << 2);
    const bi = b + (<usize>load<i32>(boff + (<usize>i << 2)) << 2);
    const ci = c + (<usize>i * <usize>M * <usize>N << 2);
    if (M < MR) gemvRange(K, ai, rsa, csa, bi, rsb, csb, ci, N, i0, i1, j0, j1);
    else gemmRange(M, N, K, ai, rsa, csa, bi, rsb, csb, ci, N, 1, false, i0, i1, j0, j1);
  }
}

// ---- one large product on several threads with B packed once for all of them.
// Split by rows, every thread would pack the whole B block for its rows (by columns, the whole A):
// as many copies as shares. Instead the caller runs, per (N block, K block), a packing job (threads
// take B's column panels) and then a product job (threads take row panels of A, each packing its own
// rows) that reads the one packed block. Blocking and summation order are gemmRange's, so the
// result is bitwise the same as on one thread.

/** K block of a product of inner dimension K (gemmRange's). */
export function gemmKcb(K: i32): i32 {
  return balanced(K, KC, 4);
}

/** N block of a product of N columns (gemmRange's). */
export function gemmNcb(N: i32): i32 {
  return balanced(N, NC, NR);
}

/**
 * Packing job: p = [M, N, K, a, rsa, csa, b, rsb, csb, c, jc, nc, pc, kc, bp]. Share `tid` of `nt`
 * packs its NR-column panels of B's block (rows [pc, pc+kc), columns [jc, jc+nc)) into bp.
 */
export function gemmPackB(p: usize, tid: i32, nt: i32): void {
  const N = pi(p, 1);
  const nc = pi(p, 11);
  const kc = pi(p, 13);
  const j0 = share(nc, tid, nt, NR);
  const j1 = share(nc, tid + 1, nt, NR);
  if (j0 >= j1) return;
  const bp = <usize>pi(p, 14) + (<usize>(j0 * kc) << 2);
  packB(bp, <usize>pi(p, 6), pi(p, 7), pi(p, 8), pi(p, 12), kc, pi(p, 10) + j0, j1 - j0, N);
}

/**
 * Product job on the packed block (same parameters): share `tid` of `nt` takes rows in MR panels,
 * packs them block by block (MC rows) and multiplies them by the whole packed B block.
 */
export function gemmPacked(p: usize, tid: i32, nt: i32): void {
  const M = pi(p, 0);
  const N = pi(p, 1);
  const al = rowAlign(M, nt);
  const i0 = share(M, tid, nt, al);
  const i1 = share(M, tid + 1, nt, al);
  if (i0 >= i1) return;
  const a = <usize>pi(p, 3);
  const rsa = pi(p, 4);
  const csa = pi(p, 5);
  const c = <usize>pi(p, 9);
  const jc = pi(p, 10);
  const nc = pi(p, 11);
  const pc = pi(p, 12);
  const kc = pi(p, 13);
  const bp = <usize>pi(p, 14);
  const ap = scratch() + SCR_A;
  const mr = panelRows(i1 - i0);
  const mcb = balanced(i1 - i0, MC, mr);
  for (let ic = i0; ic < i1; ic += mcb) {
    const mc = min(mcb, i1 - ic);
    packPanels(ap, a, rsa, csa, ic, mc, M, pc, kc, mr);
    macroRows(ap, bp, mc, nc, kc, c + (<usize>(ic * N + jc) << 2), N, 1, pc > 0, mr);
  }
}
