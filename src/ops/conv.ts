import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { batched } from './batching.js';
import { add } from './binary.js';
import { defineOp, expectCount, expectFloat, expectSameDtype, run1, type TensorMeta } from './define.js';
import { pad, reshape } from './shape.js';
import {
  checkKernelFits,
  checkWindowAttrs,
  convOutLen,
  effectiveKernel,
  normInts,
  normPadding,
  type Padding,
  spatialRank,
} from './window.js';

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
function convShape(op: string, x: readonly number[], w: readonly number[], a: ConvAttrs): number[] {
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

/** Just the ConvAttrs of an attribute object (drops inputShape / filterShape). */
const base = ({ stride, padBegin, padEnd, dilation, groups }: ConvAttrs): ConvAttrs => ({
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
    () => convBackwardData(dy, w, { ...base(attrs), inputShape: [...x.shape] }),
    () => convBackwardFilter(x, dy, { ...base(attrs), filterShape: [...w.shape] }),
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
    () => conv(ddx, w, base(attrs)),
    () => convBackwardFilter(ddx, dy, { ...base(attrs), filterShape: [...w.shape] }),
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
    () => convBackwardData(dy, ddw, { ...base(attrs), inputShape: [...x.shape] }),
    () => conv(x, ddw, base(attrs)),
  ],
});

/** The conv primitive with normalized attributes (see conv1d/conv2d/conv3d for the friendly form). */
export const conv = (x: Tensor, w: Tensor, attrs: ConvAttrs): Tensor => run1(convOp, [x, w], base(attrs));
export const convBackwardData = (dy: Tensor, w: Tensor, attrs: ConvBackwardDataAttrs): Tensor =>
  run1(convBackwardDataOp, [dy, w], { ...base(attrs), inputShape: [...attrs.inputShape] });
export const convBackwardFilter = (x: Tensor, dy: Tensor, attrs: ConvBackwardFilterAttrs): Tensor =>
  run1(convBackwardFilterOp, [x, dy], { ...base(attrs), filterShape: [...attrs.filterShape] });

// ---------------------------------------------------------------- user-facing functions

export interface ConvOptions {
  /** Default 1. */
  stride?: number | number[];
  /** A number, one per axis, [begin, end] per axis, 'valid' (default, = 0) or 'same'. */
  padding?: Padding;
  /** Default 1. */
  dilation?: number | number[];
  /** Default 1; C and F must be multiples of it (groups = C is depthwise). */
  groups?: number;
  /** Added per output channel, shape [F]. */
  bias?: Tensor | null;
}

/** Adds a bias of shape [F] along axis 1 of an (N, F, ...spatial) tensor. */
function addBias(fn: string, y: Tensor, bias: Tensor | null | undefined): Tensor {
  if (!bias) return y;
  const F = y.shape[1];
  if (bias.shape.length !== 1 || bias.shape[0] !== F)
    throw new StrataError(fn, `bias must have shape [${F}] (output channels), got [${bias.shape}]`);
  return add(y, reshape(bias, [F, ...y.shape.slice(2).map(() => 1)]));
}

function convNd(fn: string, r: number, x: Tensor, w: Tensor, o: ConvOptions): Tensor {
  return batched(fn, x, r, (x) => {
    const stride = normInts(fn, 'stride', o.stride, r, 1);
    const dilation = normInts(fn, 'dilation', o.dilation, r, 1);
    const S = x.shape.slice(2);
    const K = w.shape.slice(2);
    if (o.padding === 'same' && K.length !== r)
      throw new StrataError(fn, `weight [${w.shape}] must have ${r} kernel axes`);
    const pads = normPadding(fn, o.padding, S, K, stride, dilation);
    return addBias(fn, conv(x, w, { stride, dilation, ...pads, groups: o.groups ?? 1 }), o.bias);
  });
}

/**
 * Convolution over 1, 2 or 3 spatial axes: x (N, C, ...S) or (C, ...S), w (F, C/groups, ...K).
 * Shape: O = floor((S + padBegin + padEnd − dilation·(K − 1) − 1) / stride) + 1 per axis.
 */
export const conv1d = (x: Tensor, w: Tensor, opts: ConvOptions = {}): Tensor =>
  convNd('conv1d', 1, x, w, opts);
export const conv2d = (x: Tensor, w: Tensor, opts: ConvOptions = {}): Tensor =>
  convNd('conv2d', 2, x, w, opts);
export const conv3d = (x: Tensor, w: Tensor, opts: ConvOptions = {}): Tensor =>
  convNd('conv3d', 3, x, w, opts);

export interface ConvTransposeOptions extends Omit<ConvOptions, 'padding'> {
  /** Removed from the output: a number, one per axis, or [begin, end] per axis. Default 0. */
  padding?: number | number[] | Array<[number, number]>;
  /** Added at the end of each axis (resolves the output size for stride > 1). Default 0. */
  outputPadding?: number | number[];
}

function convTransposeNd(fn: string, r: number, x: Tensor, w: Tensor, o: ConvTransposeOptions): Tensor {
  return batched(fn, x, r, (x) => {
    if (typeof o.padding === 'string')
      throw new StrataError(fn, `padding must be a number or a list, got '${o.padding}'`);
    const stride = normInts(fn, 'stride', o.stride, r, 1);
    const dilation = normInts(fn, 'dilation', o.dilation, r, 1);
    const outPad = normInts(fn, 'outputPadding', o.outputPadding, r, 0);
    const groups = o.groups ?? 1;
    const [N, Cin, ...S] = x.shape;
    if (w.shape.length !== r + 2 || w.shape[0] !== Cin)
      throw new StrataError(
        fn,
        `weight must have shape (in-channels ${Cin}, out-channels/groups, ...kernel) of rank ${r + 2}, got [${w.shape}]`,
      );
    if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0)
      throw new StrataError(
        fn,
        `groups (${groups}) must be a positive divisor of the input channels (${Cin})`,
      );
    const K = w.shape.slice(2);
    const { padBegin, padEnd } = normPadding(fn, o.padding, S, K, stride, dilation);
    const out = S.map((s, i) => {
      if (outPad[i] < 0 || outPad[i] >= Math.max(stride[i], dilation[i]))
        throw new StrataError(
          fn,
          `outputPadding (${outPad[i]}) must be non-negative and smaller than stride (${stride[i]}) or dilation (${dilation[i]})`,
        );
      const n =
        (s - 1) * stride[i] - padBegin[i] - padEnd[i] + effectiveKernel(K[i], dilation[i]) + outPad[i];
      if (n < 1)
        throw new StrataError(
          fn,
          `output size ${n} on spatial axis ${i} is not positive (input [${x.shape}])`,
        );
      return n;
    });
    // The end padding only sets the size: fold outputPadding into it; where outputPadding exceeds
    // it, the extra positions get no contribution and are zero-padded (bias still adds to them).
    const end = padEnd.map((p, i) => Math.max(p - outPad[i], 0));
    const extra = padEnd.map((p, i) => Math.max(outPad[i] - p, 0));
    const inner = out.map((n, i) => n - extra[i]);
    const attrs = { stride, dilation, padBegin, padEnd: end, groups };
    let y = convBackwardData(x, w, { ...attrs, inputShape: [N, w.shape[1] * groups, ...inner] });
    if (extra.some((e) => e > 0))
      y = pad(y, [[0, 0], [0, 0], ...extra.map((e) => [0, e] as [number, number])]);
    return addBias(fn, y, o.bias);
  });
}

/**
 * Transposed convolution (the input gradient of conv): x (N, Cin, ...S), w (Cin, Cout/groups, ...K),
 * PyTorch's layout. Shape: O = (S − 1)·stride − padBegin − padEnd + dilation·(K − 1) + outputPadding + 1.
 */
export const convTranspose1d = (x: Tensor, w: Tensor, opts: ConvTransposeOptions = {}): Tensor =>
  convTransposeNd('convTranspose1d', 1, x, w, opts);
export const convTranspose2d = (x: Tensor, w: Tensor, opts: ConvTransposeOptions = {}): Tensor =>
  convTransposeNd('convTranspose2d', 2, x, w, opts);
export const convTranspose3d = (x: Tensor, w: Tensor, opts: ConvTransposeOptions = {}): Tensor =>
  convTransposeNd('convTranspose3d', 3, x, w, opts);

/** Kept for modules that import it from here (resize.ts); not re-exported by ops/index.ts. */
export { batched } from './batching.js';
