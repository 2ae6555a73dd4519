import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { batched } from './batching.js';
import { avgPool, maxPool, unpoolScatter } from './pool.js';
import { reshape } from './shape.js';
import { expectRank, normInts, normPadding, type Padding } from './window.js';

/** The user-facing pooling functions: PyTorch-like options normalized into the pooling ops' attributes. */

export interface PoolOptions {
  kernelSize: number | number[];
  /** Default: the kernel size. */
  stride?: number | number[] | null;
  /** A number, one per axis, [begin, end] per axis, 'valid' (default, = 0) or 'same'. */
  padding?: Padding;
  /** Output size rounded up instead of down (default false). */
  ceilMode?: boolean;
}
export interface MaxPoolOptions extends PoolOptions {
  /** Default 1. */
  dilation?: number | number[];
  /** Also return the flat index of each maximum within its (n, c) input plane (int32). */
  returnIndices?: boolean;
}
export interface AvgPoolOptions extends PoolOptions {
  /** Count padding (within the padded extent) in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

function poolAttrs(fn: string, r: number, x: Tensor, o: PoolOptions & { dilation?: number | number[] }) {
  if (!o || o.kernelSize === undefined) throw new StrataError(fn, 'needs options with a kernelSize');
  const kernel = normInts(fn, 'kernelSize', o.kernelSize, r, 1);
  const stride = normInts(fn, 'stride', o.stride ?? undefined, r, kernel);
  const dilation = normInts(fn, 'dilation', o.dilation, r, 1);
  const pads = normPadding(fn, o.padding, x.shape.slice(2), kernel, stride, dilation);
  return { kernel, stride, dilation, ...pads, ceilMode: !!o.ceilMode };
}

/** Max pooling; with returnIndices, [values, indices] (indices as PyTorch's, for maxUnpool). */
export interface MaxPoolFn {
  (x: Tensor, opts: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
  (x: Tensor, opts: MaxPoolOptions): Tensor;
}
function maxPoolNd(fn: string, r: number): MaxPoolFn {
  return ((x: Tensor, o: MaxPoolOptions) =>
    batched(fn, x, r, (x) => {
      const res = maxPool(x, poolAttrs(fn, r, x, o));
      return o.returnIndices ? res : res[0];
    })) as MaxPoolFn;
}

/**
 * Max pooling over 1, 2 or 3 spatial axes of (N, C, ...S) or (C, ...S); padding counts as −∞.
 * Shape: O = floor (or ceil) of (S + padBegin + padEnd − dilation·(K − 1) − 1) / stride + 1.
 */
export const maxPool1d: MaxPoolFn = maxPoolNd('maxPool1d', 1);
export const maxPool2d: MaxPoolFn = maxPoolNd('maxPool2d', 2);
export const maxPool3d: MaxPoolFn = maxPoolNd('maxPool3d', 3);

function avgPoolNd(fn: string, r: number) {
  return (x: Tensor, o: AvgPoolOptions): Tensor =>
    batched(fn, x, r, (x) => {
      const a = poolAttrs(fn, r, x, { ...o, dilation: 1 });
      return avgPool(x, { ...a, countIncludePad: o.countIncludePad ?? true });
    });
}

/** Average pooling; the shape rule is max pooling's (without dilation). */
export const avgPool1d = avgPoolNd('avgPool1d', 1);
export const avgPool2d = avgPoolNd('avgPool2d', 2);
export const avgPool3d = avgPoolNd('avgPool3d', 3);

export interface MaxUnpoolOptions {
  kernelSize: number | number[];
  /** Default: the kernel size. */
  stride?: number | number[] | null;
  padding?: number | number[] | Array<[number, number]>;
  /** Spatial output size (or the full (N, C, ...) shape); default (O − 1)·stride − padding + kernel. */
  outputSize?: number[];
}

function maxUnpoolNd(fn: string, r: number) {
  return (x: Tensor, indices: Tensor, o: MaxUnpoolOptions): Tensor => {
    if (!o || o.kernelSize === undefined) throw new StrataError(fn, 'needs options with a kernelSize');
    if (typeof o.padding === 'string')
      throw new StrataError(fn, `padding must be a number or a list, got '${o.padding}'`);
    const batch = expectRank(fn, x, r);
    if (indices.rank !== x.rank || indices.shape.some((d, i) => d !== x.shape[i]))
      throw new StrataError(fn, `indices [${indices.shape}] must have the shape of the input [${x.shape}]`);
    const kernel = normInts(fn, 'kernelSize', o.kernelSize, r, 1);
    const stride = normInts(fn, 'stride', o.stride ?? undefined, r, kernel);
    const O = x.shape.slice(-r);
    const { padBegin, padEnd } = normPadding(
      fn,
      o.padding,
      O,
      kernel,
      stride,
      kernel.map(() => 1),
    );
    let size = O.map((n, i) => (n - 1) * stride[i] - padBegin[i] - padEnd[i] + kernel[i]);
    if (o.outputSize) {
      const s = [...o.outputSize];
      if (s.length !== r && s.length !== x.rank)
        throw new StrataError(fn, `outputSize must list ${r} spatial sizes, got [${s}]`);
      size = s.slice(-r);
    }
    if (!size.every((n) => Number.isInteger(n) && n >= 1))
      throw new StrataError(fn, `output size [${size}] must hold positive integers`);
    if (batch) return unpoolScatter(x, indices, size);
    const y = unpoolScatter(reshape(x, [1, ...x.shape]), reshape(indices, [1, ...indices.shape]), size);
    return reshape(y, y.shape.slice(1));
  };
}

/**
 * Max-unpooling: zeros of the output size with each value placed at its index (from maxPool with
 * returnIndices). Values sharing an index are added (PyTorch keeps one of them).
 */
export const maxUnpool1d = maxUnpoolNd('maxUnpool1d', 1);
export const maxUnpool2d = maxUnpoolNd('maxUnpool2d', 2);
export const maxUnpool3d = maxUnpoolNd('maxUnpool3d', 3);
