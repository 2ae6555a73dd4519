// Vector exp / log / sigmoid in f32x4 (about 1–2 ulp), and erf in f64 (the reference algorithm).

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

/** e^x per lane; overflow gives +Inf, underflow 0, NaN stays NaN. */
@inline export function expv(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-104.0)), f32x4.splat(88.8));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  // Taylor to r^7 on |r| <= ln2/2: truncation 5e-9
  let p = f32x4.splat(1.9841269841e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3888888889e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3333333333e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1666666667e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666666667e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  // 2^n in two halves so that n in [-150, 128] never leaves the normal range
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

const SQRT2: f32 = 1.41421356237;

/** Natural log per lane; 0 gives -Inf, negatives and NaN give NaN, +Inf stays +Inf. */
@inline export function logv(x: v128): v128 {
  const den = f32x4.lt(x, f32x4.splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608.0)), x, den);
  const bits = xs;
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(127));
  e = i32x4.sub(e, v128.and(den, i32x4.splat(23)));
  let m = v128.or(v128.and(bits, i32x4.splat(0x7fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, f32x4.splat(SQRT2));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big);
  const f = f32x4.sub(m, f32x4.splat(1.0));
  const s = f32x4.div(f, f32x4.add(f32x4.splat(2.0), f));
  const z = f32x4.mul(s, s);
  let R = f32x4.splat(0.11111111111);
  R = f32x4.add(f32x4.mul(R, z), f32x4.splat(0.14285714286));
  R = f32x4.add(f32x4.mul(R, z), f32x4.splat(0.2));
  R = f32x4.add(f32x4.mul(R, z), f32x4.splat(0.33333333333));
  R = f32x4.mul(R, z);
  const s2 = f32x4.add(s, s);
  const ef = f32x4.convert_i32x4_s(e);
  let res = f32x4.add(f32x4.mul(s2, R), f32x4.mul(ef, f32x4.splat(LN2_LO)));
  res = f32x4.add(f32x4.add(res, s2), f32x4.mul(ef, f32x4.splat(LN2_HI)));
  res = v128.bitselect(f32x4.splat(-Infinity), res, f32x4.eq(x, f32x4.splat(0)));
  res = v128.bitselect(x, res, f32x4.eq(x, f32x4.splat(Infinity)));
  res = v128.bitselect(f32x4.splat(NaN), res, v128.or(f32x4.lt(x, f32x4.splat(0)), f32x4.ne(x, x)));
  return res;
}

/** 1 / (1 + e^-x), stable on both sides: with e = e^-|x|, 1/(1+e) or e/(1+e). */
@inline export function sigmoidv(x: v128): v128 {
  const e = expv(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, f32x4.splat(0)));
}

/** erf to about 1e-15: Taylor series below 3, a continued fraction for erfc above (as the reference). */
export function erf64(x: f64): f64 {
  const ax = Math.abs(x);
  if (isNaN(x)) return x;
  if (ax < 3) {
    let term = x;
    let s = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / <f64>n;
      const add = term / <f64>(2 * n + 1);
      s += add;
      if (Math.abs(add) < 1e-17 * Math.abs(s)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * s;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + <f64>k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return (x > 0 ? 1 : -1) * (1 - erfc);
}
