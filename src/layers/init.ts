import { fromTypedArray } from '../core/creation.js';
import type { DType } from '../core/dtype.js';
import { StrataError } from '../core/errors.js';
import type { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

/**
 * Weight initializers. fanIn = in-channels × kernel volume, fanOut = out-channels × kernel volume
 * (PyTorch's convention for a weight of shape [out, in, ...kernel]; dense weights are stored [out, in]).
 * Defaults per layer: convolution and dense use heUniform (good for ReLU nets) with zero bias;
 * normalization scales are ones and offsets zeros; PReLU slopes 0.25.
 * INITIALIZER_NAMES: the initializers that can be named by a string.
 */
export const INITIALIZER_NAMES = [
  'zeros',
  'ones',
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunUniform',
  'lecunNormal',
  'orthogonal',
] as const;

export type InitializerName = (typeof INITIALIZER_NAMES)[number];

export type Initializer =
  | InitializerName
  | { constant: number }
  | { uniform: [number, number] }
  | { normal: [number, number] };

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const rf = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * rf, fanOut: shape[0] * rf };
}

/**
 * Checks an initializer (from code or a model file) before it draws anything: a known name, or
 * exactly one of { constant }, { uniform: [low, high] } with low ≤ high, { normal: [mean, std] } with
 * std ≥ 0, all finite. `where` names the layer or parameter in the error.
 */
export function checkInitializer(init: unknown, where = 'initializer'): asserts init is Initializer {
  const fail = (what: string): never => {
    throw new StrataError(
      where,
      `initializer must be one of ${INITIALIZER_NAMES.join(', ')}, { constant: c }, { uniform: [low, high] } or { normal: [mean, std] }; ${what}`,
    );
  };
  if (typeof init === 'string') {
    if (!(INITIALIZER_NAMES as readonly string[]).includes(init)) fail(`got unknown name '${init}'`);
    return;
  }
  if (!init || typeof init !== 'object' || Array.isArray(init))
    fail(`got ${JSON.stringify(init) ?? String(init)}`);
  const o = init as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== 1) fail(`got an object with keys [${keys.join(', ')}]`);
  const pair = (v: unknown, key: string): [number, number] => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      fail(`${key} needs two finite numbers, got ${JSON.stringify(v)}`);
    return v as [number, number];
  };
  if (keys[0] === 'constant') {
    if (typeof o.constant !== 'number' || !Number.isFinite(o.constant))
      fail(`constant needs a finite number, got ${JSON.stringify(o.constant)}`);
  } else if (keys[0] === 'uniform') {
    const [lo, hi] = pair(o.uniform, 'uniform');
    if (lo > hi) fail(`uniform needs low ≤ high, got [${lo}, ${hi}]`);
  } else if (keys[0] === 'normal') {
    const [, std] = pair(o.normal, 'normal');
    if (std < 0) fail(`normal needs a standard deviation ≥ 0, got ${std}`);
  } else fail(`got an object with key '${keys[0]}'`);
}

/** Values for a parameter of `shape`, drawn from `gen`. */
export function initValues(init: Initializer, shape: readonly number[], gen: Generator): Float64Array {
  checkInitializer(init);
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float64Array(n);
  const { fanIn, fanOut } = fans(shape);
  const uni = (lim: number) => {
    for (let i = 0; i < n; i++) a[i] = gen.uniform(-lim, lim);
  };
  const nor = (std: number) => {
    for (let i = 0; i < n; i++) a[i] = gen.normal(0, std);
  };
  if (typeof init === 'object') {
    if ('constant' in init) a.fill(init.constant);
    else if ('uniform' in init)
      for (let i = 0; i < n; i++) a[i] = gen.uniform(init.uniform[0], init.uniform[1]);
    else {
      nor(init.normal[1]);
      for (let i = 0; i < n; i++) a[i] += init.normal[0];
    }
    return a;
  }
  switch (init) {
    case 'zeros':
      break;
    case 'ones':
      a.fill(1);
      break;
    case 'glorotUniform':
      uni(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'glorotNormal':
      nor(Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case 'heUniform':
      uni(Math.sqrt(6 / fanIn));
      break;
    case 'heNormal':
      nor(Math.sqrt(2 / fanIn));
      break;
    case 'lecunUniform':
      uni(Math.sqrt(3 / fanIn));
      break;
    case 'lecunNormal':
      nor(Math.sqrt(1 / fanIn));
      break;
    case 'orthogonal':
      orthogonal(a, shape, gen);
      break;
    default:
      throw new StrataError('initializer', `unknown initializer '${init as string}'`);
  }
  return a;
}

/** Rows (or columns) orthonormal: Gram–Schmidt on a Gaussian matrix of [rows, cols]. */
function orthogonal(a: Float64Array, shape: readonly number[], gen: Generator): void {
  const rows = shape[0] ?? 1;
  const cols = a.length / Math.max(rows, 1);
  const tall = rows > cols;
  const [r, c] = tall ? [cols, rows] : [rows, cols];
  const m = Array.from({ length: r }, () => Float64Array.from({ length: c }, () => gen.normal()));
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let k = 0; k < c; k++) d += m[i][k] * m[j][k];
      for (let k = 0; k < c; k++) m[i][k] -= d * m[j][k];
    }
    let nrm = 0;
    for (let k = 0; k < c; k++) nrm += m[i][k] ** 2;
    nrm = Math.sqrt(nrm) || 1;
    for (let k = 0; k < c; k++) m[i][k] /= nrm;
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[i * cols + j] = tall ? m[j][i] : m[i][j];
}

export function initTensor(
  init: Initializer,
  shape: readonly number[],
  gen: Generator,
  dtype: DType = 'float32',
): Tensor {
  return fromTypedArray(initValues(init, shape, gen), shape, { dtype });
}
