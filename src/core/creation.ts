import { type Backend, getBackend } from './backend.js';
import { arrayFor, type DType, dtypeOfArray, type TypedArray } from './dtype.js';
import { StrataError } from './errors.js';
import { type Generator, globalGenerator } from './random.js';
import { checkShape, type Shape, sizeOf } from './shape.js';
import { type NestedArray, Tensor } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  /** Backend name or instance; the current backend by default. */
  backend?: Backend;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  /** The generator to draw from; the global one (see manualSeed) by default. */
  generator?: Generator;
  /** Shorthand: a fresh generator with this seed. */
  seed?: number;
}

let defaultDtype: DType = 'float32';

export function setDefaultDtype(d: DType): void {
  defaultDtype = d;
}
export function getDefaultDtype(): DType {
  return defaultDtype;
}

/** Makes a tensor from host data (copied). */
export function fromTypedArray(data: TypedArray, shape: Shape, opts: CreateOptions = {}): Tensor {
  checkShape('tensor', shape);
  if (sizeOf(shape) !== data.length)
    throw new StrataError('tensor', `shape [${shape}] needs ${sizeOf(shape)} values, got ${data.length}`);
  const dtype = opts.dtype ?? dtypeOfArray(data);
  const arr = dtypeOfArray(data) === dtype ? data : convert(data, dtype);
  const b = opts.backend ?? getBackend();
  if (!b.dtypes.includes(dtype))
    throw new StrataError(
      'tensor',
      `backend '${b.name}' does not support ${dtype} (use setBackend('reference'))`,
    );
  const t = new Tensor(b.upload(arr), shape, dtype);
  if (opts.requiresGrad) t.requireGrad();
  return t;
}

function convert(data: ArrayLike<number>, dtype: DType): TypedArray {
  const out = arrayFor(dtype, data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i];
  return out;
}

function flatten(v: NestedArray, where = 'tensor'): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  const flat: number[] = [];
  const walk = (x: NestedArray, d: number, path: string) => {
    if (d === shape.length) {
      if (typeof x !== 'number')
        throw new StrataError(
          where,
          `expected a number at ${path || 'top'}, got ${Array.isArray(x) ? 'an array' : typeof x}`,
        );
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d])
      throw new StrataError(
        where,
        `ragged nested array: expected length ${shape[d]} at ${path || 'top'}, got ${Array.isArray(x) ? x.length : typeof x}`,
      );
    for (let i = 0; i < x.length; i++) walk(x[i], d + 1, `${path}[${i}]`);
  };
  walk(v, 0, '');
  return { shape, flat };
}

/**
 * Makes a tensor from a number, nested arrays or a typed array (with `shape`).
 * `tensor([[1, 2], [3, 4]])`, `tensor(new Float32Array(6), [2, 3])`.
 */
export function tensor(values: NestedArray | TypedArray, shape?: Shape, opts: CreateOptions = {}): Tensor {
  if (ArrayBuffer.isView(values)) {
    const arr = values as TypedArray;
    return fromTypedArray(arr, shape ?? [arr.length], opts);
  }
  const { shape: inferred, flat } = flatten(values);
  const dtype = opts.dtype ?? defaultDtype;
  const target = shape ?? inferred;
  if (sizeOf(target) !== flat.length)
    throw new StrataError('tensor', `shape [${target}] needs ${sizeOf(target)} values, got ${flat.length}`);
  return fromTypedArray(convert(flat, dtype), target, { ...opts, dtype });
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  const b = opts.backend ?? getBackend();
  const dtype = opts.dtype ?? defaultDtype;
  if (Object.is(value, 0) && b.dtypes.includes(dtype)) {
    // zeros straight in the backend's memory (its alloc is zero-filled): no host array to copy
    const t = new Tensor(b.alloc(sizeOf(shape), dtype), shape, dtype);
    if (opts.requiresGrad) t.requireGrad();
    return t;
  }
  const a = arrayFor(opts.dtype ?? defaultDtype, sizeOf(shape));
  if (value !== 0) a.fill(value);
  return fromTypedArray(a, shape, opts);
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** Values from `start` to `stop` (exclusive) by `step`; `arange(n)` counts 0..n-1. */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step))
    throw new StrataError('arange', `step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const a = arrayFor(opts.dtype ?? defaultDtype, n);
  for (let i = 0; i < n; i++) a[i] = start + i * step;
  return fromTypedArray(a, [n], opts);
}

function genOf(opts: RandomOptions): Generator {
  if (opts.generator) return opts.generator;
  if (opts.seed !== undefined) {
    const g = globalGenerator().fork();
    g.seed(opts.seed);
    return g;
  }
  return globalGenerator();
}

function fillWith(shape: Shape, opts: RandomOptions, f: (g: Generator) => number, op: string): Tensor {
  checkShape(op, shape);
  const g = genOf(opts);
  const a = arrayFor(opts.dtype ?? defaultDtype, sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = f(g);
  return fromTypedArray(a, shape, opts);
}

/** Uniform in [low, high). */
export function uniform(shape: Shape, low = 0, high = 1, opts: RandomOptions = {}): Tensor {
  return fillWith(shape, opts, (g) => g.uniform(low, high), 'uniform');
}

/** Normal with the given mean and standard deviation. */
export function normal(shape: Shape, mean = 0, std = 1, opts: RandomOptions = {}): Tensor {
  return fillWith(shape, opts, (g) => g.normal(mean, std), 'normal');
}

/** Uniform in [0, 1). */
export function rand(shape: Shape, opts: RandomOptions = {}): Tensor {
  return uniform(shape, 0, 1, opts);
}

/** Standard normal. */
export function randn(shape: Shape, opts: RandomOptions = {}): Tensor {
  return normal(shape, 0, 1, opts);
}

/** Copies a tensor to another backend (the data only; the copy is a leaf). */
export function toBackend(t: Tensor, backend: Backend): Tensor {
  return fromTypedArray(t.data(), t.shape, { backend, dtype: t.dtype });
}
