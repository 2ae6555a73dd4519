// N-d convolution (1 to 3 spatial axes, padded to three) as matrix products whose B operand is
// gathered straight from the image by the panel packers: im2col folded into packing, no column
// buffer. Forward: Y[n,g] (Fg×P) = W[g] (Fg×Cg·KK) · col(X[n,g]). Input gradient (transposed conv):
// dX[n,g] (Cg×Q) = W[g]ᵀ (Cg×Fg·KK) · col'(dY[n,g]). Filter gradient: dW[g] (Fg×Cg·KK) =
// Σ_n dY[n,g] (Fg×P) · col(X[n,g])ᵀ (P×Cg·KK).
//
// Parameter block: 0 N, 1 C, 2 F, 3 G, 4..6 S, 7..9 K, 10..12 O, 13..15 stride, 16..18 padBegin,
// 19..21 dilation, 22 first input, 23 second input, 24 output, 25 split (0: (n, g) units per thread,
// 1: column panels).
import { ASH, KC, MC, MR, NC, NR, SCR_A, SCR_B, SCR_TILE, SCR_USER, SCR_W, SCR_W_BYTES, balanced, macro, packA, packB, storeA } from './gemm';

/** N block of the convolution products: the gathered B block (KC×NCV) stays in L2. */
const NCV: i32 = 512;
import { madd, pi, scratch, share } from './common';

// ---- geometry of the current call (per instance, so per thread; convdirect.ts reads it too)
export let N: i32 = 0, C: i32 = 0, F: i32 = 0, G: i32 = 0;
export let S0: i32 = 1, S1: i32 = 1, S2: i32 = 1;
export let K0: i32 = 1, K1: i32 = 1, K2: i32 = 1;
export let O0: i32 = 1, O1: i32 = 1, O2: i32 = 1;
export let st0: i32 = 1, st1: i32 = 1, st2: i32 = 1;
export let pb0: i32 = 0, pb1: i32 = 0, pb2: i32 = 0;
export let dl0: i32 = 1, dl1: i32 = 1, dl2: i32 = 1;

export function readGeom(p: usize): void {
  N = pi(p, 0); C = pi(p, 1); F = pi(p, 2); G = pi(p, 3);
  S0 = pi(p, 4); S1 = pi(p, 5); S2 = pi(p, 6);
  K0 = pi(p, 7); K1 = pi(p, 8); K2 = pi(p, 9);
  O0 = pi(p, 10); O1 = pi(p, 11); O2 = pi(p, 12);
  st0 = pi(p, 13); st1 = pi(p, 14); st2 = pi(p, 15);
  pb0 = pi(p, 16); pb1 = pi(p, 17); pb2 = pi(p, 18);
  dl0 = pi(p, 19); dl1 = pi(p, 20); dl2 = pi(p, 21);
}

/**
 * Turns the geometry of an input gradient with unit strides into that of the forward correlation
 * computing it (convdirect.ts's convDataAuto): the image is dY (F channels, spatial O) with a front
 * border of dl·(K−1) − pb, the output dX (C channels, spatial S), the weights transposed and flipped.
 * Returns false, changing nothing, where a stride is not 1 or a front border would be negative.
 */
export function dataAsForward(): bool {
  if (st0 != 1 || st1 != 1 || st2 != 1) return false;
  const b0 = dl0 * (K0 - 1) - pb0;
  const b1 = dl1 * (K1 - 1) - pb1;
  const b2 = dl2 * (K2 - 1) - pb2;
  if (b0 < 0 || b1 < 0 || b2 < 0) return false;
  let t = C;
  C = F;
  F = t;
  t = S0;
  S0 = O0;
  O0 = t;
  t = S1;
  S1 = O1;
  O1 = t;
  t = S2;
  S2 = O2;
  O2 = t;
  pb0 = b0;
  pb1 = b1;
  pb2 = b2;
  return true;
}

// ---- the gather packer shared by the forward and input-gradient products.
// Row k of B is (channel ch, taps t0,t1,t2); column j is a position (u0,u1,u2) of a U-shaped grid.
// Along axis a the source coordinate is v = u·mul − off + t·tap; when div > 1 it must divide v
// (transposed convolution), the source index being v / div. Sources are planes of T0×T1×T2.
let gU0: i32 = 1, gU1: i32 = 1, gU2: i32 = 1;
let gT0: i32 = 1, gT1: i32 = 1, gT2: i32 = 1;
let gMul0: i32 = 1, gMul1: i32 = 1, gMul2: i32 = 1;
let gOff0: i32 = 0, gOff1: i32 = 0, gOff2: i32 = 0;
let gTap0: i32 = 1, gTap1: i32 = 1, gTap2: i32 = 1;
let gDiv0: i32 = 1, gDiv1: i32 = 1, gDiv2: i32 = 1;

/** Source index along one axis, or -1 outside (or not on the stride grid). */
@inline function srcIndex(v: i32, div: i32, T: i32): i32 {
  if (div != 1) {
    if (v < 0 || v % div != 0) return -1;
    v = v / div;
  }
  return <u32>v < <u32>T ? v : -1;
}

const LANES: v128 = i32x4(0, 1, 2, 3);

/**
 * Packs rows [k0, k0+kc) × columns [j0, j0+nc) of the gathered matrix; `src` is channel 0's plane.
 * Fast path (no stride grid to test, unit step along the row): per-row tables of the tap offsets,
 * then two (possibly masked) vector loads per row for a panel of eight positions on one grid row.
 */
function packGather(dst: usize, src: usize, k0: i32, kc: i32, j0: i32, nc: i32, ncols: i32): void {
  if (gDiv0 != 1 || gDiv1 != 1 || gDiv2 != 1 || gMul2 != 1) {
    packGatherGeneric(dst, src, k0, kc, j0, nc, ncols);
    return;
  }
  const T0 = gT0, T1 = gT1, T2 = gT2;
  const U1 = gU1, U2 = gU2;
  const plane = T0 * T1 * T2;
  // tables (SCR_USER): per row k: source offset of the tap, and the tap's shift along each axis
  const tab = scratch() + SCR_USER + 1024;
  {
    let k2 = k0 % K2;
    let t = k0 / K2;
    let k1 = t % K1;
    t /= K1;
    let kk0 = t % K0;
    let ch = t / K0;
    for (let k = 0; k < kc; k++) {
      const e = tab + (<usize>k << 4);
      const s0 = kk0 * gTap0;
      const s1 = k1 * gTap1;
      const s2 = k2 * gTap2;
      store<i32>(e, ch * plane + (s0 * T1 + s1) * T2 + s2);
      store<i32>(e, s0, 4);
      store<i32>(e, s1, 8);
      store<i32>(e, s2, 12);
      if (++k2 == K2) {
        k2 = 0;
        if (++k1 == K1) {
          k1 = 0;
          if (++kk0 == K0) {
            kk0 = 0;
            ch++;
          }
        }
      }
    }
  }
  const lim2 = i32x4.splat(T2);
  const zero = i32x4.splat(0);
  const seg = scratch() + SCR_USER + 128; // up to 8 runs × 8 i32
  const segMask = scratch() + SCR_USER + 512; // their lane masks, 2 v128 each (the tap table is at +1024)
  for (let jr = 0; jr < nc; jr += NR) {
    const j = j0 + jr;
    const cols = min(NR, ncols - j);
    let q = dst + (<usize>(jr * kc) << 2);
    // split the panel's columns into runs along one grid row: (c0, c1, b0, b1, v2 of lane 0)
    let ns = 0;
    {
      let c = 0;
      let u2 = j % U2;
      let t = j / U2;
      let u1 = t % U1;
      let u0 = t / U1;
      while (c < cols) {
        const run = min(cols - c, U2 - u2);
        const e = seg + (<usize>ns << 5);
        store<i32>(e, c);
        store<i32>(e, c + run, 4);
        store<i32>(e, u0 * gMul0 - gOff0, 8);
        store<i32>(e, u1 * gMul1 - gOff1, 12);
        store<i32>(e, u2 - gOff2 - c, 16);
        // lanes of the panel this run owns
        const mk = segMask + (<usize>ns << 5);
        const lo = i32x4.splat(c);
        const hi = i32x4.splat(c + run);
        v128.store(mk, v128.and(i32x4.ge_s(LANES, lo), i32x4.lt_s(LANES, hi)));
        const l4 = i32x4.add(LANES, i32x4.splat(4));
        v128.store(mk, v128.and(i32x4.ge_s(l4, lo), i32x4.lt_s(l4, hi)), 16);
        ns++;
        c += run;
        u2 = 0;
        if (++u1 == U1) {
          u1 = 0;
          u0++;
        }
      }
    }
    if (ns == 1 && cols == NR) {
      // one run of eight: two plain (or masked at the row's ends) vector loads per row
      const b0 = load<i32>(seg, 8);
      const b1 = load<i32>(seg, 12);
      const b2 = load<i32>(seg, 16);
      const base = src + (<usize>((b0 * T1 + b1) * T2 + b2) << 2);
      let e = tab;
      const end = tab + (<usize>kc << 4);
      while (e < end) {
        const i0 = b0 + load<i32>(e, 4);
        const i1 = b1 + load<i32>(e, 8);
        if (<u32>i0 < <u32>T0 && <u32>i1 < <u32>T1) {
          const v2 = b2 + load<i32>(e, 12);
          const r = base + (<usize>load<i32>(e) << 2);
          if (v2 >= 0 && v2 + NR <= T2) {
            v128.store(q, v128.load(r));
            v128.store(q, v128.load(r, 16), 16);
          } else if (v2 > -NR && v2 < T2) {
            const idx = i32x4.add(i32x4.splat(v2), LANES);
            v128.store(q, v128.and(v128.load(r), i32x4.lt_u(idx, lim2)));
            v128.store(q, v128.and(v128.load(r, 16), i32x4.lt_u(i32x4.add(idx, i32x4.splat(4)), lim2)), 16);
          } else {
            v128.store(q, zero);
            v128.store(q, zero, 16);
          }
        } else {
          v128.store(q, zero);
          v128.store(q, zero, 16);
        }
        q += 32;
        e += 16;
      }
      continue;
    }
    // several runs (the panel wraps to the next grid row, or is the last one): each run reads the
    // eight lanes aligned to the panel and keeps its own, inside the row
    let e = tab;
    const end = tab + (<usize>kc << 4);
    while (e < end) {
      let lo = zero;
      let hi = zero;
      for (let si = 0; si < ns; si++) {
        const g = seg + (<usize>si << 5);
        const b0 = load<i32>(g, 8);
        const b1 = load<i32>(g, 12);
        const i0 = b0 + load<i32>(e, 4);
        const i1 = b1 + load<i32>(e, 8);
        if (<u32>i0 >= <u32>T0 || <u32>i1 >= <u32>T1) continue;
        const b2 = load<i32>(g, 16);
        const v2 = b2 + load<i32>(e, 12);
        const c0 = load<i32>(g);
        const c1 = load<i32>(g, 4);
        if (v2 + c1 <= 0 || v2 + c0 >= T2) continue;
        const r = src + (<usize>(load<i32>(e) + (b0 * T1 + b1) * T2 + b2) << 2);
        const idx = i32x4.add(i32x4.splat(v2), LANES);
        const mk = segMask + (<usize>si << 5);
        const m0 = v128.and(i32x4.lt_u(idx, lim2), v128.load(mk));
        const m1 = v128.and(i32x4.lt_u(i32x4.add(idx, i32x4.splat(4)), lim2), v128.load(mk, 16));
        lo = v128.or(lo, v128.and(v128.load(r), m0));
        hi = v128.or(hi, v128.and(v128.load(r, 16), m1));
      }
      v128.store(q, lo);
      v128.store(q, hi, 16);
      q += 32;
      e += 16;
    }
  }
}

/** Packs rows [k0, k0+kc) × columns [j0, j0+nc) of the gathered matrix; `src` is channel 0's plane. */
function packGatherGeneric(dst: usize, src: usize, k0: i32, kc: i32, j0: i32, nc: i32, ncols: i32): void {
  const plane = gT0 * gT1 * gT2;
  const lim2 = i32x4.splat(gT2);
  const tmp = scratch() + SCR_USER;
  for (let jr = 0; jr < nc; jr += NR) {
    const j = j0 + jr;
    const cols = min(NR, ncols - j);
    const panel = dst + (<usize>(jr * kc) << 2);
    let u2 = j % gU2;
    let t = j / gU2;
    const u1 = t % gU1;
    const u0 = t / gU1;
    // tap decomposition of k0
    let k2 = k0 % K2;
    t = k0 / K2;
    let k1 = t % K1;
    t /= K1;
    let k0_ = t % K0;
    let ch = t / K0;
    if (cols == NR && u2 + NR <= gU2) {
      // all eight columns on one row of the grid: positions u2..u2+7 along the last axis
      const b0 = u0 * gMul0 - gOff0;
      const b1 = u1 * gMul1 - gOff1;
      const b2 = u2 * gMul2 - gOff2;
      const vec = gMul2 == 1 && gDiv2 == 1;
      let q = panel;
      for (let k = 0; k < kc; k++) {
        const i0 = srcIndex(b0 + k0_ * gTap0, gDiv0, gT0);
        const i1 = srcIndex(b1 + k1 * gTap1, gDiv1, gT1);
        if ((i0 | i1) >= 0) {
          const row = src + (<usize>(ch * plane + (i0 * gT1 + i1) * gT2) << 2);
          const v2 = b2 + k2 * gTap2;
          if (vec) {
            if (v2 >= 0 && v2 + NR <= gT2) {
              const r = row + (<usize>v2 << 2);
              v128.store(q, v128.load(r));
              v128.store(q, v128.load(r, 16), 16);
            } else if (v2 > -NR && v2 < gT2) {
              // partly inside the row: read the neighbours and mask them off (the heap keeps guard
              // bytes around every block, so the read stays inside memory)
              const r = row + (<usize>v2 << 2);
              const idx = i32x4.add(i32x4.splat(v2), LANES);
              v128.store(q, v128.and(v128.load(r), i32x4.lt_u(idx, lim2)));
              v128.store(q, v128.and(v128.load(r, 16), i32x4.lt_u(i32x4.add(idx, i32x4.splat(4)), lim2)), 16);
            } else {
              v128.store(q, i32x4.splat(0));
              v128.store(q, i32x4.splat(0), 16);
            }
          } else {
            for (let c = 0; c < NR; c++) {
              const i2 = srcIndex(v2 + c * gMul2, gDiv2, gT2);
              store<f32>(q + (<usize>c << 2), i2 >= 0 ? load<f32>(row + (<usize>i2 << 2)) : 0);
            }
          }
        } else {
          v128.store(q, i32x4.splat(0));
          v128.store(q, i32x4.splat(0), 16);
        }
        q += 32;
        if (++k2 == K2) {
          k2 = 0;
          if (++k1 == K1) {
            k1 = 0;
            if (++k0_ == K0) {
              k0_ = 0;
              ch++;
            }
          }
        }
      }
    } else {
      // generic: per column grid coordinates in the tmp area (three i32 per column, -1 = none)
      let w0 = u0;
      let w1 = u1;
      let w2 = u2;
      for (let c = 0; c < NR; c++) {
        const e = tmp + (<usize>c * 12);
        if (c < cols) {
          store<i32>(e, w0 * gMul0 - gOff0);
          store<i32>(e, w1 * gMul1 - gOff1, 4);
          store<i32>(e, w2 * gMul2 - gOff2, 8);
          if (++w2 == gU2) {
            w2 = 0;
            if (++w1 == gU1) {
              w1 = 0;
              w0++;
            }
          }
        } else {
          store<i32>(e, 0x40000000);
          store<i32>(e, 0x40000000, 4);
          store<i32>(e, 0x40000000, 8);
        }
      }
      let q = panel;
      for (let k = 0; k < kc; k++) {
        const cb = src + (<usize>(ch * plane) << 2);
        for (let c = 0; c < NR; c++) {
          const e = tmp + (<usize>c * 12);
          const i0 = srcIndex(load<i32>(e) + k0_ * gTap0, gDiv0, gT0);
          const i1 = srcIndex(load<i32>(e, 4) + k1 * gTap1, gDiv1, gT1);
          const i2 = srcIndex(load<i32>(e, 8) + k2 * gTap2, gDiv2, gT2);
          let v: f32 = 0;
          if ((i0 | i1 | i2) >= 0) v = load<f32>(cb + (<usize>((i0 * gT1 + i1) * gT2 + i2) << 2));
          store<f32>(q + (<usize>c << 2), v);
        }
        q += 32;
        if (++k2 == K2) {
          k2 = 0;
          if (++k1 == K1) {
            k1 = 0;
            if (++k0_ == K0) {
              k0_ = 0;
              ch++;
            }
          }
        }
      }
    }
  }
}

/** Packs A (all M rows, every K block) into SCR_W: block p at p·Mpad·kcb·16 bytes. */
function prepackA(a: usize, rsa: i32, csa: i32, M: i32, Kd: i32, kcb: i32, packAKind: i32): void {
  const wp = scratch() + SCR_W;
  const Mpad = (M + MR - 1) / MR * MR;
  for (let pc = 0; pc < Kd; pc += kcb) {
    const kc = min(kcb, Kd - pc);
    const dst = wp + (<usize>(pc / kcb) * <usize>(Mpad * kcb) << ASH);
    if (packAKind == 0) packA(dst, a, rsa, csa, 0, M, M, pc, kc);
    else packWT(dst, a, 0, M, M, pc, kc);
  }
}

/** Whether A of M rows and Kd columns fits pre-packed (pre-broadcast) in SCR_W. */
@inline function fitsPrepacked(M: i32, Kd: i32): bool {
  const Mpad = (M + MR - 1) / MR * MR;
  return (<u64>Mpad * <u64>Kd << ASH) + <u64>Mpad * 16 * 4 <= <u64>SCR_W_BYTES;
}

/**
 * One product (M×ncols, K = rows of the gather) over columns [j0, j1). A comes pre-packed from SCR_W
 * when `prepacked` (see prepackA), else is packed per block (strided, or Wᵀ for packAKind 1).
 */
function gatherProduct(
  M: i32, Kd: i32, a: usize, rsa: i32, csa: i32, src: usize, c: usize, rsc: i32,
  ncols: i32, j0: i32, j1: i32, packAKind: i32, prepacked: bool,
): void {
  const ap = scratch() + SCR_A;
  const bp = scratch() + SCR_B;
  const wp = scratch() + SCR_W;
  const ncb = balanced(j1 - j0, NCV, NR);
  const kcb = balanced(Kd, KC, 4);
  const mcb = balanced(M, MC, MR);
  const Mpad = (M + MR - 1) / MR * MR;
  for (let jc = j0; jc < j1; jc += ncb) {
    const nc = min(ncb, j1 - jc);
    for (let pc = 0; pc < Kd; pc += kcb) {
      const kc = min(kcb, Kd - pc);
      packGather(bp, src, pc, kc, jc, nc, ncols);
      const blk = wp + (<usize>(pc / kcb) * <usize>(Mpad * kcb) << ASH);
      for (let ic = 0; ic < M; ic += mcb) {
        const mc = min(mcb, M - ic);
        let pa = ap;
        if (prepacked) pa = blk + (<usize>(ic * kc) << ASH);
        else if (packAKind == 0) packA(ap, a, rsa, csa, ic, mc, M, pc, kc);
        else packWT(ap, a, ic, mc, M, pc, kc);
        macro(pa, bp, mc, nc, kc, c + (<usize>(ic * rsc + jc) << 2), rsc, 1, pc > 0);
      }
    }
  }
}

/**
 * Packs W[g]ᵀ for the input gradient: row ci, column (f, taps) reads w[(f·Cg + ci)·KK + taps]
 * (a points at the group's first filter).
 */
function packWT(dst: usize, a: usize, i0: i32, mc: i32, M: i32, k0: i32, kc: i32): void {
  const KK = K0 * K1 * K2;
  const Cg = M;
  for (let ir = 0; ir < mc; ir += MR) {
    const panel = dst + (<usize>(ir * kc) << ASH);
    for (let r = 0; r < MR; r++) {
      const ci = i0 + ir + r;
      let q = panel + (<usize>r << ASH);
      let f = k0 / KK;
      let kk = k0 % KK;
      for (let k = 0; k < kc; k++) {
        let v: f32 = 0;
        if (ci < M) v = load<f32>(a + (<usize>((f * Cg + ci) * KK + kk) << 2));
        storeA(q, v);
        q += <usize>MR << ASH;
        if (++kk == KK) {
          kk = 0;
          f++;
        }
      }
    }
  }
}

/** conv: p[22] = x, p[23] = w, p[24] = y. */
export function convForward(p: usize, tid: i32, nt: i32): void {
  readGeom(p);
  const x = <usize>pi(p, 22);
  const w = <usize>pi(p, 23);
  const y = <usize>pi(p, 24);
  const split = pi(p, 25);
  const Cg = C / G;
  const Fg = F / G;
  const KK = K0 * K1 * K2;
  const Kd = Cg * KK;
  const P = O0 * O1 * O2;
  const Sp = S0 * S1 * S2;
  gU0 = O0; gU1 = O1; gU2 = O2;
  gT0 = S0; gT1 = S1; gT2 = S2;
  gMul0 = st0; gMul1 = st1; gMul2 = st2;
  gOff0 = pb0; gOff1 = pb1; gOff2 = pb2;
  gTap0 = dl0; gTap1 = dl1; gTap2 = dl2;
  gDiv0 = 1; gDiv1 = 1; gDiv2 = 1;
  if (useForwardDirect(Cg, Fg, Kd)) {
    forwardDirect(x, w, y, split, tid, nt, Cg, Fg, Kd, P, Sp);
    return;
  }
  const units = N * G;
  let u0 = 0, u1 = units, j0 = 0, j1 = P;
  if (split == 0) {
    u0 = share(units, tid, nt, 1);
    u1 = share(units, tid + 1, nt, 1);
  } else {
    j0 = share(P, tid, nt, NR);
    j1 = share(P, tid + 1, nt, NR);
  }
  if (j0 >= j1) return;
  const pre = fitsPrepacked(Fg, Kd);
  const kcb = balanced(Kd, KC, 4);
  for (let u = u0; u < u1; u++) {
    // group-major, so that one group's packed weights serve all its images
    const g = u / N;
    const n = u % N;
    const src = x + (<usize>((n * C + g * Cg) * Sp) << 2);
    const wg = w + (<usize>(g * Fg * Kd) << 2);
    const yg = y + (<usize>((n * F + g * Fg) * P) << 2);
    if (pre && (u == u0 || n == 0)) prepackA(wg, Kd, 1, Fg, Kd, kcb, 0);
    gatherProduct(Fg, Kd, wg, Kd, 1, src, yg, P, P, j0, j1, 0, pre);
  }
}

/** convBackwardData: p[22] = dy, p[23] = w, p[24] = dx; the geometry is the forward one. */
export function convBackwardData(p: usize, tid: i32, nt: i32): void {
  readGeom(p);
  const dy = <usize>pi(p, 22);
  const w = <usize>pi(p, 23);
  const dx = <usize>pi(p, 24);
  const split = pi(p, 25);
  const Cg = C / G;
  const Fg = F / G;
  const KK = K0 * K1 * K2;
  const Kd = Fg * KK;
  const P = O0 * O1 * O2;
  const Q = S0 * S1 * S2;
  // column = input position u; source = dy plane (O); v = u + pb − t·dl, source index v / stride
  gU0 = S0; gU1 = S1; gU2 = S2;
  gT0 = O0; gT1 = O1; gT2 = O2;
  gMul0 = 1; gMul1 = 1; gMul2 = 1;
  gOff0 = -pb0; gOff1 = -pb1; gOff2 = -pb2;
  gTap0 = -dl0; gTap1 = -dl1; gTap2 = -dl2;
  gDiv0 = st0; gDiv1 = st1; gDiv2 = st2;
  // the cheapest of the three forms by estimated work (geometry only: never thread-dependent)
  const sc = scatterCost(Cg, Fg, KK, P);
  const dc = dataDirectCost(Cg, Fg, KK);
  const gc = <f64>roundUp(Cg, MR) * <f64>Q * <f64>Fg * <f64>KK;
  if (dc <= sc && dc <= gc) {
    dataDirect(dy, w, dx, split, tid, nt, Cg, Fg, KK, P, Q);
    return;
  }
  if (sc < gc) {
    scatterData(dy, w, dx, split, tid, nt, Cg, Fg, KK, P, Q);
    return;
  }
  const units = N * G;
  let u0 = 0, u1 = units, j0 = 0, j1 = Q;
  if (split == 0) {
    u0 = share(units, tid, nt, 1);
    u1 = share(units, tid + 1, nt, 1);
  } else {
    j0 = share(Q, tid, nt, NR);
    j1 = share(Q, tid + 1, nt, NR);
  }
  if (j0 >= j1) return;
  const pre = fitsPrepacked(Cg, Kd);
  const kcb = balanced(Kd, KC, 4);
  for (let u = u0; u < u1; u++) {
    const g = u / N;
    const n = u % N;
    const src = dy + (<usize>((n * F + g * Fg) * P) << 2);
    const wg = w + (<usize>(g * Fg * Cg * KK) << 2);
    const dxg = dx + (<usize>((n * C + g * Cg) * Q) << 2);
    if (pre && (u == u0 || n == 0)) prepackA(wg, 0, 0, Cg, Kd, kcb, 1);
    gatherProduct(Cg, Kd, wg, 0, 0, src, dxg, Q, Q, j0, j1, 1, pre);
  }
}

// ---- the input gradient as dCol = Wᵀ·dY followed by col2im (scatter-add into dX).
// dCol[g] (Cg·KK × P) = W[g]ᵀ (Cg·KK × Fg) · dY[n,g] (Fg × P): a plain product over the Fg filters,
// P output positions wide, where the transposed convolution through the gather packer multiplies
// every input position (Q of them) by all Fg·KK taps, most of them zeros when the input is larger than
// the output (no padding, stride > 1) or Cg is small (M = Cg rows padded to the 4-row tile). Each dX
// element then receives its terms in a fixed order (column block, channel, tap, position), whatever
// the thread split (units (n, g), or channel ranges), so results do not depend on threads.

/** Budget of one dCol block in SCR_W (after the pre-packed Wᵀ), sized to stay in L2. */
const DCOL_BYTES: i32 = 256 << 10;
/** Room left after the dCol block: col2im's last vectors read up to 12 bytes past a row. */
const COL2IM_SLACK: i32 = 4 << 10;

@inline function roundUp(v: i32, a: i32): i32 {
  return (v + a - 1) / a * a;
}

/**
 * Estimated work of the scatter form: multiply-adds of the padded tiles, plus col2im at about a
 * dozen multiply-adds' time per dCol element (measured on LeNet's conv2); +∞ where Wᵀ pre-packed and
 * a dCol block do not fit.
 */
function scatterCost(Cg: i32, Fg: i32, KK: i32, P: i32): f64 {
  const M = Cg * KK;
  const Mpad = roundUp(M, MR);
  if (<u64>(Mpad * Fg) << ASH > <u64>(SCR_W_BYTES - DCOL_BYTES - COL2IM_SLACK)) return Infinity;
  if (Mpad * NR * 4 > DCOL_BYTES) return Infinity;
  return <f64>Mpad * <f64>roundUp(P, NR) * <f64>Fg + 12.0 * <f64>M * <f64>P;
}

function scatterData(
  dy: usize, w: usize, dx: usize, split: i32, tid: i32, nt: i32,
  Cg: i32, Fg: i32, KK: i32, P: i32, Q: i32,
): void {
  const M = Cg * KK;
  // units (n, g) per thread, or all units with a range of channels per thread
  let u0 = 0, u1 = N * G, c0 = 0, c1 = Cg;
  if (split == 0) {
    u0 = share(N * G, tid, nt, 1);
    u1 = share(N * G, tid + 1, nt, 1);
  } else {
    c0 = share(Cg, tid, nt, 1);
    c1 = share(Cg, tid + 1, nt, 1);
  }
  if (u0 >= u1 || c0 >= c1) return;
  const r0 = c0 * KK;
  const r1 = c1 * KK;
  const mt = r1 - r0;
  const mtPad = roundUp(mt, MR);
  const MpadAll = roundUp(M, MR);
  // blocks from the whole geometry (not the thread's rows), so the sums do not depend on threads
  const kcb = balanced(Fg, KC, 4);
  const ncMax = max(NR, DCOL_BYTES / (MpadAll * 4) / NR * NR);
  // whole runs along the last axis per block where they fit (the fast col2im), else NR-aligned
  const ncLim = min(ncMax, NC) - NR;
  const ncb = O2 <= ncLim ? balanced(P, ncLim / O2 * O2, O2) : balanced(P, min(ncMax, NC), NR);
  const mcb = balanced(mtPad, MC, MR);
  const wp = scratch() + SCR_W;
  const dcol = wp + (<usize>(mtPad * Fg) << ASH);
  const bp = scratch() + SCR_B;
  const plane = <usize>Q << 2;
  for (let u = u0; u < u1; u++) {
    const g = u / N;
    const n = u % N;
    const wg = w + (<usize>(g * Fg * M) << 2);
    if (u == u0 || n == 0) {
      // Wᵀ rows [r0, r1): element (i, f) = w[g·Fg + f, i]
      for (let pc = 0; pc < Fg; pc += kcb) {
        const kc = min(kcb, Fg - pc);
        packA(wp + (<usize>(pc * mtPad) << ASH), wg, 1, M, r0, mtPad, r1, pc, kc);
      }
    }
    const dyg = dy + (<usize>((n * F + g * Fg) * P) << 2);
    const dxg = dx + (<usize>((n * C + g * Cg) * Q) << 2);
    memory.fill(dxg + <usize>c0 * plane, 0, <usize>(c1 - c0) * plane);
    for (let jc = 0; jc < P; jc += ncb) {
      const nc = min(ncb, P - jc);
      const ncPad = roundUp(nc, NR);
      for (let pc = 0; pc < Fg; pc += kcb) {
        const kc = min(kcb, Fg - pc);
        packB(bp, dyg, P, 1, pc, kc, jc, ncPad, P);
        const blk = wp + (<usize>(pc * mtPad) << ASH);
        for (let ic = 0; ic < mtPad; ic += mcb) {
          const mc = min(mcb, mtPad - ic);
          macro(blk + (<usize>(ic * kc) << ASH), bp, mc, ncPad, kc, dcol + (<usize>(ic * ncPad) << 2), ncPad, 1, pc > 0);
        }
      }
      col2im(dcol, ncPad, dxg, r0, r1, jc, nc);
    }
  }
}

/**
 * dX[ci, o·stride − pb + t·dl] += dCol[r, o − jc] for rows r = (ci, taps) in [r0, r1) and positions
 * o in [jc, jc+nc) (dcol holds row r0 first, ld floats per row; dxg is channel 0 of the group).
 */
function col2im(dcol: usize, ld: i32, dxg: usize, r0: i32, r1: i32, jc: i32, nc: i32): void {
  if (st2 == 1 && jc % O2 == 0 && nc % O2 == 0) {
    col2imRuns(dcol, ld, dxg, r0, r1, jc / O2, nc / O2);
    return;
  }
  const Q = S0 * S1 * S2;
  // the block's positions as runs along the last axis: (b0, b1, o2 start, o2 end, column)
  const seg = scratch() + SCR_USER;
  let ns = 0;
  {
    let o2 = jc % O2;
    let t = jc / O2;
    let o1 = t % O1;
    let o0 = t / O1;
    let c = 0;
    while (c < nc) {
      const run = min(nc - c, O2 - o2);
      const e = seg + <usize>ns * 20;
      store<i32>(e, o0 * st0 - pb0);
      store<i32>(e, o1 * st1 - pb1, 4);
      store<i32>(e, o2, 8);
      store<i32>(e, o2 + run, 12);
      store<i32>(e, c, 16);
      ns++;
      c += run;
      o2 = 0;
      if (++o1 == O1) {
        o1 = 0;
        o0++;
      }
    }
  }
  let k2 = r0 % K2;
  let t = r0 / K2;
  let k1 = t % K1;
  t /= K1;
  let kk0 = t % K0;
  let ci = t / K0;
  for (let r = r0; r < r1; r++) {
    const row = dcol + (<usize>((r - r0) * ld) << 2);
    const dxc = dxg + (<usize>(ci * Q) << 2);
    const s0 = kk0 * dl0;
    const s1 = k1 * dl1;
    const s2 = k2 * dl2 - pb2;
    // o2 range whose source index v2 = o2·st2 + s2 lies in [0, S2)
    const lo = s2 >= 0 ? 0 : (-s2 + st2 - 1) / st2;
    const hi = S2 - s2 <= 0 ? 0 : (S2 - s2 - 1) / st2 + 1;
    for (let si = 0; si < ns; si++) {
      const e = seg + <usize>si * 20;
      const i0 = load<i32>(e) + s0;
      const i1 = load<i32>(e, 4) + s1;
      if (<u32>i0 >= <u32>S0 || <u32>i1 >= <u32>S1) continue;
      const a = max(load<i32>(e, 8), lo);
      const b = min(load<i32>(e, 12), hi);
      if (a >= b) continue;
      const src = row + (<usize>(load<i32>(e, 16) + a - load<i32>(e, 8)) << 2);
      const dst = dxc + (<usize>((i0 * S1 + i1) * S2 + a * st2 + s2) << 2);
      const L = b - a;
      if (st2 == 1) {
        let i = 0;
        for (; i + 4 <= L; i += 4) {
          const o = <usize>i << 2;
          v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
        }
        for (; i < L; i++) {
          const o = <usize>i << 2;
          store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
        }
      } else {
        const step = <usize>st2 << 2;
        let d = dst;
        for (let i = 0; i < L; i++) {
          store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>i << 2)));
          d += step;
        }
      }
    }
    if (++k2 == K2) {
      k2 = 0;
      if (++k1 == K1) {
        k1 = 0;
        if (++kk0 == K0) {
          kk0 = 0;
          ci++;
        }
      }
    }
  }
}

/**
 * col2im for unit stride along the last axis and a block of whole runs of positions [R0, R0+nR)
 * (run R = o0·O1 + o1): per (channel, t0, t2) the valid o2 range is the same on every run and tap
 * t1, so each (run, t1) is a few unaligned vector read-add-writes between pointer steps, the taps
 * t1 innermost. The last partial vector keeps the lanes past the run (bitselect) when they lie in
 * the same plane, which only this thread writes.
 */
function col2imRuns(dcol: usize, ld: i32, dxg: usize, r0: i32, r1: i32, R0: i32, nR: i32): void {
  // the geometry in locals: the loops below run once per run and tap
  const lS0 = S0, lS1 = S1, lS2 = S2, lst0 = st0, lst1 = st1, lO1 = O1, lK1 = K1, ldl1 = dl1;
  const Q = lS0 * lS1 * lS2;
  const KK = K0 * K1 * K2;
  const masks = scratch() + SCR_USER;
  for (let m = 0; m < 4; m++) v128.store(masks + (<usize>m << 4), i32x4.lt_s(LANES, i32x4.splat(m)));
  const runStep = <usize>O2 << 2;
  const tapStep = <usize>(K2 * ld) << 2;
  const rowStep = <usize>(ldl1 * lS2) << 2;
  for (let ci = r0 / KK; ci < r1 / KK; ci++)
    for (let kk0 = 0; kk0 < K0; kk0++)
      for (let k2 = 0; k2 < K2; k2++) {
        const s2 = k2 * dl2 - pb2;
        // o2 range whose target o2 + s2 lies in [0, S2)
        const lo = max(0, -s2);
        const hi = min(O2, S2 - s2);
        if (lo >= hi) continue;
        const L = hi - lo;
        const n4 = <usize>(L & ~3) << 2;
        const tailOff = (L & ~3) + 4;
        const rem = L & 3;
        const m = v128.load(masks + (<usize>rem << 4));
        const dxc = dxg + (<usize>(ci * Q) << 2);
        const s0 = kk0 * dl0 - pb0;
        // dCol row of (ci, kk0, t1 = 0, k2)
        const r = ((ci * K0 + kk0) * lK1) * K2 + k2;
        let src = dcol + (<usize>((r - r0) * ld + lo) << 2);
        let o1 = R0 % lO1;
        let o0 = R0 / lO1;
        for (let R = 0; R < nR; R++) {
          const i0 = o0 * lst0 + s0;
          if (<u32>i0 < <u32>lS0) {
            // taps t1 whose row i1 = b1 + t1·dl1 lies in [0, S1)
            const b1 = o1 * lst1 - pb1;
            const t1a = b1 >= 0 ? 0 : (-b1 + ldl1 - 1) / ldl1;
            const t1b = min(lK1, lS1 - b1 <= 0 ? 0 : (lS1 - b1 + ldl1 - 1) / ldl1);
            let off = (i0 * lS1 + b1 + t1a * ldl1) * lS2 + lo + s2;
            let d = dxc + (<usize>off << 2);
            let sp = src + <usize>t1a * tapStep;
            for (let t1 = t1a; t1 < t1b; t1++) {
              let o: usize = 0;
              for (; o < n4; o += 16) v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(sp + o)));
              if (rem != 0) {
                if (off + tailOff <= Q) {
                  const old = v128.load(d + o);
                  v128.store(d + o, v128.bitselect(f32x4.add(old, v128.load(sp + o)), old, m));
                } else {
                  for (let i = 0; i < rem; i++) {
                    const e = o + (<usize>i << 2);
                    store<f32>(d + e, load<f32>(d + e) + load<f32>(sp + e));
                  }
                }
              }
              off += ldl1 * lS2;
              d += rowStep;
              sp += tapStep;
            }
          }
          src += runStep;
          if (++o1 == lO1) {
            o1 = 0;
            o0++;
          }
        }
      }
}

/**
 * Packs the B operand of the filter gradient: row = output position o in [k0, k0+kc) of one image,
 * column j = (ci, taps) in [j0, j0+nc): x[ci, o·stride − pb + taps·dilation] (src = the group's
 * first channel of image n).
 */
function packFilterB(dst: usize, src: usize, k0: i32, kc: i32, j0: i32, nc: i32, ncols: i32): void {
  const KK = K0 * K1 * K2;
  const Sp = S0 * S1 * S2;
  const tmp = scratch() + SCR_USER;
  const lim2 = i32x4.splat(S2);
  for (let jr = 0; jr < nc; jr += NR) {
    const j = j0 + jr;
    const cols = min(NR, ncols - j);
    const panel = dst + (<usize>(jr * kc) << 2);
    // per column: channel base address and taps (ci = -1: padding column)
    for (let c = 0; c < NR; c++) {
      const e = tmp + (<usize>c << 4);
      if (c < cols) {
        const col = j + c;
        const ci = col / KK;
        const tap = col % KK;
        store<i32>(e, <i32>(src + (<usize>(ci * Sp) << 2)));
        store<i32>(e, (tap / (K1 * K2)) * dl0, 4);
        store<i32>(e, ((tap / K2) % K1) * dl1, 8);
        store<i32>(e, (tap % K2) * dl2, 12);
      } else {
        store<i32>(e, -1);
      }
    }
    let o2 = k0 % O2;
    let t = k0 / O2;
    let o1 = t % O1;
    let o0 = t / O1;
    let k = 0;
    while (k < kc) {
      const run = min(kc - k, O2 - o2);
      const b0 = o0 * st0 - pb0;
      const b1 = o1 * st1 - pb1;
      let done = 0;
      if (st2 == 1 && run >= 4) {
        const groups = run >> 2;
        const rowBase = tmp + 128;
        for (let c = 0; c < NR; c++) {
          const e = tmp + (<usize>c << 4);
          const base = load<i32>(e);
          let rp: i32 = -1;
          if (base != -1) {
            const i0 = b0 + load<i32>(e, 4);
            const i1 = b1 + load<i32>(e, 8);
            if (<u32>i0 < <u32>S0 && <u32>i1 < <u32>S1) rp = base + ((i0 * S1 + i1) * S2 << 2);
          }
          store<i32>(rowBase + (<usize>c << 3), rp);
          store<i32>(rowBase + (<usize>c << 3), o2 - pb2 + load<i32>(e, 12), 4);
        }
        for (let gi = 0; gi < groups; gi++) {
          const q = panel + (<usize>(k + gi * 4) << 5);
          const off = gi * 4;
          let v0 = lane4(rowBase, 0, off, lim2);
          let v1 = lane4(rowBase, 1, off, lim2);
          let v2 = lane4(rowBase, 2, off, lim2);
          let v3 = lane4(rowBase, 3, off, lim2);
          tr4(q, v0, v1, v2, v3);
          v0 = lane4(rowBase, 4, off, lim2);
          v1 = lane4(rowBase, 5, off, lim2);
          v2 = lane4(rowBase, 6, off, lim2);
          v3 = lane4(rowBase, 7, off, lim2);
          tr4(q + 16, v0, v1, v2, v3);
        }
        done = groups << 2;
      }
      for (let r = done; r < run; r++) {
        const q = panel + (<usize>(k + r) << 5);
        const v2b = (o2 + r) * st2 - pb2;
        for (let c = 0; c < NR; c++) {
          const e = tmp + (<usize>c << 4);
          const base = load<i32>(e);
          let v: f32 = 0;
          if (base != -1) {
            const i0 = b0 + load<i32>(e, 4);
            const i1 = b1 + load<i32>(e, 8);
            const i2 = v2b + load<i32>(e, 12);
            if (<u32>i0 < <u32>S0 && <u32>i1 < <u32>S1 && <u32>i2 < <u32>S2)
              v = load<f32>(<usize>base + (<usize>((i0 * S1 + i1) * S2 + i2) << 2));
          }
          store<f32>(q + (<usize>c << 2), v);
        }
      }
      k += run;
      o2 += run;
      if (o2 == O2) {
        o2 = 0;
        if (++o1 == O1) {
          o1 = 0;
          o0++;
        }
      }
    }
  }
}

/** Four consecutive row elements of column c (masked to the row), for the filter-gradient packer. */
@inline function lane4(rowBase: usize, c: i32, off: i32, lim2: v128): v128 {
  const e = rowBase + (<usize>c << 3);
  const rp = load<i32>(e);
  if (rp == -1) return i32x4.splat(0);
  const v2 = load<i32>(e, 4) + off;
  if (v2 <= -4 || v2 >= S2) return i32x4.splat(0);
  const idx = i32x4.add(i32x4.splat(v2), LANES);
  return v128.and(v128.load(<usize>rp + (<usize>v2 << 2)), i32x4.lt_u(idx, lim2));
}

@inline function tr4(dst: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<i32>(t0, t1, 2, 3, 6, 7), 32);
  v128.store(dst, v128.shuffle<i32>(t2, t3, 0, 1, 4, 5), 64);
  v128.store(dst, v128.shuffle<i32>(t2, t3, 2, 3, 6, 7), 96);
}

/**
 * convBackwardFilter: p[22] = x, p[23] = dy, p[24] = dw. dW[g] = Σ_n dY[n,g] · col(X[n,g])ᵀ with the
 * sum over images and positions as the K dimension (blocks never straddle two images).
 * split 0: groups per thread; 1: column panels of Cg·KK.
 */
export function convBackwardFilter(p: usize, tid: i32, nt: i32): void {
  readGeom(p);
  const x = <usize>pi(p, 22);
  const dy = <usize>pi(p, 23);
  const dw = <usize>pi(p, 24);
  const split = pi(p, 25);
  const Cg = C / G;
  const Fg = F / G;
  const KK = K0 * K1 * K2;
  const Nd = Cg * KK;
  const P = O0 * O1 * O2;
  const Sp = S0 * S1 * S2;
  if (useFilterDirect(Cg, Fg, Nd)) {
    filterDirect(x, dy, dw, split, tid, nt, Cg, Fg, Nd, P);
    return;
  }
  let g0 = 0, g1 = G, j0 = 0, j1 = Nd;
  if (split == 0) {
    g0 = share(G, tid, nt, 1);
    g1 = share(G, tid + 1, nt, 1);
  } else {
    j0 = share(Nd, tid, nt, NR);
    j1 = share(Nd, tid + 1, nt, NR);
  }
  if (j0 >= j1) return;
  const ap = scratch() + SCR_A;
  const bp = scratch() + SCR_B;
  const kcb = balanced(P, KC, 4);
  const ncb = balanced(j1 - j0, NCV, NR);
  const mcb = balanced(Fg, MC, MR);
  for (let g = g0; g < g1; g++) {
    const dwg = dw + (<usize>(g * Fg * Nd) << 2);
    let first = true;
    for (let n = 0; n < N; n++) {
      const src = x + (<usize>((n * C + g * Cg) * Sp) << 2);
      const dyg = dy + (<usize>((n * F + g * Fg) * P) << 2);
      for (let pc = 0; pc < P; pc += kcb) {
        const kc = min(kcb, P - pc);
        for (let jc = j0; jc < j1; jc += ncb) {
          const nc = min(ncb, j1 - jc);
          packFilterB(bp, src, pc, kc, jc, nc, Nd);
          for (let ic = 0; ic < Fg; ic += mcb) {
            const mc = min(mcb, Fg - ic);
            packA(ap, dyg, P, 1, ic, mc, Fg, pc, kc);
            macro(ap, bp, mc, nc, kc, dwg + (<usize>(ic * Nd + jc) << 2), Nd, 1, !first);
          }
        }
        first = false;
      }
    }
    if (first) {
      // no positions at all (empty batch): the gradient is zero
      for (let f = 0; f < Fg; f++)
        for (let j = j0; j < j1; j++) store<f32>(dwg + (<usize>(f * Nd + j) << 2), 0);
    }
  }
}


// ---- the filter gradient transposed, its image operand read in place: dW[g]ᵀ (Cg·KK × Fg) =
// Σ_n col(X[n,g]) (Cg·KK × P) · dY[n,g]ᵀ (P × Fg). Each image is copied once into a zero-padded
// buffer; then row (ci, taps) of col(X) along one run of output positions (o0, o1, all o2) is a
// contiguous stretch of that buffer (unit stride along the last axis), so the microkernel loads its
// four A values per step straight from four such stretches: no packing of the large operand, and
// no bounds tests. dYᵀ is the small packed B (Fg columns). The product accumulates over images in
// a per-thread buffer (SCR_W), transposed into dW at the end. Every dW element sums its terms in the
// same order (image, position block, position) whatever the split (groups per thread, or ranges of
// rows Cg·KK), so results do not depend on threads.

/**
 * Padded image dims of the direct products: the extent the taps read, at least the image (also read
 * by convdirect.ts).
 */
export let xD0: i32 = 1, xD1: i32 = 1, xD2: i32 = 1;

export function setPaddedDims(): void {
  xD0 = max((O0 - 1) * st0 + (K0 - 1) * dl0 + 1, pb0 + S0);
  xD1 = max((O1 - 1) * st1 + (K1 - 1) * dl1 + 1, pb1 + S1);
  xD2 = max((O2 - 1) * st2 + (K2 - 1) * dl2 + 1, pb2 + S2);
}

/** Room of the piece table (8 bytes per run piece) in SCR_USER. */
const MAX_PIECES: i32 = 4096;

/** Whether the direct filter gradient applies: unit stride along the last axis and the buffers fit. */
function useFilterDirect(Cg: i32, Fg: i32, Nd: i32): bool {
  if (st2 != 1) return false;
  setPaddedDims();
  const FgPad = roundUp(Fg, NR);
  // padded image in SCR_B, packed dYᵀ (KC × FgPad) in SCR_A, accumulator in SCR_W
  if (<u64>Cg * <u64>xD0 * <u64>xD1 * <u64>xD2 * 4 > <u64>(KC * NC * 4)) return false;
  if (FgPad * 4 > MC << ASH) return false;
  if (<u64>roundUp(Nd, MR) * <u64>FgPad * 4 > <u64>SCR_W_BYTES) return false;
  // the piece table (at most one piece per run plus one per K block, 8 bytes each) and the block
  // starts (4 bytes a block, at its end) share MAX_PIECES · 8 bytes
  const P = O0 * O1 * O2;
  const kcb = balanced(P, KC, 4);
  const nblk = (P + kcb - 1) / kcb;
  return <i64>(O0 * O1 + nblk) * 8 + <i64>(nblk + 1) * 4 <= <i64>MAX_PIECES * 8;
}

function filterDirect(
  x: usize, dy: usize, dw: usize, split: i32, tid: i32, nt: i32,
  Cg: i32, Fg: i32, Nd: i32, P: i32,
): void {
  let g0 = 0, g1 = G, j0 = 0, j1 = Nd;
  if (split == 0) {
    g0 = share(G, tid, nt, 1);
    g1 = share(G, tid + 1, nt, 1);
  } else {
    j0 = share(Nd, tid, nt, MR);
    j1 = share(Nd, tid + 1, nt, MR);
  }
  if (g0 >= g1 || j0 >= j1) return;
  setPaddedDims();
  const bp = scratch() + SCR_A;
  const xp = scratch() + SCR_B;
  const ct = scratch() + SCR_W;
  const tab = scratch() + SCR_USER;
  const FgPad = roundUp(Fg, NR);
  const KK = K0 * K1 * K2;
  const Sp = S0 * S1 * S2;
  const planeD = xD0 * xD1 * xD2;
  const kcb = balanced(P, KC, 4);
  // the pieces of every K block: (offset in the padded plane of position (o0, o1, o2s), length)
  const nblk = (P + kcb - 1) / kcb;
  const blkStart = tab + (<usize>MAX_PIECES << 3) - (<usize>(nblk + 1) << 2);
  {
    let np = 0;
    for (let b = 0; b < nblk; b++) {
      store<i32>(blkStart + (<usize>b << 2), np);
      const pc = b * kcb;
      const kc = min(kcb, P - pc);
      let o2 = pc % O2;
      let t = pc / O2;
      let o1 = t % O1;
      let o0 = t / O1;
      let k = 0;
      while (k < kc) {
        const run = min(kc - k, O2 - o2);
        const e = tab + (<usize>np << 3);
        store<i32>(e, (o0 * st0 * xD1 + o1 * st1) * xD2 + o2);
        store<i32>(e, run, 4);
        np++;
        k += run;
        o2 += run;
        if (o2 == O2) {
          o2 = 0;
          if (++o1 == O1) {
            o1 = 0;
            o0++;
          }
        }
      }
    }
    store<i32>(blkStart + (<usize>nblk << 2), np);
  }
  const xpBytes = <usize>(Cg * planeD) << 2;
  for (let g = g0; g < g1; g++) {
    memory.fill(xp, 0, xpBytes);
    let first = true;
    for (let n = 0; n < N; n++) {
      // the image, inside its zero border
      copyPadded(xp, x + (<usize>((n * C + g * Cg) * Sp) << 2), Cg, S0, S1, S2, pb0, pb1, pb2);
      const dyg = dy + (<usize>((n * F + g * Fg) * P) << 2);
      for (let b = 0; b < nblk; b++) {
        const pc = b * kcb;
        const kc = min(kcb, P - pc);
        packDyT(bp, dyg, P, Fg, FgPad, pc, kc);
        const pt = tab + (<usize>load<i32>(blkStart + (<usize>b << 2)) << 3);
        const np = load<i32>(blkStart + (<usize>(b + 1) << 2)) - load<i32>(blkStart + (<usize>b << 2));
        for (let jr = 0; jr < FgPad; jr += NR) {
          const pbj = bp + (<usize>(jr * kc) << 2);
          for (let i = j0; i < j1; i += MR) {
            // the four rows' stretches: row (ci, t0, t1, t2) starts at its tap's padded offset
            const a0 = rowBase(xp, i, Nd, KK, planeD);
            const a1 = rowBase(xp, i + 1, Nd, KK, planeD);
            const a2 = rowBase(xp, i + 2, Nd, KK, planeD);
            const a3 = rowBase(xp, i + 3, Nd, KK, planeD);
            microX(np, pt, a0, a1, a2, a3, pbj, ct + (<usize>((i - j0) * FgPad + jr) << 2), <usize>FgPad << 2, !first);
          }
        }
        first = false;
      }
    }
    const dwg = dw + (<usize>(g * Fg * Nd) << 2);
    for (let f = 0; f < Fg; f++)
      for (let j = j0; j < j1; j++)
        store<f32>(dwg + (<usize>(f * Nd + j) << 2), first ? 0 : load<f32>(ct + (<usize>((j - j0) * FgPad + f) << 2)));
  }
}

/** Address in the padded image of row `i` of col(X) at position 0 (rows past Nd: any valid address). */
@inline function rowBase(xp: usize, i: i32, Nd: i32, KK: i32, planeD: i32): usize {
  if (i >= Nd) return xp;
  const ci = i / KK;
  const tap = i % KK;
  const t2 = tap % K2;
  const t = tap / K2;
  return xp + (<usize>(ci * planeD + ((t / K1) * dl0 * xD1 + (t % K1) * dl1) * xD2 + t2 * dl2) << 2);
}

/**
 * Packs dY[f, k0..k0+kc)ᵀ into NR-column B panels (filters at or past Fg are zero): rows of dY are
 * contiguous in k, so 4×4 transposes.
 */
function packDyT(dst: usize, dyg: usize, P: i32, Fg: i32, FgPad: i32, k0: i32, kc: i32): void {
  const zero = f32x4.splat(0);
  const rowb = <usize>P << 2;
  for (let jr = 0; jr < FgPad; jr += NR) {
    const panel = dst + (<usize>(jr * kc) << 2);
    const base = dyg + (<usize>(jr * P + k0) << 2);
    const nf = min(NR, Fg - jr);
    let k = 0;
    for (; k + 4 <= kc; k += 4) {
      const o = <usize>k << 2;
      const p = base + o;
      const r0 = nf > 0 ? v128.load(p) : zero;
      const r1 = nf > 1 ? v128.load(p + rowb) : zero;
      const r2 = nf > 2 ? v128.load(p + 2 * rowb) : zero;
      const r3 = nf > 3 ? v128.load(p + 3 * rowb) : zero;
      const r4 = nf > 4 ? v128.load(p + 4 * rowb) : zero;
      const r5 = nf > 5 ? v128.load(p + 5 * rowb) : zero;
      const r6 = nf > 6 ? v128.load(p + 6 * rowb) : zero;
      const r7 = nf > 7 ? v128.load(p + 7 * rowb) : zero;
      const q = panel + (o << 3);
      tr4(q, r0, r1, r2, r3);
      tr4(q + 16, r4, r5, r6, r7);
    }
    for (; k < kc; k++) {
      const q = panel + (<usize>k << 5);
      for (let c = 0; c < NR; c++)
        store<f32>(q + (<usize>c << 2), c < nf ? load<f32>(base + <usize>c * rowb + (<usize>k << 2)) : 0);
    }
  }
}

/**
 * The 4×8 microkernel of the direct filter gradient: C (=|+=) Σ over the `np` pieces at `pt`
 * (padded offset, length) of A·B, lane r of A read at a_r + 4·(offset + step). Unrolled four times
 * with exits between the steps, as the GEMM's microkernel (see gemm.ts).
 */
function microX(np: i32, pt: usize, a0: usize, a1: usize, a2: usize, a3: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
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
  const ptEnd = pt + (<usize>np << 3);
  while (pt < ptEnd) {
    const off = <usize>load<i32>(pt) << 2;
    const end = pb + (<usize>load<i32>(pt, 4) << 5);
    let p0 = a0 + off;
    let p1 = a1 + off;
    let p2 = a2 + off;
    let p3 = a3 + off;
    pt += 8;
    while (pb < end) {
      b0 = v128.load(pb, 0);
      b1 = v128.load(pb, 16);
      a = v128.load32_splat(p0, 0);
      c00 = madd(a, b0, c00);
      c01 = madd(a, b1, c01);
      a = v128.load32_splat(p1, 0);
      c10 = madd(a, b0, c10);
      c11 = madd(a, b1, c11);
      a = v128.load32_splat(p2, 0);
      c20 = madd(a, b0, c20);
      c21 = madd(a, b1, c21);
      a = v128.load32_splat(p3, 0);
      c30 = madd(a, b0, c30);
      c31 = madd(a, b1, c31);
      if (pb + 32 >= end) {
        pb += 32;
        break;
      }
      b0 = v128.load(pb, 32);
      b1 = v128.load(pb, 48);
      a = v128.load32_splat(p0, 4);
      c00 = madd(a, b0, c00);
      c01 = madd(a, b1, c01);
      a = v128.load32_splat(p1, 4);
      c10 = madd(a, b0, c10);
      c11 = madd(a, b1, c11);
      a = v128.load32_splat(p2, 4);
      c20 = madd(a, b0, c20);
      c21 = madd(a, b1, c21);
      a = v128.load32_splat(p3, 4);
      c30 = madd(a, b0, c30);
      c31 = madd(a, b1, c31);
      if (pb + 64 >= end) {
        pb += 64;
        break;
      }
      b0 = v128.load(pb, 64);
      b1 = v128.load(pb, 80);
      a = v128.load32_splat(p0, 8);
      c00 = madd(a, b0, c00);
      c01 = madd(a, b1, c01);
      a = v128.load32_splat(p1, 8);
      c10 = madd(a, b0, c10);
      c11 = madd(a, b1, c11);
      a = v128.load32_splat(p2, 8);
      c20 = madd(a, b0, c20);
      c21 = madd(a, b1, c21);
      a = v128.load32_splat(p3, 8);
      c30 = madd(a, b0, c30);
      c31 = madd(a, b1, c31);
      if (pb + 96 >= end) {
        pb += 96;
        break;
      }
      b0 = v128.load(pb, 96);
      b1 = v128.load(pb, 112);
      a = v128.load32_splat(p0, 12);
      c00 = madd(a, b0, c00);
      c01 = madd(a, b1, c01);
      a = v128.load32_splat(p1, 12);
      c10 = madd(a, b0, c10);
      c11 = madd(a, b1, c11);
      a = v128.load32_splat(p2, 12);
      c20 = madd(a, b0, c20);
      c21 = madd(a, b1, c21);
      a = v128.load32_splat(p3, 12);
      c30 = madd(a, b0, c30);
      c31 = madd(a, b1, c31);
      p0 += 16;
      p1 += 16;
      p2 += 16;
      p3 += 16;
      pb += 128;
    }
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

// ---- the forward product transposed, its image operand read in place: Y[n,g]ᵀ (P × Fg) =
// col(X[n,g])ᵀ (P × Cg·KK) · W[g]ᵀ (Cg·KK × Fg). The image is copied into a zero-padded buffer;
// four consecutive positions of a run (fixed o0, o1; unit stride along the last axis) under one tap
// are then four consecutive buffer elements, so the microkernel's A values come from one address per
// step: the buffer offset of the step's tap (a table) plus the tile's position. No packing of the
// image, no bounds tests, and tiles that follow the output rows (a 10-wide row wastes 2 of 12
// lanes where 8-position panels spanning rows waste none, but need the gather packer). Wᵀ is the
// packed B operand (Fg columns, packed once per group). The 4×8 tile (four positions × eight
// filters) is stored transposed into Y. Each output sums its taps in the same order whatever the
// split (units (n, g) per thread, or runs of positions), so results do not depend on threads.

/** Largest Cg·KK of the direct forward: its tap table (4 bytes a tap) lives in SCR_USER. */
export const MAX_TAPS: i32 = 15 << 10;

/**
 * Whether `Cg` channels of the padded image (setPaddedDims), plus the bytes a last vector may read
 * past them, fit the padded-image buffer (SCR_B) of the direct forward.
 */
export function paddedImageFits(Cg: i32): bool {
  return <u64>Cg * <u64>xD0 * <u64>xD1 * <u64>xD2 * 4 + 64 <= <u64>(KC * NC * 4);
}

/** Whether the direct forward applies: unit stride along the last axis and the buffers fit. */
function useForwardDirect(Cg: i32, Fg: i32, Kd: i32): bool {
  if (st2 != 1 || Kd > MAX_TAPS) return false;
  setPaddedDims();
  if (!paddedImageFits(Cg)) return false;
  return <u64>Kd * <u64>roundUp(Fg, NR) * 4 <= <u64>SCR_W_BYTES;
}

/**
 * The tap table of the direct forward: at `tt`, for each tap k = (ci, t0, t1, t2) of the weights'
 * order, its byte offset in the padded image (planes of planeD floats, dims xD0..2).
 */
export function tapTable(tt: usize, Kd: i32, planeD: i32): void {
  let k2 = 0, k1 = 0, kk0 = 0, ci = 0;
  for (let k = 0; k < Kd; k++) {
    store<i32>(tt + (<usize>k << 2), (ci * planeD + (kk0 * dl0 * xD1 + k1 * dl1) * xD2 + k2 * dl2) << 2);
    if (++k2 == K2) {
      k2 = 0;
      if (++k1 == K1) {
        k1 = 0;
        if (++kk0 == K0) {
          kk0 = 0;
          ci++;
        }
      }
    }
  }
}

function forwardDirect(
  x: usize, w: usize, y: usize, split: i32, tid: i32, nt: i32,
  Cg: i32, Fg: i32, Kd: i32, P: i32, Sp: i32,
): void {
  const runs = O0 * O1;
  let u0 = 0, u1 = N * G, R0 = 0, R1 = runs;
  if (split == 0) {
    u0 = share(N * G, tid, nt, 1);
    u1 = share(N * G, tid + 1, nt, 1);
  } else {
    R0 = share(runs, tid, nt, 1);
    R1 = share(runs, tid + 1, nt, 1);
  }
  if (u0 >= u1 || R0 >= R1) return;
  setPaddedDims();
  const xp = scratch() + SCR_B;
  const wp = scratch() + SCR_W;
  const tt = scratch() + SCR_USER;
  const FgPad = roundUp(Fg, NR);
  const planeD = xD0 * xD1 * xD2;
  const kcb = balanced(Kd, KC, 4);
  tapTable(tt, Kd, planeD);
  memory.fill(xp, 0, <usize>(Cg * planeD) << 2);
  for (let u = u0; u < u1; u++) {
    // group-major, so that one group's packed weights serve all its images
    const g = u / N;
    const n = u % N;
    if (u == u0 || n == 0) {
      // Wᵀ, every K block: element (k, f) = w[g·Fg + f, k]
      const wg = w + (<usize>(g * Fg * Kd) << 2);
      for (let pc = 0; pc < Kd; pc += kcb) packB(wp + (<usize>(pc * FgPad) << 2), wg, 1, Kd, pc, min(kcb, Kd - pc), 0, FgPad, Fg);
    }
    copyPadded(xp, x + (<usize>((n * C + g * Cg) * Sp) << 2), Cg, S0, S1, S2, pb0, pb1, pb2);
    directTiles(xp, wp, tt, y + (<usize>((n * F + g * Fg) * P) << 2), Fg, FgPad, Kd, kcb, P, R0, R1, O1, O2, st0, st1);
  }
}

/**
 * The tiles of one unit of the direct products: outputs (nf channels × runs [R0, R1) of U2
 * positions, run R = (u0, u1) of U0×U1 reading the padded buffer from (u0·m0·D1 + u1·m1)·D2), K blocks
 * of the tap table `tt` and of the packed B at `wp` (every block, NR-column panels).
 */
function directTiles(
  xp: usize, wp: usize, tt: usize, yg: usize, nf: i32, nfPad: i32, Kd: i32, kcb: i32, P: i32,
  R0: i32, R1: i32, U1: i32, U2: i32, m0: i32, m1: i32,
): void {
  const tile = scratch() + SCR_TILE;
  const ldc = <usize>P << 2;
  for (let pc = 0; pc < Kd; pc += kcb) {
    const kc = min(kcb, Kd - pc);
    const acc = pc > 0;
    const tk = tt + (<usize>pc << 2);
    for (let jr = 0; jr < nfPad; jr += NR) {
      const pb = wp + (<usize>(pc * nfPad + jr * kc) << 2);
      const nc = min(NR, nf - jr);
      if (U2 % MR != 0) {
        // rows not a multiple of the tile: tiles of four consecutive positions across runs, each
        // lane from its own place in the buffer (no lanes wasted at the row ends)
        const p1 = R1 * U2;
        let o2 = 0;
        let u1 = R0 % U1;
        let u0 = R0 / U1;
        for (let p = R0 * U2; p < p1; p += MR) {
          const a0 = xp + (<usize>((u0 * m0 * xD1 + u1 * m1) * xD2 + o2) << 2);
          if (++o2 == U2) {
            o2 = 0;
            if (++u1 == U1) {
              u1 = 0;
              u0++;
            }
          }
          const a1 = p + 1 < p1 ? xp + (<usize>((u0 * m0 * xD1 + u1 * m1) * xD2 + o2) << 2) : a0;
          if (p + 1 < p1 && ++o2 == U2) {
            o2 = 0;
            if (++u1 == U1) {
              u1 = 0;
              u0++;
            }
          }
          const a2 = p + 2 < p1 ? xp + (<usize>((u0 * m0 * xD1 + u1 * m1) * xD2 + o2) << 2) : a0;
          if (p + 2 < p1 && ++o2 == U2) {
            o2 = 0;
            if (++u1 == U1) {
              u1 = 0;
              u0++;
            }
          }
          const a3 = p + 3 < p1 ? xp + (<usize>((u0 * m0 * xD1 + u1 * m1) * xD2 + o2) << 2) : a0;
          if (p + 3 < p1 && ++o2 == U2) {
            o2 = 0;
            if (++u1 == U1) {
              u1 = 0;
              u0++;
            }
          }
          const np = min(MR, p1 - p);
          const yr = yg + (<usize>(jr * P + p) << 2);
          if (np == MR && nc == NR) microF4(kc, tk, a0, a1, a2, a3, pb, yr, ldc, acc);
          else {
            microF4(kc, tk, a0, a1, a2, a3, pb, tile, 16, false);
            for (let f = 0; f < nc; f++)
              for (let l = 0; l < np; l++) {
                const d = yr + (<usize>(f * P + l) << 2);
                const v = load<f32>(tile + (<usize>(f * MR + l) << 2));
                store<f32>(d, acc ? load<f32>(d) + v : v);
              }
          }
        }
        continue;
      }
      let u1 = R0 % U1;
      let u0 = R0 / U1;
      for (let R = R0; R < R1; R++) {
        const xr = xp + (<usize>((u0 * m0 * xD1 + u1 * m1) * xD2) << 2);
        const yr = yg + (<usize>(jr * P + R * U2) << 2);
        for (let o2 = 0; o2 < U2; o2 += MR) {
          const np = min(MR, U2 - o2);
          const a = xr + (<usize>o2 << 2);
          if (nc <= 6) {
            // a narrow panel (few output channels): positions in the lanes, no lanes wasted
            if (np == MR) microP6(kc, tk, a, pb, yr + (<usize>o2 << 2), ldc, acc, nc);
            else {
              microP6(kc, tk, a, pb, tile, 16, false, 6);
              for (let f = 0; f < nc; f++)
                for (let l = 0; l < np; l++) {
                  const d = yr + (<usize>(f * P + o2 + l) << 2);
                  const v = load<f32>(tile + (<usize>(f * MR + l) << 2));
                  store<f32>(d, acc ? load<f32>(d) + v : v);
                }
            }
          } else if (np == MR && nc == NR) microF(kc, tk, a, pb, yr + (<usize>o2 << 2), ldc, acc);
          else {
            microF(kc, tk, a, pb, tile, 16, false);
            for (let f = 0; f < nc; f++)
              for (let l = 0; l < np; l++) {
                const d = yr + (<usize>(f * P + o2 + l) << 2);
                const v = load<f32>(tile + (<usize>(f * MR + l) << 2));
                store<f32>(d, acc ? load<f32>(d) + v : v);
              }
          }
        }
        if (++u1 == U1) {
          u1 = 0;
          u0++;
        }
      }
    }
  }
}

/**
 * Copies `ch` channels of T0×T1×T2 at `src` into the padded buffer (dims xD0..2, zero border) at
 * front offsets f0..f2.
 */
export function copyPadded(xp: usize, src: usize, ch: i32, T0: i32, T1: i32, T2: i32, f0: i32, f1: i32, f2: i32): void {
  const planeD = xD0 * xD1 * xD2;
  const n4 = <usize>(T2 & ~3) << 2;
  const rowBytes = <usize>T2 << 2;
  let s = src;
  for (let ci = 0; ci < ch; ci++)
    for (let i0 = 0; i0 < T0; i0++)
      for (let i1 = 0; i1 < T1; i1++) {
        const d = xp + (<usize>(ci * planeD + ((i0 + f0) * xD1 + i1 + f1) * xD2 + f2) << 2);
        let o: usize = 0;
        for (; o < n4; o += 16) v128.store(d + o, v128.load(s + o));
        for (; o < rowBytes; o += 4) store<f32>(d + o, load<f32>(s + o));
        s += rowBytes;
      }
}

/**
 * The 4×8 microkernel of the direct forward: C (4 positions × 8 filters, stored transposed: filter
 * rows `ldc` bytes apart) (=|+=) Σ_k A·B, where position r of step k is read at a + tt[k] + 4·r.
 * Unrolled four times with exits between the steps, as the GEMM's microkernel (see gemm.ts).
 */
function microF(kc: i32, tt: usize, a0: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
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
    let q = a0 + <usize>load<i32>(tt);
    b0 = v128.load(pb, 0);
    b1 = v128.load(pb, 16);
    a = v128.load32_splat(q, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(q, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(q, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(q, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 32 >= end) break;
    q = a0 + <usize>load<i32>(tt, 4);
    b0 = v128.load(pb, 32);
    b1 = v128.load(pb, 48);
    a = v128.load32_splat(q, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(q, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(q, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(q, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 64 >= end) break;
    q = a0 + <usize>load<i32>(tt, 8);
    b0 = v128.load(pb, 64);
    b1 = v128.load(pb, 80);
    a = v128.load32_splat(q, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(q, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(q, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(q, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 96 >= end) break;
    q = a0 + <usize>load<i32>(tt, 12);
    b0 = v128.load(pb, 96);
    b1 = v128.load(pb, 112);
    a = v128.load32_splat(q, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(q, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(q, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(q, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    tt += 16;
    pb += 128;
  }
  // transpose the two 4×4 halves: filter rows of four positions
  const f0 = trLane(c00, c10, c20, c30, 0);
  const f1 = trLane(c00, c10, c20, c30, 1);
  const f2 = trLane(c00, c10, c20, c30, 2);
  const f3 = trLane(c00, c10, c20, c30, 3);
  const f4 = trLane(c01, c11, c21, c31, 0);
  const f5 = trLane(c01, c11, c21, c31, 1);
  const f6 = trLane(c01, c11, c21, c31, 2);
  const f7 = trLane(c01, c11, c21, c31, 3);
  storeRow(c, f0, acc);
  storeRow(c + ldc, f1, acc);
  storeRow(c + 2 * ldc, f2, acc);
  storeRow(c + 3 * ldc, f3, acc);
  storeRow(c + 4 * ldc, f4, acc);
  storeRow(c + 5 * ldc, f5, acc);
  storeRow(c + 6 * ldc, f6, acc);
  storeRow(c + 7 * ldc, f7, acc);
}

/** microF with each position's own base: position r of step k is read at a_r + tt[k]. */
function microF4(kc: i32, tt: usize, a0: usize, a1: usize, a2: usize, a3: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
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
    let q = <usize>load<i32>(tt);
    b0 = v128.load(pb, 0);
    b1 = v128.load(pb, 16);
    a = v128.load32_splat(a0 + q);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(a1 + q);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(a2 + q);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(a3 + q);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 32 >= end) break;
    q = <usize>load<i32>(tt, 4);
    b0 = v128.load(pb, 32);
    b1 = v128.load(pb, 48);
    a = v128.load32_splat(a0 + q);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(a1 + q);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(a2 + q);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(a3 + q);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 64 >= end) break;
    q = <usize>load<i32>(tt, 8);
    b0 = v128.load(pb, 64);
    b1 = v128.load(pb, 80);
    a = v128.load32_splat(a0 + q);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(a1 + q);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(a2 + q);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(a3 + q);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (pb + 96 >= end) break;
    q = <usize>load<i32>(tt, 12);
    b0 = v128.load(pb, 96);
    b1 = v128.load(pb, 112);
    a = v128.load32_splat(a0 + q);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(a1 + q);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(a2 + q);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(a3 + q);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    tt += 16;
    pb += 128;
  }
  // transpose the two 4×4 halves: filter rows of four positions
  const f0 = trLane(c00, c10, c20, c30, 0);
  const f1 = trLane(c00, c10, c20, c30, 1);
  const f2 = trLane(c00, c10, c20, c30, 2);
  const f3 = trLane(c00, c10, c20, c30, 3);
  const f4 = trLane(c01, c11, c21, c31, 0);
  const f5 = trLane(c01, c11, c21, c31, 1);
  const f6 = trLane(c01, c11, c21, c31, 2);
  const f7 = trLane(c01, c11, c21, c31, 3);
  storeRow(c, f0, acc);
  storeRow(c + ldc, f1, acc);
  storeRow(c + 2 * ldc, f2, acc);
  storeRow(c + 3 * ldc, f3, acc);
  storeRow(c + 4 * ldc, f4, acc);
  storeRow(c + 5 * ldc, f5, acc);
  storeRow(c + 6 * ldc, f6, acc);
  storeRow(c + 7 * ldc, f7, acc);
}

/**
 * The direct products' microkernel for panels of at most six output channels: four consecutive
 * positions in the lanes (one vector load at a + tt[k]) times six splatted B values per step, six
 * accumulators, each a row of four outputs stored straight to C (rows `ldc` bytes apart; the first
 * `nc` rows are stored). Six multiply-adds a step where the 4×8 tile spends eight on a 6-wide panel.
 */
function microP6(kc: i32, tt: usize, a: usize, pb: usize, c: usize, ldc: usize, acc: bool, nc: i32): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0);
  let c5 = f32x4.splat(0);
  let v = f32x4.splat(0);
  const end = pb + (<usize>kc << 5);
  while (pb < end) {
    v = v128.load(a + <usize>load<i32>(tt));
    c0 = madd(v128.load32_splat(pb, 0), v, c0);
    c1 = madd(v128.load32_splat(pb, 4), v, c1);
    c2 = madd(v128.load32_splat(pb, 8), v, c2);
    c3 = madd(v128.load32_splat(pb, 12), v, c3);
    c4 = madd(v128.load32_splat(pb, 16), v, c4);
    c5 = madd(v128.load32_splat(pb, 20), v, c5);
    if (pb + 32 >= end) break;
    v = v128.load(a + <usize>load<i32>(tt, 4));
    c0 = madd(v128.load32_splat(pb, 32), v, c0);
    c1 = madd(v128.load32_splat(pb, 36), v, c1);
    c2 = madd(v128.load32_splat(pb, 40), v, c2);
    c3 = madd(v128.load32_splat(pb, 44), v, c3);
    c4 = madd(v128.load32_splat(pb, 48), v, c4);
    c5 = madd(v128.load32_splat(pb, 52), v, c5);
    if (pb + 64 >= end) break;
    v = v128.load(a + <usize>load<i32>(tt, 8));
    c0 = madd(v128.load32_splat(pb, 64), v, c0);
    c1 = madd(v128.load32_splat(pb, 68), v, c1);
    c2 = madd(v128.load32_splat(pb, 72), v, c2);
    c3 = madd(v128.load32_splat(pb, 76), v, c3);
    c4 = madd(v128.load32_splat(pb, 80), v, c4);
    c5 = madd(v128.load32_splat(pb, 84), v, c5);
    if (pb + 96 >= end) break;
    v = v128.load(a + <usize>load<i32>(tt, 12));
    c0 = madd(v128.load32_splat(pb, 96), v, c0);
    c1 = madd(v128.load32_splat(pb, 100), v, c1);
    c2 = madd(v128.load32_splat(pb, 104), v, c2);
    c3 = madd(v128.load32_splat(pb, 108), v, c3);
    c4 = madd(v128.load32_splat(pb, 112), v, c4);
    c5 = madd(v128.load32_splat(pb, 116), v, c5);
    tt += 16;
    pb += 128;
  }
  storeRow(c, c0, acc);
  if (nc > 1) storeRow(c + ldc, c1, acc);
  if (nc > 2) storeRow(c + 2 * ldc, c2, acc);
  if (nc > 3) storeRow(c + 3 * ldc, c3, acc);
  if (nc > 4) storeRow(c + 4 * ldc, c4, acc);
  if (nc > 5) storeRow(c + 5 * ldc, c5, acc);
}

/** Lane `l` of each of four vectors, as one vector (a column of the 4×4 block they form). */
@inline function trLane(r0: v128, r1: v128, r2: v128, r3: v128, l: i32): v128 {
  const lo = l < 2 ? v128.shuffle<i32>(r0, r1, 0, 4, 1, 5) : v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const hi = l < 2 ? v128.shuffle<i32>(r2, r3, 0, 4, 1, 5) : v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  return (l & 1) == 0 ? v128.shuffle<i32>(lo, hi, 0, 1, 4, 5) : v128.shuffle<i32>(lo, hi, 2, 3, 6, 7);
}

@inline function storeRow(c: usize, v: v128, acc: bool): void {
  v128.store(c, acc ? f32x4.add(v128.load(c), v) : v);
}

// ---- the input gradient of a convolution with unit strides as a direct correlation: dX[ci, i] =
// Σ_(f, t) W[f, ci, t] · dYp[f, i + dl·(K−1−t)], dYp being dY inside a border of dl·(K−1) − pb in
// front (and dl·(K−1) − pe behind): the forward's direct product (directTiles) over the flipped taps.

/** Estimated work of the direct input gradient (tiles of four positions along the rows); +∞ where it does not apply. */
function dataDirectCost(Cg: i32, Fg: i32, KK: i32): f64 {
  if (st0 != 1 || st1 != 1 || st2 != 1) return Infinity;
  // the borders must not be negative: pb ≤ dl·(K−1), and O ≤ S + pb (pe ≤ dl·(K−1))
  if (pb0 > dl0 * (K0 - 1) || pb1 > dl1 * (K1 - 1) || pb2 > dl2 * (K2 - 1)) return Infinity;
  if (O0 > S0 + pb0 || O1 > S1 + pb1 || O2 > S2 + pb2) return Infinity;
  const Kd = Fg * KK;
  if (Kd > MAX_TAPS) return Infinity;
  const D0 = S0 + dl0 * (K0 - 1), D1 = S1 + dl1 * (K1 - 1), D2 = S2 + dl2 * (K2 - 1);
  if (<u64>Fg * <u64>D0 * <u64>D1 * <u64>D2 * 4 + 64 > <u64>(KC * NC * 4)) return Infinity;
  if (<u64>Kd * <u64>roundUp(Cg, NR) * 4 > <u64>SCR_W_BYTES) return Infinity;
  return <f64>S0 * <f64>S1 * <f64>roundUp(S2, MR) * <f64>roundUp(Cg, NR) * <f64>Kd;
}

function dataDirect(
  dy: usize, w: usize, dx: usize, split: i32, tid: i32, nt: i32,
  Cg: i32, Fg: i32, KK: i32, P: i32, Q: i32,
): void {
  const runs = S0 * S1;
  let u0 = 0, u1 = N * G, R0 = 0, R1 = runs;
  if (split == 0) {
    u0 = share(N * G, tid, nt, 1);
    u1 = share(N * G, tid + 1, nt, 1);
  } else {
    R0 = share(runs, tid, nt, 1);
    R1 = share(runs, tid + 1, nt, 1);
  }
  if (u0 >= u1 || R0 >= R1) return;
  xD0 = S0 + dl0 * (K0 - 1);
  xD1 = S1 + dl1 * (K1 - 1);
  xD2 = S2 + dl2 * (K2 - 1);
  const xp = scratch() + SCR_B;
  const wp = scratch() + SCR_W;
  const tt = scratch() + SCR_USER;
  const CgPad = roundUp(Cg, NR);
  const Kd = Fg * KK;
  const planeD = xD0 * xD1 * xD2;
  const kcb = balanced(Kd, KC, 4);
  // tap table: byte offset of tap k = (f, t0, t1, t2), flipped, in the padded dY
  {
    let k2 = 0, k1 = 0, kk0 = 0, f = 0;
    for (let k = 0; k < Kd; k++) {
      const o = f * planeD + ((K0 - 1 - kk0) * dl0 * xD1 + (K1 - 1 - k1) * dl1) * xD2 + (K2 - 1 - k2) * dl2;
      store<i32>(tt + (<usize>k << 2), o << 2);
      if (++k2 == K2) {
        k2 = 0;
        if (++k1 == K1) {
          k1 = 0;
          if (++kk0 == K0) {
            kk0 = 0;
            f++;
          }
        }
      }
    }
  }
  memory.fill(xp, 0, <usize>(Fg * planeD) << 2);
  for (let u = u0; u < u1; u++) {
    const g = u / N;
    const n = u % N;
    if (u == u0 || n == 0) {
      // B (k = (f, t), ci) = w[g·Fg + f, ci, t], every K block
      const wg = w + (<usize>(g * Fg * Cg * KK) << 2);
      for (let pc = 0; pc < Kd; pc += kcb) {
        const kc = min(kcb, Kd - pc);
        for (let jr = 0; jr < CgPad; jr += NR) {
          let q = wp + (<usize>(pc * CgPad + jr * kc) << 2);
          for (let k = pc; k < pc + kc; k++) {
            const f = k / KK;
            const t = k % KK;
            for (let c = 0; c < NR; c++) {
              const ci = jr + c;
              store<f32>(q + (<usize>c << 2), ci < Cg ? load<f32>(wg + (<usize>((f * Cg + ci) * KK + t) << 2)) : 0);
            }
            q += 32;
          }
        }
      }
    }
    copyPadded(xp, dy + (<usize>((n * F + g * Fg) * P) << 2), Fg, O0, O1, O2, dl0 * (K0 - 1) - pb0, dl1 * (K1 - 1) - pb1, dl2 * (K2 - 1) - pb2);
    directTiles(xp, wp, tt, dx + (<usize>((n * C + g * Cg) * Q) << 2), Cg, CgPad, Kd, kcb, Q, R0, R1, S1, S2, 1, 1);
  }
}
