import { StrataError } from '../core/errors.js';

/**
 * Sliding-window geometry shared by the convolution and pooling ops and their kernels: shape math
 * once, kernels get a flat struct of integers (tfjs `computeConv3DInfo`, candle `ParamsConv2D`).
 *
 * Along one spatial axis of input length S, a window of K taps with stride s, dilation d and padding
 * pb (begin) / pe (end) places output position o's tap k at input position o·s − pb + k·d; positions
 * outside [0, S) are padding.
 */

/** Extent of a dilated kernel: d·(K − 1) + 1. */
export const effectiveKernel = (k: number, d: number): number => d * (k - 1) + 1;

/** Convolution output length: floor((S + pb + pe − d·(K−1) − 1) / s) + 1. */
export function convOutLen(S: number, K: number, s: number, pb: number, pe: number, d: number): number {
  return Math.floor((S + pb + pe - effectiveKernel(K, d)) / s) + 1;
}

/**
 * Pooling output length as PyTorch: floor or ceil of (S + pb + pe − d·(K−1) − 1)/s + 1; in ceil mode
 * the last window must start inside the input or the begin padding, else it is dropped.
 */
export function poolOutLen(
  S: number,
  K: number,
  s: number,
  pb: number,
  pe: number,
  d: number,
  ceil: boolean,
): number {
  const span = S + pb + pe - effectiveKernel(K, d);
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= S + pb) o--;
  return o;
}

/** The window attributes common to convolution and pooling, one entry per spatial axis. */
export interface WindowAttrs {
  stride: number[];
  padBegin: number[];
  padEnd: number[];
  dilation: number[];
}

/** Checks one window attribute: `r` integers, each at least `min` (1: positive, 0: non-negative). */
function checkList(op: string, name: string, v: unknown, r: number, min: number): void {
  if (!Array.isArray(v) || v.length !== r)
    throw new StrataError(
      op,
      `${name} must list one value per spatial axis (${r}), got ${JSON.stringify(v)}`,
    );
  for (let i = 0; i < r; i++) {
    const x = v[i];
    if (!Number.isInteger(x) || x < min)
      throw new StrataError(
        op,
        `${name} must hold ${min ? 'positive integers' : 'non-negative integers'}, got [${v}]`,
      );
  }
}

/**
 * Checks that every window attribute lists `r` integers of the right sign (`extra`: more lists of
 * positive integers, such as the pooling kernel). Runs on every op: plain loops, no allocation.
 */
export function checkWindowAttrs(op: string, r: number, a: WindowAttrs, extra?: Record<string, number[]>) {
  checkList(op, 'stride', a.stride, r, 1);
  checkList(op, 'dilation', a.dilation, r, 1);
  checkList(op, 'padBegin', a.padBegin, r, 0);
  checkList(op, 'padEnd', a.padEnd, r, 0);
  if (extra) for (const k of Object.keys(extra)) checkList(op, k, extra[k], r, 1);
}

/** Spatial rank of an (N, C, ...spatial) tensor; throws unless it is 1, 2 or 3. */
export function spatialRank(op: string, shape: readonly number[], what = 'input'): number {
  const r = shape.length - 2;
  if (r < 1 || r > 3)
    throw new StrataError(
      op,
      `${what} must have shape (N, C, ...spatial) with 1 to 3 spatial axes, got [${shape}] (rank ${shape.length})`,
    );
  return r;
}

/** Checks that the dilated kernel fits the padded input on every axis. */
export function checkKernelFits(
  op: string,
  S: readonly number[],
  K: readonly number[],
  a: WindowAttrs,
): void {
  for (let i = 0; i < S.length; i++) {
    const s = S[i];
    const ek = effectiveKernel(K[i], a.dilation[i]);
    const padded = s + a.padBegin[i] + a.padEnd[i];
    if (ek > padded)
      throw new StrataError(
        op,
        `kernel extent ${ek} (dilation ${a.dilation[i]} × (${K[i]} - 1) + 1) is larger than the padded input ${padded} (${s} + ${a.padBegin[i]} + ${a.padEnd[i]}) on spatial axis ${i}`,
      );
  }
}

/** Checks that every window of a pooling reaches at least one input element (none is all padding). */
export function checkWindowsTouchInput(
  op: string,
  S: readonly number[],
  K: readonly number[],
  O: readonly number[],
  a: WindowAttrs,
): void {
  for (let i = 0; i < S.length; i++) {
    const n = S[i];
    // Without begin padding, window o starts at o·stride ≥ 0 and touches the input iff it starts
    // inside it, so only the last window needs a look; else (or to name the culprit) every window.
    if (a.padBegin[i] === 0 && (O[i] - 1) * a.stride[i] < n) continue;
    for (let o = 0; o < O[i]; o++) {
      const start = o * a.stride[i] - a.padBegin[i];
      let hit = false;
      for (let k = 0; k < K[i] && !hit; k++) {
        const p = start + k * a.dilation[i];
        hit = p >= 0 && p < n;
      }
      if (!hit)
        throw new StrataError(
          op,
          `window ${o} on spatial axis ${i} covers only padding (input ${n}, kernel ${K[i]}, stride ${a.stride[i]}, padding ${a.padBegin[i]}/${a.padEnd[i]}, dilation ${a.dilation[i]})`,
        );
    }
  }
}

/**
 * The geometry a kernel loops over, with the spatial axes padded to three (leading axes of length 1,
 * kernel 1, stride 1, no padding). Convolution: x (N, C, ...S), w (F, C/G, ...K), y (N, F, ...O).
 * Pooling: C = F and G = C (every channel its own group).
 */
export interface Geom3 {
  N: number;
  C: number;
  F: number;
  G: number;
  S: number[];
  K: number[];
  O: number[];
  stride: number[];
  padBegin: number[];
  padEnd: number[];
  dilation: number[];
}

/** `v` (1 to 3 entries) with `fill` in front, to three entries. */
function pad3(v: readonly number[], fill: number): number[] {
  const n = v.length;
  if (n === 3) return [v[0], v[1], v[2]];
  if (n === 2) return [fill, v[0], v[1]];
  if (n === 1) return [fill, fill, v[0]];
  return [...new Array<number>(3 - n).fill(fill), ...v];
}

export function geom3(
  N: number,
  C: number,
  F: number,
  G: number,
  S: readonly number[],
  K: readonly number[],
  O: readonly number[],
  a: WindowAttrs,
): Geom3 {
  return {
    N,
    C,
    F,
    G,
    S: pad3(S, 1),
    K: pad3(K, 1),
    O: pad3(O, 1),
    stride: pad3(a.stride, 1),
    padBegin: pad3(a.padBegin, 0),
    padEnd: pad3(a.padEnd, 0),
    dilation: pad3(a.dilation, 1),
  };
}

// ---------------------------------------------------------------- user-facing option normalization

/** Padding as the user gives it: one number, one per axis, [begin, end] per axis, or a rule. */
export type Padding =
  | number
  | readonly number[]
  | ReadonlyArray<readonly [number, number]>
  | 'same'
  | 'valid';

/** A number or one number per spatial axis, as a list of `r` numbers. */
export function normInts(
  fn: string,
  name: string,
  v: number | readonly number[] | undefined,
  r: number,
  dflt: number | readonly number[],
): number[] {
  const val = v ?? dflt;
  const list = typeof val === 'number' ? new Array<number>(r).fill(val) : [...val];
  let ok = list.length === r;
  for (let i = 0; ok && i < r; i++) ok = Number.isInteger(list[i]);
  if (!ok)
    throw new StrataError(fn, `${name} must be an integer or ${r} integers, got ${JSON.stringify(val)}`);
  return list;
}

/**
 * Begin and end pads per axis. 'same' gives ceil(S / stride) outputs with the extra padding at the
 * end (ONNX SAME_UPPER; for stride 1 the total is d·(K−1), as PyTorch's 'same').
 */
export function normPadding(
  fn: string,
  padding: Padding | undefined,
  S: readonly number[],
  K: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): { padBegin: number[]; padEnd: number[] } {
  const r = S.length;
  const p = padding ?? 0;
  if (p === 'valid') return { padBegin: new Array(r).fill(0), padEnd: new Array(r).fill(0) };
  if (p === 'same') {
    const total = S.map((s, i) => {
      const o = Math.ceil(s / stride[i]);
      return Math.max((o - 1) * stride[i] + effectiveKernel(K[i], dilation[i]) - s, 0);
    });
    return { padBegin: total.map((t) => Math.floor(t / 2)), padEnd: total.map((t) => t - Math.floor(t / 2)) };
  }
  if (typeof p === 'string')
    throw new StrataError(fn, `padding must be a number, a list, 'same' or 'valid', got '${p}'`);
  if (Array.isArray(p) && p.length > 0 && Array.isArray(p[0])) {
    const pairs = p as ReadonlyArray<readonly [number, number]>;
    if (pairs.length !== r || !pairs.every((q) => Array.isArray(q) && q.length === 2))
      throw new StrataError(
        fn,
        `per-side padding must list ${r} [begin, end] pairs, got ${JSON.stringify(p)}`,
      );
    const padBegin = pairs.map((q) => q[0]);
    const padEnd = pairs.map((q) => q[1]);
    if (![...padBegin, ...padEnd].every((v) => Number.isInteger(v) && v >= 0))
      throw new StrataError(fn, `padding must hold non-negative integers, got ${JSON.stringify(p)}`);
    return { padBegin, padEnd };
  }
  const sym = normInts(fn, 'padding', p as number | readonly number[], r, 0);
  if (!sym.every((v) => v >= 0))
    throw new StrataError(fn, `padding must hold non-negative integers, got [${sym}]`);
  return { padBegin: sym, padEnd: [...sym] };
}

/**
 * Whether `x` is batched, (N, C, ...spatial), rather than (C, ...spatial) (which the user-facing
 * functions accept as PyTorch does, adding and removing a batch axis of 1); throws for other ranks.
 */
export function expectRank(fn: string, x: { shape: readonly number[] }, r: number): boolean {
  if (x.shape.length === r + 2) return true;
  if (x.shape.length === r + 1) return false;
  const names = ['L', 'H, W', 'D, H, W'][r - 1];
  throw new StrataError(
    fn,
    `input must have shape (N, C, ${names}) or (C, ${names}), got [${x.shape}] (rank ${x.shape.length})`,
  );
}
