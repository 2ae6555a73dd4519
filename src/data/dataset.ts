import { fromTypedArray } from '../core/creation.js';
import { StrataError } from '../core/errors.js';
import { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

/**
 * A labelled data set held in memory: examples one after another in `x` (row-major, float32, each of
 * `shape`, for images [C,H,W] with values in [0, 1]) and one integer class label per example in `y`.
 */
export interface Dataset {
  x: Float32Array;
  /** Shape of one example (without the batch axis). */
  shape: number[];
  y: Int32Array;
  /** Class names by label; their count is the number of classes. */
  classNames: string[];
}

export function exampleSize(d: Pick<Dataset, 'shape'>): number {
  return d.shape.reduce((a, b) => a * b, 1);
}

export function datasetLength(d: Dataset): number {
  return d.y.length;
}

/** Checks that sizes agree and every label is a class; throws naming `where` with the numbers. */
export function validateDataset(d: Dataset, where = 'dataset'): Dataset {
  if (!Array.isArray(d.shape) || d.shape.length === 0 || d.shape.some((s) => !Number.isInteger(s) || s < 1))
    throw new StrataError(where, `example shape must be positive integers, got ${JSON.stringify(d.shape)}`);
  const per = exampleSize(d);
  if (d.x.length !== d.y.length * per)
    throw new StrataError(
      where,
      `${d.y.length} labels need ${d.y.length * per} values of shape [${d.shape}], got ${d.x.length}`,
    );
  const k = d.classNames.length;
  if (k < 1) throw new StrataError(where, 'needs at least one class name');
  for (let i = 0; i < d.y.length; i++)
    if (!(d.y[i] >= 0 && d.y[i] < k))
      throw new StrataError(where, `label ${d.y[i]} of example ${i} is out of range 0..${k - 1}`);
  return d;
}

/**
 * A data set from arrays in memory: `x` flat (N × prod(shape)) or one array per example, labels as
 * integers. Class names default to '0', '1', … up to the largest label.
 */
export function arrayDataset(
  x: Float32Array | ArrayLike<number> | ArrayLike<ArrayLike<number>>,
  shape: number[],
  labels: ArrayLike<number>,
  classNames?: string[],
): Dataset {
  let flat: Float32Array;
  if (x instanceof Float32Array) flat = x;
  else if (x.length > 0 && typeof x[0] !== 'number') {
    const rows = x as ArrayLike<ArrayLike<number>>;
    const per = shape.reduce((a, b) => a * b, 1);
    flat = new Float32Array(rows.length * per);
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].length !== per)
        throw new StrataError(
          'arrayDataset',
          `example ${i} has ${rows[i].length} values, shape [${shape}] needs ${per}`,
        );
      flat.set(rows[i], i * per);
    }
  } else flat = Float32Array.from(x as ArrayLike<number>);
  const y = Int32Array.from(labels);
  for (let i = 0; i < labels.length; i++)
    if (!Number.isInteger(labels[i]))
      throw new StrataError('arrayDataset', `label ${labels[i]} of example ${i} is not an integer`);
  let max = -1;
  for (const v of y) max = Math.max(max, v);
  const names = classNames ?? Array.from({ length: max + 1 }, (_, i) => String(i));
  return validateDataset({ x: flat, shape: [...shape], y, classNames: names }, 'arrayDataset');
}

/** The examples at `indices`, in that order (copied). */
export function subset(d: Dataset, indices: ArrayLike<number>): Dataset {
  const per = exampleSize(d);
  const x = new Float32Array(indices.length * per);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < d.y.length))
      throw new StrataError('subset', `index ${j} is out of range 0..${d.y.length - 1}`);
    x.set(d.x.subarray(j * per, (j + 1) * per), i * per);
    y[i] = d.y[j];
  }
  return { x, shape: [...d.shape], y, classNames: [...d.classNames] };
}

/** 0..n−1 in an order drawn from `gen` (Fisher–Yates). */
export function permutation(n: number, gen: Generator): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  gen.shuffle(a);
  return a;
}

/**
 * Splits a data set in two with the class proportions of the whole in each part (stratified), seeded.
 * `holdout` is a count of examples (>= 1) or a fraction (< 1). Per class, round(share) examples go to the
 * held-out part, with largest remainders fixing the total to exactly the requested count.
 */
export function stratifiedSplit(
  d: Dataset,
  holdout: number,
  seed = 0,
): { train: Dataset; test: Dataset; trainIndices: Int32Array; testIndices: Int32Array } {
  const n = d.y.length;
  const want = holdout < 1 ? Math.round(holdout * n) : holdout;
  if (!Number.isInteger(want) || want < 1 || want >= n)
    throw new StrataError(
      'stratifiedSplit',
      `the held-out part must be 1..${n - 1} examples or a fraction in (0, 1), got ${holdout}`,
    );
  const gen = new Generator(seed);
  const k = d.classNames.length;
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) byClass[d.y[i]].push(i);
  const exact = byClass.map((c) => (c.length * want) / n);
  const take = exact.map(Math.floor);
  let left = want - take.reduce((a, b) => a + b, 0);
  const order = exact.map((e, c) => [e - Math.floor(e), c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, c] of order) {
    if (left === 0) break;
    if (take[c] < byClass[c].length) {
      take[c]++;
      left--;
    }
  }
  const test: number[] = [];
  const train: number[] = [];
  byClass.forEach((idx, c) => {
    gen.shuffle(idx);
    test.push(...idx.slice(0, take[c]));
    train.push(...idx.slice(take[c]));
  });
  const trainIndices = Int32Array.from(train.sort((a, b) => a - b));
  const testIndices = Int32Array.from(test.sort((a, b) => a - b));
  return { train: subset(d, trainIndices), test: subset(d, testIndices), trainIndices, testIndices };
}

/** A function that changes one example in place of its shape (augmentation); see transforms.ts. */
export type Transform = (example: Float32Array, shape: readonly number[], gen: Generator) => Float32Array;

export interface HostBatch {
  /** [B, ...shape] row-major. */
  x: Float32Array;
  /** [B, ...shape]. */
  shape: number[];
  labels: Int32Array;
  size: number;
}

export interface Batch {
  /** [B, ...shape] float32 (made on first read). */
  readonly x: Tensor;
  /** [B] int32 labels (made on first read). */
  readonly y: Tensor;
  /** The labels on the host. */
  labels: Int32Array;
  size: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Order of the examples (default: 0..N−1). */
  order?: ArrayLike<number>;
  /** Applied to each example (a copy) with `generator`. */
  transform?: Transform;
  generator?: Generator;
  /** Skip a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** Number of batches `batches` yields. */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * The examples in batches on the host (gathered in `order`, transformed), made on demand; the training
 * loop turns each into tensors inside its step's scope.
 */
export function* hostBatches(d: Dataset, opts: BatchOptions): IterableIterator<HostBatch> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new StrataError('batches', `batchSize must be a positive integer, got ${batchSize}`);
  const n = d.y.length;
  const order = opts.order ?? Int32Array.from({ length: n }, (_, i) => i);
  const per = exampleSize(d);
  const count = batchCount(order.length, batchSize, opts.dropLast);
  const gen = opts.generator ?? new Generator(0);
  for (let b = 0; b < count; b++) {
    const start = b * batchSize;
    const size = Math.min(batchSize, order.length - start);
    const x = new Float32Array(size * per);
    const labels = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const j = order[start + i];
      const ex = d.x.subarray(j * per, (j + 1) * per);
      x.set(opts.transform ? opts.transform(ex.slice(), d.shape, gen) : ex, i * per);
      labels[i] = d.y[j];
    }
    yield { x, shape: [size, ...d.shape], labels, size };
  }
}

/**
 * The examples in batches of tensors. A batch's `x` and `y` tensors are made when first read, so reading
 * them inside a step's `scope` lets the scope free them with the step's other tensors.
 */
export function* batches(d: Dataset, opts: BatchOptions): IterableIterator<Batch> {
  for (const b of hostBatches(d, opts)) {
    let x: Tensor | undefined;
    let y: Tensor | undefined;
    yield {
      get x() {
        x ??= fromTypedArray(b.x, b.shape);
        return x;
      },
      get y() {
        y ??= fromTypedArray(b.labels, [b.size]);
        return y;
      },
      labels: b.labels,
      size: b.size,
    };
  }
}
