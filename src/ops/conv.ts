import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { defineOp, expectCount, expectFloat, expectSameDtype, run1, type TensorMeta } from './define.js';
import { checkKernelFits, checkWindowAttrs, convOutLen, spatialRank } from './window.js';

/**
 * N-d convolution (cross-correlation, as every framework) and its two backward products, layout
 * NCHW / NCDHW with 1 to 3 spatial axes. The three ops are the same trilinear form
 * Σ x[n, g·C/G + c, o·s − pb + k·d] · w[f, c, k] · dy[n, f, o] contracted three ways, so every
 * gradient of each is one of the three (tfjs `conv2DBackpropInput`; candle `backprop.rs`).
 *
 * Shape: x (N, C, ...S), w (F, C/groups, ...K) → y (N, F, ...O) with
 * O = floor((S + padBegin + padEnd − dilation·(K − 1) − 1) / stride) + 1.
 */
export interface ConvAttrs {
  /** One entry per spatial axis. */
  stride: number[];
  padBegin: number[];
  padEnd: number[];
  dilation: number[];
  groups: number;
}
/** The input gradient of conv, which is also the transposed convolution. */
export type ConvBackwardDataAttrs = ConvAttrs & { inputShape: number[] };
/** The weight gradient of conv. */
export type ConvBackwardFilterAttrs = ConvAttrs & { filterShape: number[] };

/** Validates a convolution of input shape `x` by filter shape `w`; returns the output shape. */
export function convShape(op: string, x: readonly number[], w: readonly number[], a: ConvAttrs): number[] {
  const r = spatialRank(op, x, 'input');
  if (w.length !== x.length)
    throw new StrataError(
      op,
      `weight [${w}] must have the rank of the input [${x}] (${x.length}): (out-channels, in-channels/groups, ...kernel)`,
    );
  checkWindowAttrs(op, r, a);
  const { groups: G } = a;
  if (!Number.isInteger(G) || G < 1) throw new StrataError(op, `groups must be a positive integer, got ${G}`);
  const [N, C, ...S] = x;
  const [F, Cg, ...K] = w;
  if (C !== Cg * G)
    throw new StrataError(op, `input channels (${C}) must equal weight in-channels × groups (${Cg} × ${G})`);
  if (F % G !== 0) throw new StrataError(op, `output channels (${F}) must be divisible by groups (${G})`);
  if (!K.every((k) => Number.isInteger(k) && k >= 1))
    throw new StrataError(op, `kernel sizes must be positive, got weight shape [${w}]`);
  checkKernelFits(op, S, K, a);
  return [
    N,
    F,
    ...S.map((s, i) => convOutLen(s, K[i], a.stride[i], a.padBegin[i], a.padEnd[i], a.dilation[i])),
  ];
}

function checkShapeAttr(op: string, name: string, shape: readonly number[], rank: number): void {
  if (!Array.isArray(shape) || shape.length !== rank || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new StrataError(
      op,
      `${name} must list ${rank} non-negative integers, got ${JSON.stringify(shape)}`,
    );
}

function checkPair(op: string, a: TensorMeta, b: TensorMeta): void {
  expectFloat(op, a);
  expectSameDtype(op, a, b);
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Just the ConvAttrs of an attribute object (drops inputShape / filterShape, act). */
export const convAttrsOf = ({ stride, padBegin, padEnd, dilation, groups }: ConvAttrs): ConvAttrs => ({
  stride,
  padBegin,
  padEnd,
  dilation,
  groups,
});

export const convOp = defineOp<ConvAttrs>({
  name: 'conv',
  infer: (inputs, attrs) => {
    expectCount('conv', inputs, 2);
    const [x, w] = inputs;
    checkPair('conv', x, w);
    return [{ shape: convShape('conv', x.shape, w.shape, attrs), dtype: x.dtype }];
  },
  grad: ([dy], { inputs: [x, w], attrs }) => [
    () => convBackwardData(dy, w, { ...convAttrsOf(attrs), inputShape: [...x.shape] }),
    () => convBackwardFilter(x, dy, { ...convAttrsOf(attrs), filterShape: [...w.shape] }),
  ],
});

export const convBackwardDataOp = defineOp<ConvBackwardDataAttrs>({
  name: 'convBackwardData',
  infer: (inputs, attrs) => {
    const op = 'convBackwardData';
    expectCount(op, inputs, 2);
    const [dy, w] = inputs;
    checkPair(op, dy, w);
    checkShapeAttr(op, 'inputShape', attrs.inputShape, dy.shape.length);
    const y = convShape(op, attrs.inputShape, w.shape, attrs);
    if (!sameShape(y, dy.shape))
      throw new StrataError(
        op,
        `dy [${dy.shape}] must have the shape [${y}] of the convolution of input [${attrs.inputShape}] by weight [${w.shape}]`,
      );
    return [{ shape: [...attrs.inputShape], dtype: dy.dtype }];
  },
  // dx = B(dy, w) is bilinear; with ddx the gradient of dx: d(dy) = conv(ddx, w), dw = BF(ddx, dy).
  grad: ([ddx], { inputs: [dy, w], attrs }) => [
    () => conv(ddx, w, convAttrsOf(attrs)),
    () => convBackwardFilter(ddx, dy, { ...convAttrsOf(attrs), filterShape: [...w.shape] }),
  ],
});

export const convBackwardFilterOp = defineOp<ConvBackwardFilterAttrs>({
  name: 'convBackwardFilter',
  infer: (inputs, attrs) => {
    const op = 'convBackwardFilter';
    expectCount(op, inputs, 2);
    const [x, dy] = inputs;
    checkPair(op, x, dy);
    checkShapeAttr(op, 'filterShape', attrs.filterShape, x.shape.length);
    const y = convShape(op, x.shape, attrs.filterShape, attrs);
    if (!sameShape(y, dy.shape))
      throw new StrataError(
        op,
        `dy [${dy.shape}] must have the shape [${y}] of the convolution of input [${x.shape}] by weight [${attrs.filterShape}]`,
      );
    return [{ shape: [...attrs.filterShape], dtype: x.dtype }];
  },
  // dw = BF(x, dy); with ddw the gradient of dw: dx = B(dy, ddw), d(dy) = conv(x, ddw).
  grad: ([ddw], { inputs: [x, dy], attrs }) => [
    () => convBackwardData(dy, ddw, { ...convAttrsOf(attrs), inputShape: [...x.shape] }),
    () => conv(x, ddw, convAttrsOf(attrs)),
  ],
});

/** The conv primitive with normalized attributes (see conv1d/conv2d/conv3d for the friendly form). */
export const conv = (x: Tensor, w: Tensor, attrs: ConvAttrs): Tensor =>
  run1(convOp, [x, w], convAttrsOf(attrs));
export const convBackwardData = (dy: Tensor, w: Tensor, attrs: ConvBackwardDataAttrs): Tensor =>
  run1(convBackwardDataOp, [dy, w], { ...convAttrsOf(attrs), inputShape: [...attrs.inputShape] });
export const convBackwardFilter = (x: Tensor, dy: Tensor, attrs: ConvBackwardFilterAttrs): Tensor =>
  run1(convBackwardFilterOp, [x, dy], { ...convAttrsOf(attrs), filterShape: [...attrs.filterShape] });

/** Kept for modules that import it from here (resize.ts); not re-exported by ops/index.ts. */
export { batched } from './batching.js';
