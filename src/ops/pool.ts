import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { defineOp, expectCount, expectFloat, run1, runOp } from './define.js';
import { max, mean } from './reduce.js';
import {
  checkKernelFits,
  checkWindowAttrs,
  checkWindowsTouchInput,
  poolOutLen,
  spatialRank,
} from './window.js';

/**
 * N-d max and average pooling, layout NCHW / NCDHW with 1 to 3 spatial axes, PyTorch semantics.
 * Max pooling returns the index of each maximum within its (n, c) input plane; its gradient and
 * max-unpooling are one scatter op (unpoolScatter), whose adjoint is a gather (poolGather).
 *
 * Shape: x (N, C, ...S) → (N, C, ...O), O = floor or ceil of (S + padBegin + padEnd − dilation·(K − 1) − 1)
 * / stride + 1; in ceil mode the last window must start inside the input or the begin padding.
 */
export interface PoolAttrs {
  /** One entry per spatial axis. */
  kernel: number[];
  stride: number[];
  padBegin: number[];
  padEnd: number[];
  dilation: number[];
  ceilMode: boolean;
}
/** countIncludePad: padding inside the padded extent counts in the divisor (never what lies beyond it). */
export type AvgPoolAttrs = PoolAttrs & { countIncludePad: boolean };
export type AvgPoolBackwardAttrs = AvgPoolAttrs & { inputShape: number[] };
export interface UnpoolScatterAttrs {
  outputSpatial: number[];
}

/** Validates a pooling of input shape `x`; returns the output shape. */
function poolShape(op: string, x: readonly number[], a: PoolAttrs): number[] {
  const r = spatialRank(op, x);
  checkWindowAttrs(op, r, a, { kernel: a.kernel });
  if (typeof a.ceilMode !== 'boolean')
    throw new StrataError(op, `ceilMode must be a boolean, got ${a.ceilMode}`);
  const [N, C, ...S] = x;
  checkKernelFits(op, S, a.kernel, a);
  const O = S.map((s, i) =>
    poolOutLen(s, a.kernel[i], a.stride[i], a.padBegin[i], a.padEnd[i], a.dilation[i], a.ceilMode),
  );
  return [N, C, ...O];
}

const poolBase = ({ kernel, stride, padBegin, padEnd, dilation, ceilMode }: PoolAttrs): PoolAttrs => ({
  kernel,
  stride,
  padBegin,
  padEnd,
  dilation,
  ceilMode,
});
const avgBase = (a: AvgPoolAttrs): AvgPoolAttrs => ({ ...poolBase(a), countIncludePad: a.countIncludePad });

/** Outputs: the maxima and (int32, no gradient) their flat indices within each input plane. */
export const maxPoolOp = defineOp<PoolAttrs>({
  name: 'maxPool',
  infer: (inputs, attrs) => {
    expectCount('maxPool', inputs, 1);
    const [x] = inputs;
    expectFloat('maxPool', x);
    const y = poolShape('maxPool', x.shape, attrs);
    checkWindowsTouchInput('maxPool', x.shape.slice(2), attrs.kernel, y.slice(2), attrs);
    return [
      { shape: y, dtype: x.dtype },
      { shape: [...y], dtype: 'int32' },
    ];
  },
  nondiffOutputs: [1],
  grad: ([dy], { inputs: [x], outputs: [, idx] }) => [() => unpoolScatter(dy, idx, x.shape.slice(2))],
});

export const avgPoolOp = defineOp<AvgPoolAttrs>({
  name: 'avgPool',
  infer: (inputs, attrs) => {
    expectCount('avgPool', inputs, 1);
    expectFloat('avgPool', inputs[0]);
    return [{ shape: poolShape('avgPool', inputs[0].shape, attrs), dtype: inputs[0].dtype }];
  },
  grad: ([dy], { inputs: [x], attrs }) => [
    () => avgPoolBackward(dy, { ...avgBase(attrs), inputShape: [...x.shape] }),
  ],
});

/** The adjoint of avgPool: spreads each dy over its window, divided as the forward divides. */
export const avgPoolBackwardOp = defineOp<AvgPoolBackwardAttrs>({
  name: 'avgPoolBackward',
  infer: (inputs, attrs) => {
    const op = 'avgPoolBackward';
    expectCount(op, inputs, 1);
    const [dy] = inputs;
    expectFloat(op, dy);
    const s = attrs.inputShape;
    if (!Array.isArray(s) || s.length !== dy.shape.length || !s.every((d) => Number.isInteger(d) && d >= 0))
      throw new StrataError(
        op,
        `inputShape must list ${dy.shape.length} non-negative integers, got ${JSON.stringify(s)}`,
      );
    const y = poolShape(op, s, attrs);
    if (y.some((d, i) => d !== dy.shape[i]))
      throw new StrataError(op, `dy [${dy.shape}] must have the shape [${y}] of the pooling of [${s}]`);
    return [{ shape: [...s], dtype: dy.dtype }];
  },
  grad: ([ddx], { attrs }) => [() => run1(avgPoolOp, [ddx], avgBase(attrs))],
});

function checkIndices(
  op: string,
  v: { shape: readonly number[] },
  idx: { dtype: string; shape: readonly number[] },
) {
  if (idx.dtype !== 'int32') throw new StrataError(op, `indices must be int32, got ${idx.dtype}`);
  spatialRank(op, idx.shape, 'indices');
  if (idx.shape.length !== v.shape.length)
    throw new StrataError(op, `indices [${idx.shape}] must have the rank of the values [${v.shape}]`);
}

/**
 * Zeros of shape (N, C, ...outputSpatial) with each value ADDED at its flat index within its (n, c)
 * plane: max-unpooling, and max-pooling's backward (overlapping windows accumulate).
 * An index outside the plane is an error (raised by the kernel, which sees the data).
 */
export const unpoolScatterOp = defineOp<UnpoolScatterAttrs>({
  name: 'unpoolScatter',
  infer: (inputs, { outputSpatial }) => {
    const op = 'unpoolScatter';
    expectCount(op, inputs, 2);
    const [v, idx] = inputs;
    expectFloat(op, v, 'values');
    checkIndices(op, v, idx);
    if (idx.shape.some((d, i) => d !== v.shape[i]))
      throw new StrataError(op, `indices [${idx.shape}] must have the shape of the values [${v.shape}]`);
    const r = v.shape.length - 2;
    if (
      !Array.isArray(outputSpatial) ||
      outputSpatial.length !== r ||
      !outputSpatial.every((d) => Number.isInteger(d) && d >= 1)
    )
      throw new StrataError(
        op,
        `outputSpatial must list ${r} positive integers, got ${JSON.stringify(outputSpatial)}`,
      );
    return [{ shape: [v.shape[0], v.shape[1], ...outputSpatial], dtype: v.dtype }];
  },
  grad: ([dy], { inputs: [, idx] }) => [() => poolGather(dy, idx), null],
});

/** x read at flat indices within each (n, c) plane: output (N, C, ...indices spatial). */
export const poolGatherOp = defineOp({
  name: 'poolGather',
  infer: (inputs) => {
    const op = 'poolGather';
    expectCount(op, inputs, 2);
    const [x, idx] = inputs;
    expectFloat(op, x);
    spatialRank(op, x.shape);
    checkIndices(op, x, idx);
    if (idx.shape[0] !== x.shape[0] || idx.shape[1] !== x.shape[1])
      throw new StrataError(op, `indices [${idx.shape}] and input [${x.shape}] must agree in N and C`);
    return [{ shape: [...idx.shape], dtype: x.dtype }];
  },
  grad: ([dy], { inputs: [x, idx] }) => [() => unpoolScatter(dy, idx, x.shape.slice(2)), null],
});

/** The pooling primitives with normalized attributes (see maxPool2d etc. for the friendly form). */
export const maxPool = (x: Tensor, attrs: PoolAttrs): [Tensor, Tensor] =>
  runOp(maxPoolOp, [x], poolBase(attrs)) as [Tensor, Tensor];
export const avgPool = (x: Tensor, attrs: AvgPoolAttrs): Tensor => run1(avgPoolOp, [x], avgBase(attrs));
export const avgPoolBackward = (dy: Tensor, attrs: AvgPoolBackwardAttrs): Tensor =>
  run1(avgPoolBackwardOp, [dy], { ...avgBase(attrs), inputShape: [...attrs.inputShape] });
export const unpoolScatter = (values: Tensor, indices: Tensor, outputSpatial: readonly number[]): Tensor =>
  run1(unpoolScatterOp, [values, indices], { outputSpatial: [...outputSpatial] });
export const poolGather = (x: Tensor, indices: Tensor): Tensor => run1(poolGatherOp, [x, indices], {});

/** Global pooling over every spatial axis, keeping them as size 1. NOTE: composites of mean / max. */
export function globalAvgPool(x: Tensor): Tensor {
  spatialRank('globalAvgPool', x.shape);
  return mean(
    x,
    x.shape.slice(2).map((_, i) => i + 2),
    true,
  );
}
/** NOTE: through max, so ties share the gradient evenly (maxPool gives it all to the first). */
export function globalMaxPool(x: Tensor): Tensor {
  spatialRank('globalMaxPool', x.shape);
  return max(
    x,
    x.shape.slice(2).map((_, i) => i + 2),
    true,
  );
}
