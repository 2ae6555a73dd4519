import type { Kernel, OutMeta } from '../../core/backend.js';
import { broadcastStrides } from '../../core/shape.js';
import type { AttrsOf, KernelTable } from '../../ops/registry.js';
import { dataOf, out } from './storage.js';

type UnaryName =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'sign'
  | 'relu'
  | 'sigmoid'
  | 'softplus'
  | 'tanh'
  | 'erf'
  | 'leakyRelu'
  | 'elu'
  | 'clamp'
  | 'cast';

/** The scalar formula of every element-wise op of one input: the specification. */
export const unaryFormulas: { [K in UnaryName]: (a: AttrsOf<K>) => (x: number) => number } = {
  neg: () => (x) => -x,
  exp: () => Math.exp,
  log: () => Math.log,
  sqrt: () => Math.sqrt,
  abs: () => Math.abs,
  sign: () => Math.sign,
  relu: () => (x) => (x > 0 ? x : x === x ? 0 : x),
  sigmoid: () => (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: () => (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  tanh: () => Math.tanh,
  erf: () => erf,
  leakyRelu: (a) => (x) => (x > 0 ? x : a.alpha * x),
  elu: (a) => (x) => (x > 0 ? x : a.alpha * Math.expm1(x)),
  // min(max(x, min), max): when min > max every value becomes max (PyTorch, NumPy, ONNX Clip).
  clamp: (a) => (x) => {
    const y = x < a.min ? a.min : x;
    return y > a.max ? a.max : y;
  },
  cast: () => (x) => x,
};

/**
 * erf to about 1e-15 relative (Taylor series below 2, continued fraction for erfc above). The series
 * loses digits to cancellation as |x| grows: switching at 3 left errors of 3e-14 near 3.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return x;
  if (ax < 2) {
    let term = x;
    let s = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      s += add;
      if (Math.abs(add) < 1e-17 * Math.abs(s)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * s;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function unaryKernel<K extends UnaryName>(name: K): Kernel<AttrsOf<K>> {
  return ([x], attrs, [m]) => {
    const f = unaryFormulas[name](attrs);
    const xs = dataOf(x);
    const o = out(m);
    const ys = o.data;
    for (let i = 0; i < ys.length; i++) ys[i] = f(xs[i]);
    return [o];
  };
}

/** Visits every element of `outShape` (row-major) with running offsets for each stride list. */
export function forEachStrided(
  outShape: readonly number[],
  strides: readonly (readonly number[])[],
  bases: readonly number[],
  visit: (i: number, offsets: Int32Array) => void,
): void {
  const r = outShape.length;
  const k = strides.length;
  const offs = Int32Array.from(bases);
  const idx = new Int32Array(r);
  let n = 1;
  for (const d of outShape) n *= d;
  for (let i = 0; i < n; i++) {
    visit(i, offs);
    for (let ax = r - 1; ax >= 0; ax--) {
      idx[ax]++;
      for (let j = 0; j < k; j++) offs[j] += strides[j][ax];
      if (idx[ax] < outShape[ax]) break;
      for (let j = 0; j < k; j++) offs[j] -= strides[j][ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}

/** Visits every element of `outShape` with the matching offsets into inputs broadcast to it. */
export function forEachBroadcast(
  outShape: readonly number[],
  inputs: readonly { readonly shape: readonly number[] }[],
  visit: (i: number, offsets: Int32Array) => void,
): void {
  forEachStrided(
    outShape,
    inputs.map((t) => broadcastStrides(t.shape, outShape)),
    inputs.map(() => 0),
    visit,
  );
}

type BinaryName =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'equal'
  | 'notEqual'
  | 'less'
  | 'lessEqual'
  | 'greater'
  | 'greaterEqual'
  | 'reluBackward';

const binaryFormulas: { [K in BinaryName]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a !== a || b !== b ? Number.NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? Number.NaN : a < b ? a : b),
  equal: (a, b) => +(a === b),
  notEqual: (a, b) => +(a !== b),
  less: (a, b) => +(a < b),
  lessEqual: (a, b) => +(a <= b),
  greater: (a, b) => +(a > b),
  greaterEqual: (a, b) => +(a >= b),
  /** dy · [x > 0]: the product keeps mul's NaN and signed zeros. */
  reluBackward: (dy, x) => dy * +(x > 0),
};

function binaryKernel(name: BinaryName): Kernel<Record<string, never>> {
  const f = binaryFormulas[name];
  return (inputs, _a, [m]: readonly OutMeta[]) => {
    const [as, bs] = inputs.map(dataOf);
    const o = out(m);
    const ys = o.data;
    forEachBroadcast(m.shape, inputs, (i, off) => {
      ys[i] = f(as[off[0]], bs[off[1]]);
    });
    return [o];
  };
}

/**
 * a + alpha·b with alpha and the product rounded to the output's type (float32: as mul would
 * store them), so it is add(a, mul(b, alpha)) bit for bit.
 */
const addScaled: Kernel<AttrsOf<'addScaled'>> = (inputs, { alpha }, [m]) => {
  const [as, bs] = inputs.map(dataOf);
  const o = out(m);
  const ys = o.data;
  const r = ys instanceof Float32Array ? Math.fround : (v: number) => v;
  const al = r(alpha);
  forEachBroadcast(m.shape, inputs, (i, off) => {
    ys[i] = as[off[0]] + r(al * bs[off[1]]);
  });
  return [o];
};

export const elementwiseKernels = {
  addScaled,
  ...(Object.fromEntries(Object.keys(unaryFormulas).map((k) => [k, unaryKernel(k as UnaryName)])) as {
    [K in UnaryName]: Kernel<AttrsOf<K>>;
  }),
  ...(Object.fromEntries(Object.keys(binaryFormulas).map((k) => [k, binaryKernel(k as BinaryName)])) as {
    [K in BinaryName]: Kernel<AttrsOf<K>>;
  }),
  where: (inputs, _a, [m]) => {
    const [cs, as, bs] = inputs.map(dataOf);
    const o = out(m);
    const ys = o.data;
    forEachBroadcast(m.shape, inputs, (i, off) => {
      ys[i] = cs[off[0]] !== 0 ? as[off[1]] : bs[off[2]];
    });
    return [o];
  },
} satisfies Partial<KernelTable>;
