import { StrataError } from '../core/errors.js';
import { normAxes, normAxis, reducedShape, type Shape, shapesEqual, sizeOf } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { div, equal, mul, sub } from './binary.js';
import { defineOp, expectCount, expectFloat, run1 } from './define.js';
import { broadcastTo, reshape } from './shape.js';

export interface ReduceAttrs {
  /** Normalized, sorted axes. */
  axes: number[];
  keepDims: boolean;
}

function reduceOp(name: string, grad: ((dy: Tensor, x: Tensor, y: Tensor, a: ReduceAttrs) => Tensor) | null) {
  return defineOp<ReduceAttrs>({
    name,
    infer: (inputs, { axes, keepDims }) => {
      expectCount(name, inputs, 1);
      expectFloat(name, inputs[0]);
      return [{ shape: reducedShape(inputs[0].shape, axes, keepDims), dtype: inputs[0].dtype }];
    },
    grad: grad ? ([dy], { inputs: [x], outputs: [y], attrs }) => [() => grad(dy, x, y, attrs)] : undefined,
  });
}

/** Reshapes a reduced tensor so it broadcasts against the input again. */
function kd(t: Tensor, inShape: Shape, axes: readonly number[]): Tensor {
  return reshape(t, reducedShape(inShape, axes, true));
}

export const sumOp = reduceOp('sum', (dy, x, _y, { axes }) => broadcastTo(kd(dy, x.shape, axes), x.shape));
/** Ties share the gradient evenly. */
const extremumGrad = (dy: Tensor, x: Tensor, y: Tensor, { axes }: ReduceAttrs) => {
  const mask = equal(x, kd(y, x.shape, axes));
  const count = sum(mask, axes, true);
  return mul(mask, div(kd(dy, x.shape, axes), count));
};
export const maxOp = reduceOp('max', extremumGrad);
export const minOp = reduceOp('min', extremumGrad);

export interface ArgAttrs {
  axis: number;
  keepDims: boolean;
}
function argOp(name: string) {
  return defineOp<ArgAttrs>({
    name,
    infer: (inputs, { axis, keepDims }) => {
      expectCount(name, inputs, 1);
      expectFloat(name, inputs[0]);
      if (inputs[0].shape[axis] === 0)
        throw new StrataError(name, `cannot reduce the empty axis ${axis} of [${inputs[0].shape}]`);
      return [{ shape: reducedShape(inputs[0].shape, [axis], keepDims), dtype: 'int32' }];
    },
  });
}
export const argmaxOp = argOp('argmax');
export const argminOp = argOp('argmin');

/** One axis or several (negative counts from the end); omitted: every axis. */
export type Axes = number | readonly number[];

export const sum = (x: Tensor, axes?: Axes, keepDims = false): Tensor =>
  run1(sumOp, [x], { axes: normAxes('sum', axes, x.rank), keepDims });
export const max = (x: Tensor, axes?: Axes, keepDims = false): Tensor =>
  run1(maxOp, [x], { axes: normAxes('max', axes, x.rank), keepDims });
export const min = (x: Tensor, axes?: Axes, keepDims = false): Tensor =>
  run1(minOp, [x], { axes: normAxes('min', axes, x.rank), keepDims });
/** Index of the first largest value along `axis` (int32). */
export const argmax = (x: Tensor, axis = -1, keepDims = false): Tensor =>
  run1(argmaxOp, [x], { axis: normAxis('argmax', axis, x.rank), keepDims });
export const argmin = (x: Tensor, axis = -1, keepDims = false): Tensor =>
  run1(argminOp, [x], { axis: normAxis('argmin', axis, x.rank), keepDims });

/** NOTE: composite (sum / n); its gradient comes from sum's. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const ax = normAxes('mean', axes, x.rank);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  return div(sum(x, ax, keepDims), n);
}

/** Variance over axes; `correction` 0 (population, default) or 1 (sample). Composite. */
export function variance(x: Tensor, axes?: Axes, keepDims = false, correction = 0): Tensor {
  const ax = normAxes('variance', axes, x.rank);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  const d = sub(x, mean(x, ax, true));
  return div(sum(mul(d, d), ax, keepDims), Math.max(n - correction, 0));
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(t: Tensor, shape: Shape): Tensor {
  if (shapesEqual(t.shape, shape)) return t;
  if (!broadsTo(shape, t.shape)) throw new StrataError('sumTo', `cannot sum [${t.shape}] down to [${shape}]`);
  const lead = t.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < t.rank; i++) if (i < lead || (shape[i - lead] === 1 && t.shape[i] !== 1)) axes.push(i);
  return reshape(axes.length ? sum(t, axes, true) : t, shape);
}

/** Whether `from` broadcasts to exactly `to`. */
function broadsTo(from: Shape, to: Shape): boolean {
  const lead = to.length - from.length;
  return lead >= 0 && from.every((d, i) => d === 1 || d === to[lead + i]);
}
