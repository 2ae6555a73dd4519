// Element-wise kernels: one input (SIMD where the formula allows), two inputs with broadcasting
// (collapsed shapes; SIMD inner loops for same-shape, scalar and row/column broadcast), where, casts.
import { ACT_RELU } from '../opcodes';
import {
  B_ADD, B_ADD_SCALED, B_DIV, B_EQUAL, B_GREATER, B_GREATER_EQUAL, B_LESS, B_LESS_EQUAL, B_MAXIMUM, B_MINIMUM, B_MUL,
  B_NOT_EQUAL, B_POW, B_RELU_BACKWARD, B_SUB, CAST_F2I, U_ABS, U_CLAMP, U_COPY, U_ELU, U_ERF, U_EXP, U_LEAKY_RELU, U_LOG,
  U_NEG, U_RELU, U_SIGMOID, U_SIGN, U_SOFTPLUS, U_SQRT, U_TANH,
} from '../opcodes';
import { pf, pi, share } from './common';
import { erf64, expv, logv, sigmoidv } from './math';

const ONES: v128 = f32x4(1, 1, 1, 1);
const SIGN_MASK: v128 = i32x4(0x80000000, 0x80000000, 0x80000000, 0x80000000);

@inline function unaryV(op: i32, x: v128, a: f32, b: f32): v128 {
  switch (op) {
    case U_NEG: return f32x4.neg(x);
    case U_EXP: return expv(x);
    case U_LOG: return logv(x);
    case U_SQRT: return f32x4.sqrt(x);
    case U_ABS: return f32x4.abs(x);
    case U_SIGN: {
      // ±1 keeping the sign; 0, -0 and NaN unchanged
      const one = v128.or(v128.and(x, SIGN_MASK), ONES);
      const keep = v128.or(f32x4.eq(x, f32x4.splat(0)), f32x4.ne(x, x));
      return v128.bitselect(x, one, keep);
    }
    case U_RELU: return f32x4.max(x, f32x4.splat(0));
    case U_SIGMOID: return sigmoidv(x);
    case U_LEAKY_RELU: {
      return v128.bitselect(x, f32x4.mul(x, f32x4.splat(a)), f32x4.gt(x, f32x4.splat(0)));
    }
    case U_CLAMP: {
      // x < min ? min : x > max ? max : x (NaN passes through)
      const lo = f32x4.splat(a);
      const hi = f32x4.splat(b);
      let r = v128.bitselect(hi, x, f32x4.gt(x, hi));
      return v128.bitselect(lo, r, f32x4.lt(x, lo));
    }
    default: return x;
  }
}

/** Ops computed one value at a time in f64 (to match the reference's accuracy). */
@inline function unaryS(op: i32, x: f32, a: f32): f32 {
  const v = <f64>x;
  switch (op) {
    case U_TANH: return <f32>Math.tanh(v);
    case U_ERF: return <f32>erf64(v);
    case U_ELU: return x > 0 ? x : <f32>(<f64>a * Math.expm1(v));
    case U_SOFTPLUS: return <f32>(v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
    default: return x;
  }
}

@inline function isScalarOp(op: i32): bool {
  return op == U_TANH || op == U_ERF || op == U_ELU || op == U_SOFTPLUS;
}

@inline function unaryLoop(op: i32, x: usize, y: usize, n: i32, a: f32, b: f32): void {
  if (isScalarOp(op)) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, unaryS(op, load<f32>(x + o), a));
    }
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, unaryV(op, v128.load(x + o), a, b));
  }
  if (i < n) {
    // tail: up to three lanes through the vector formula
    const r = n - i;
    const o = <usize>i << 2;
    let v = f32x4.splat(load<f32>(x + o));
    if (r > 1) v = f32x4.replace_lane(v, 1, load<f32>(x + o, 4));
    if (r > 2) v = f32x4.replace_lane(v, 2, load<f32>(x + o, 8));
    v = unaryV(op, v, a, b);
    store<f32>(y + o, f32x4.extract_lane(v, 0));
    if (r > 1) store<f32>(y + o, f32x4.extract_lane(v, 1), 4);
    if (r > 2) store<f32>(y + o, f32x4.extract_lane(v, 2), 8);
  }
}

/** p = [op, x, y, n, a (f32), b (f32)]; threads split the range. */
export function unary(p: usize, tid: i32, nt: i32): void {
  const op = pi(p, 0);
  const x = <usize>pi(p, 1);
  const y = <usize>pi(p, 2);
  const n = pi(p, 3);
  const a = pf(p, 4);
  const b = pf(p, 5);
  const i0 = share(n, tid, nt, 16);
  const i1 = share(n, tid + 1, nt, 16);
  if (i0 >= i1) return;
  const xs = x + (<usize>i0 << 2);
  const ys = y + (<usize>i0 << 2);
  const m = i1 - i0;
  switch (op) {
    case U_NEG: unaryLoop(U_NEG, xs, ys, m, a, b); break;
    case U_EXP: unaryLoop(U_EXP, xs, ys, m, a, b); break;
    case U_LOG: unaryLoop(U_LOG, xs, ys, m, a, b); break;
    case U_SQRT: unaryLoop(U_SQRT, xs, ys, m, a, b); break;
    case U_ABS: unaryLoop(U_ABS, xs, ys, m, a, b); break;
    case U_SIGN: unaryLoop(U_SIGN, xs, ys, m, a, b); break;
    case U_RELU: unaryLoop(U_RELU, xs, ys, m, a, b); break;
    case U_SIGMOID: unaryLoop(U_SIGMOID, xs, ys, m, a, b); break;
    case U_TANH: unaryLoop(U_TANH, xs, ys, m, a, b); break;
    case U_ERF: unaryLoop(U_ERF, xs, ys, m, a, b); break;
    case U_LEAKY_RELU: unaryLoop(U_LEAKY_RELU, xs, ys, m, a, b); break;
    case U_ELU: unaryLoop(U_ELU, xs, ys, m, a, b); break;
    case U_CLAMP: unaryLoop(U_CLAMP, xs, ys, m, a, b); break;
    case U_SOFTPLUS: unaryLoop(U_SOFTPLUS, xs, ys, m, a, b); break;
    default: memory.copy(ys, xs, <usize>m << 2);
  }
}

/** p = [kind, x, y, n]: 0 float → int32 (truncating, saturating), 1 int32 → float. */
export function cast(p: usize, tid: i32, nt: i32): void {
  const kind = pi(p, 0);
  const x = <usize>pi(p, 1);
  const y = <usize>pi(p, 2);
  const n = pi(p, 3);
  const i0 = share(n, tid, nt, 16);
  const i1 = share(n, tid + 1, nt, 16);
  let i = i0;
  if (kind == CAST_F2I) {
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, i32x4.trunc_sat_f32x4_s(v128.load(x + o)));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      store<i32>(y + o, <i32>load<f32>(x + o));
    }
  } else {
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.convert_i32x4_s(v128.load(x + o)));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, <f32>load<i32>(x + o));
    }
  }
}

// ---------------------------------------------------------------- two inputs

/** addScaled's alpha for the current job (every lane), set by `binary`. */
let alphaV: v128 = f32x4.splat(0);

@inline function binV(op: i32, a: v128, b: v128, al: v128): v128 {
  switch (op) {
    case B_ADD: return f32x4.add(a, b);
    // a + alpha·b: a separate multiply and add (never fused), as add(a, mul(b, alpha)) rounds
    case B_ADD_SCALED: return f32x4.add(a, f32x4.mul(b, al));
    case B_SUB: return f32x4.sub(a, b);
    case B_MUL: return f32x4.mul(a, b);
    case B_DIV: return f32x4.div(a, b);
    case B_MAXIMUM: return f32x4.max(a, b);
    case B_MINIMUM: return f32x4.min(a, b);
    case B_EQUAL: return v128.and(f32x4.eq(a, b), ONES);
    case B_NOT_EQUAL: return v128.and(f32x4.ne(a, b), ONES);
    case B_LESS: return v128.and(f32x4.lt(a, b), ONES);
    case B_LESS_EQUAL: return v128.and(f32x4.le(a, b), ONES);
    case B_GREATER: return v128.and(f32x4.gt(a, b), ONES);
    case B_GREATER_EQUAL: return v128.and(f32x4.ge(a, b), ONES);
    // relu's gradient dy · [x > 0] (a = dy, b = x), the product of mul(dy, greater(x, 0)) exactly
    case B_RELU_BACKWARD: return f32x4.mul(a, v128.and(f32x4.gt(b, f32x4.splat(0)), ONES));
    default: {
      // pow: per lane in f64
      let r = f32x4.splat(<f32>Math.pow(<f64>f32x4.extract_lane(a, 0), <f64>f32x4.extract_lane(b, 0)));
      r = f32x4.replace_lane(r, 1, <f32>Math.pow(<f64>f32x4.extract_lane(a, 1), <f64>f32x4.extract_lane(b, 1)));
      r = f32x4.replace_lane(r, 2, <f32>Math.pow(<f64>f32x4.extract_lane(a, 2), <f64>f32x4.extract_lane(b, 2)));
      return f32x4.replace_lane(r, 3, <f32>Math.pow(<f64>f32x4.extract_lane(a, 3), <f64>f32x4.extract_lane(b, 3)));
    }
  }
}

@inline function binS(op: i32, a: f32, b: f32, al: v128): f32 {
  if (op == B_POW) return <f32>Math.pow(<f64>a, <f64>b);
  return f32x4.extract_lane(binV(op, f32x4.splat(a), f32x4.splat(b), al), 0);
}

/** One row of n outputs; sa, sb are the inputs' element strides along it (0 = broadcast). */
@inline function binRow(op: i32, a: usize, sa: i32, b: usize, sb: i32, y: usize, n: i32): void {
  const al = alphaV;
  let i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, binV(op, v128.load(a + o), v128.load(b + o), al));
    }
  } else if (sa == 1 && sb == 0) {
    const bv = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, binV(op, v128.load(a + o), bv, al));
    }
  } else if (sa == 0 && sb == 1) {
    const av = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, binV(op, av, v128.load(b + o), al));
    }
  }
  for (; i < n; i++)
    store<f32>(
      y + (<usize>i << 2),
      binS(op, load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2)), al),
    );
}

/**
 * p = [op, rank, a, b, y, shape[rank], sa[rank], sb[rank], alpha (f32)] with collapsed dims
 * (innermost last). Threads split the rows (or, for rank 1, the row itself).
 */
export function binary(p: usize, tid: i32, nt: i32): void {
  const op = pi(p, 0);
  const rank = pi(p, 1);
  alphaV = f32x4.splat(pf(p, 5 + 3 * rank));
  const a = <usize>pi(p, 2);
  const b = <usize>pi(p, 3);
  const y = <usize>pi(p, 4);
  const L = pi(p, 5 + rank - 1);
  const sa = pi(p, 5 + rank + rank - 1);
  const sb = pi(p, 5 + 2 * rank + rank - 1);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= pi(p, 5 + d);
  if (rows == 1) {
    const i0 = share(L, tid, nt, 16);
    const i1 = share(L, tid + 1, nt, 16);
    if (i0 < i1) binDispatch(op, a + (<usize>(i0 * sa) << 2), sa, b + (<usize>(i0 * sb) << 2), sb, y + (<usize>i0 << 2), i1 - i0);
    return;
  }
  const r0 = share(rows, tid, nt, 1);
  const r1 = share(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    // offsets of row r: decompose over the outer dims
    let rem = r;
    let oa = 0;
    let ob = 0;
    for (let d = rank - 2; d >= 0; d--) {
      const n = pi(p, 5 + d);
      const i = rem % n;
      rem /= n;
      oa += i * pi(p, 5 + rank + d);
      ob += i * pi(p, 5 + 2 * rank + d);
    }
    binDispatch(op, a + (<usize>oa << 2), sa, b + (<usize>ob << 2), sb, y + (<usize>(r * L) << 2), L);
  }
}

function binDispatch(op: i32, a: usize, sa: i32, b: usize, sb: i32, y: usize, n: i32): void {
  switch (op) {
    case B_ADD: binRow(B_ADD, a, sa, b, sb, y, n); break;
    case B_ADD_SCALED: binRow(B_ADD_SCALED, a, sa, b, sb, y, n); break;
    case B_SUB: binRow(B_SUB, a, sa, b, sb, y, n); break;
    case B_MUL: binRow(B_MUL, a, sa, b, sb, y, n); break;
    case B_DIV: binRow(B_DIV, a, sa, b, sb, y, n); break;
    case B_POW: binRow(B_POW, a, sa, b, sb, y, n); break;
    case B_MAXIMUM: binRow(B_MAXIMUM, a, sa, b, sb, y, n); break;
    case B_MINIMUM: binRow(B_MINIMUM, a, sa, b, sb, y, n); break;
    case B_EQUAL: binRow(B_EQUAL, a, sa, b, sb, y, n); break;
    case B_NOT_EQUAL: binRow(B_NOT_EQUAL, a, sa, b, sb, y, n); break;
    case B_LESS: binRow(B_LESS, a, sa, b, sb, y, n); break;
    case B_LESS_EQUAL: binRow(B_LESS_EQUAL, a, sa, b, sb, y, n); break;
    case B_GREATER: binRow(B_GREATER, a, sa, b, sb, y, n); break;
    case B_GREATER_EQUAL: binRow(B_GREATER_EQUAL, a, sa, b, sb, y, n); break;
    case B_RELU_BACKWARD: binRow(B_RELU_BACKWARD, a, sa, b, sb, y, n); break;
  }
}

/**
 * where: p = [rank, c, a, b, y, shape[rank], sc[rank], sa[rank], sb[rank]]: y = c != 0 ? a : b.
 */
export function where(p: usize, tid: i32, nt: i32): void {
  const rank = pi(p, 0);
  const c = <usize>pi(p, 1);
  const a = <usize>pi(p, 2);
  const b = <usize>pi(p, 3);
  const y = <usize>pi(p, 4);
  const L = pi(p, 5 + rank - 1);
  const sc = pi(p, 5 + 2 * rank - 1);
  const sa = pi(p, 5 + 3 * rank - 1);
  const sb = pi(p, 5 + 4 * rank - 1);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= pi(p, 5 + d);
  const r0 = share(rows, tid, nt, 1);
  const r1 = share(rows, tid + 1, nt, 1);
  const vec = <u32>sc <= 1 && <u32>sa <= 1 && <u32>sb <= 1;
  for (let r = r0; r < r1; r++) {
    let rem = r;
    let oc = 0;
    let oa = 0;
    let ob = 0;
    for (let d = rank - 2; d >= 0; d--) {
      const n = pi(p, 5 + d);
      const i = rem % n;
      rem /= n;
      oc += i * pi(p, 5 + rank + d);
      oa += i * pi(p, 5 + 2 * rank + d);
      ob += i * pi(p, 5 + 3 * rank + d);
    }
    const cp = c + (<usize>oc << 2);
    const ap = a + (<usize>oa << 2);
    const bp = b + (<usize>ob << 2);
    const yp = y + (<usize>(r * L) << 2);
    let i = 0;
    if (vec) {
      const cs = v128.load32_splat(cp);
      const as = v128.load32_splat(ap);
      const bs = v128.load32_splat(bp);
      for (; i + 4 <= L; i += 4) {
        const o = <usize>i << 2;
        const cv = sc ? v128.load(cp + o) : cs;
        const av = sa ? v128.load(ap + o) : as;
        const bv = sb ? v128.load(bp + o) : bs;
        v128.store(yp + o, v128.bitselect(av, bv, f32x4.ne(cv, f32x4.splat(0))));
      }
    }
    for (; i < L; i++) {
      const cv = load<f32>(cp + (<usize>(i * sc) << 2));
      store<f32>(yp + (<usize>i << 2), cv != 0 ? load<f32>(ap + (<usize>(i * sa) << 2)) : load<f32>(bp + (<usize>(i * sb) << 2)));
    }
  }
}

// ---------------------------------------------------------------- bias + activation epilogue

/** The activation of the fused epilogue: exactly the unary op's vector formula. */
@inline function actV(act: i32, v: v128): v128 {
  return act == ACT_RELU ? unaryV(U_RELU, v, 0, 0) : v;
}

/** One row of n values in place: act(y + bv) (bv one bias splatted; no bias: bv unused). */
@inline function biasActRow(act: i32, bias: bool, y: usize, n: i32, bv: v128): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(y + o);
    v128.store(y + o, actV(act, bias ? f32x4.add(v, bv) : v));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = f32x4.splat(load<f32>(y + o));
    store<f32>(y + o, f32x4.extract_lane(actV(act, bias ? f32x4.add(v, bv) : v), 0));
  }
}

/** y[o, f] = act(y[o, f] + b[f]) for one row of F (inner size 1, as Dense): bias as a vector. */
@inline function biasActVec(act: i32, y: usize, b: usize, F: i32): void {
  let f = 0;
  for (; f + 4 <= F; f += 4) {
    const o = <usize>f << 2;
    v128.store(y + o, actV(act, f32x4.add(v128.load(y + o), v128.load(b + o))));
  }
  for (; f < F; f++) {
    const o = <usize>f << 2;
    const v = f32x4.add(f32x4.splat(load<f32>(y + o)), f32x4.splat(load<f32>(b + o)));
    store<f32>(y + o, f32x4.extract_lane(actV(act, v), 0));
  }
}

@inline function biasActRange(act: i32, y: usize, b: usize, F: i32, inner: i32, r0: i32, r1: i32): void {
  if (b == 0) {
    // no bias: the rows are one contiguous range
    biasActRow(act, false, y + (<usize>(r0 * inner) << 2), (r1 - r0) * inner, f32x4.splat(0));
  } else if (inner == 1) {
    // units are whole rows of F (outer indices)
    for (let r = r0; r < r1; r++) biasActVec(act, y + (<usize>(r * F) << 2), b, F);
  } else {
    // units are (outer, f) rows of `inner`, each with one bias
    for (let r = r0; r < r1; r++)
      biasActRow(act, true, y + (<usize>(r * inner) << 2), inner, v128.load32_splat(b + (<usize>(r % F) << 2)));
  }
}

/**
 * The epilogue of the fused convolution / dense ops, in place on their product:
 * p = [y, b (0: none), outer, F, inner, act]: y[o, f, i] = act(y[o, f, i] + b[f]) — the same float32
 * add and activation as the separate add and unary ops. Threads split the rows.
 */
export function biasAct(p: usize, tid: i32, nt: i32): void {
  const y = <usize>pi(p, 0);
  const b = <usize>pi(p, 1);
  const outer = pi(p, 2);
  const F = pi(p, 3);
  const inner = pi(p, 4);
  const act = pi(p, 5);
  const units = b != 0 && inner == 1 ? outer : outer * F;
  const r0 = share(units, tid, nt, 1);
  const r1 = share(units, tid + 1, nt, 1);
  if (r0 >= r1) return;
  if (act == ACT_RELU) biasActRange(ACT_RELU, y, b, F, inner, r0, r1);
  else biasActRange(0, y, b, F, inner, r0, r1);
}
