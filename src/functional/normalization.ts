import { full } from '../core/creation.js';
import { StrataError } from '../core/errors.js';
import { normAxes, sizeOf } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { batchNormTrain } from '../ops/batchnorm.js';
import { add, mul, pow, sub } from '../ops/binary.js';
import { avgPool } from '../ops/pool.js';
import { mean } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';

/**
 * Normalizations, composed from ops (mean, sub, mul, pow, avgPool, reshape): autograd gives the
 * backward, no gradient code here. Layout NC… (channels on axis 1), as PyTorch and ONNX.
 *
 * NOTE: composite, except training-mode batch normalization, which runs the fused ops of
 * src/ops/batchnorm.ts. The backward of the others is the chain of the pieces' gradients, which is
 * exact but runs about three times as many element-wise passes as a fused kernel would.
 */

export interface Moments {
  /** Mean over the axes, kept as size-1 axes. */
  mean: Tensor;
  /** Biased (population) variance over the axes, kept as size-1 axes. */
  variance: Tensor;
  /** x − mean, reused by the normalization. */
  centered: Tensor;
}

/** Mean and biased variance over `axes` (kept as size-1 axes), plus the centred input. */
export function moments(x: Tensor, axes: number | readonly number[]): Moments {
  const ax = normAxes('moments', axes, x.rank);
  const m = mean(x, ax, true);
  const centered = sub(x, m);
  return { mean: m, variance: mean(mul(centered, centered), ax, true), centered };
}

/** 1 / √(variance + eps). */
export function invStd(variance: Tensor, eps: number): Tensor {
  return pow(add(variance, eps), -0.5);
}

export interface AffineOptions {
  /** Scale (γ), broadcast against the normalized tensor. */
  weight?: Tensor | null;
  /** Offset (β), broadcast against the normalized tensor. */
  bias?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

function affine(y: Tensor, o: AffineOptions): Tensor {
  if (o.weight) y = mul(y, o.weight);
  if (o.bias) y = add(y, o.bias);
  return y;
}

/** A per-channel vector [C] reshaped to broadcast along axis 1 of a tensor of rank `rank`. */
export function channelShaped(v: Tensor, rank: number): Tensor {
  return reshape(v, [v.size, ...new Array<number>(Math.max(rank - 2, 0)).fill(1)]);
}

function checkChannels(fn: string, x: Tensor, v: Tensor | null | undefined, what: string): void {
  if (v && (v.rank !== 1 || v.shape[0] !== x.shape[1]))
    throw new StrataError(fn, `${what} must have shape [${x.shape[1]}] (channels), got [${v.shape}]`);
}

export interface BatchNormOptions extends AffineOptions {
  /** Per-channel statistics [C] used for inference (and ignored in training). */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** Use the batch's statistics (default false: the running statistics). */
  training?: boolean;
}

export interface BatchNormResult {
  output: Tensor;
  /** Batch mean [C] (training) — for updating running statistics. */
  mean: Tensor;
  /** Batch variance [C], biased (training). */
  variance: Tensor;
  /** Elements per channel that the statistics came from (N × spatial size). */
  count: number;
}

/**
 * Batch normalization of x (N, C, …spatial) with statistics per channel over the batch and spatial
 * axes. Training: batch mean and biased variance (also returned, for the running update);
 * inference: `runningMean` / `runningVar`. y = (x − μ)/√(σ² + eps)·weight + bias.
 * Training runs the fused ops batchNormTrain / batchNormBackward (src/ops/batchnorm.ts); the returned
 * mean and variance carry gradients too. Inference is composed. Shape: output = input.
 */
export function batchNormWithStats(x: Tensor, opts: BatchNormOptions = {}): BatchNormResult {
  const fn = 'batchNorm';
  if (x.rank < 2) throw new StrataError(fn, `input must have shape (N, C, …), got [${x.shape}]`);
  for (const [k, v] of [
    ['weight', opts.weight],
    ['bias', opts.bias],
    ['runningMean', opts.runningMean],
    ['runningVar', opts.runningVar],
  ] as const)
    checkChannels(fn, x, v, k);
  const eps = opts.eps ?? 1e-5;
  const r = x.rank;
  const count = x.size / Math.max(x.shape[1], 1);
  if (opts.training) {
    // One fused op (statistics, normalization, affine) and its fused gradient; an absent weight or
    // bias is a constant 1 or 0 (no gradient is computed for a constant).
    const C = x.shape[1];
    const like = { dtype: x.dtype, backend: x.backend };
    const [y, mean, variance] = batchNormTrain(
      x,
      opts.weight ?? full([C], 1, like),
      opts.bias ?? full([C], 0, like),
      eps,
    );
    return { output: y, mean, variance, count };
  }
  if (!opts.runningMean || !opts.runningVar)
    throw new StrataError(fn, 'inference needs runningMean and runningVar (or training: true)');
  const w = opts.weight ? channelShaped(opts.weight, r) : null;
  const b = opts.bias ? channelShaped(opts.bias, r) : null;
  const rm = channelShaped(opts.runningMean, r);
  const rv = channelShaped(opts.runningVar, r);
  const y = affine(mul(sub(x, rm), invStd(rv, eps)), { weight: w, bias: b });
  return { output: y, mean: opts.runningMean, variance: opts.runningVar, count };
}

/** Batch normalization; see batchNormWithStats. */
export function batchNorm(x: Tensor, opts: BatchNormOptions = {}): Tensor {
  return batchNormWithStats(x, opts).output;
}

/**
 * Layer normalization: statistics per example over `axes` (axes of the full tensor, default every
 * axis but the batch); weight and bias broadcast against x (PyTorch's `normalized_shape` parameters
 * are x.shape over the trailing axes). Shape: output = input.
 */
export function layerNorm(x: Tensor, axes?: number | readonly number[], opts: AffineOptions = {}): Tensor {
  const ax = axes === undefined ? x.shape.map((_, i) => i).slice(1) : normAxes('layerNorm', axes, x.rank);
  const m = moments(x, ax);
  return affine(mul(m.centered, invStd(m.variance, opts.eps ?? 1e-5)), opts);
}

/**
 * Group normalization of x (N, C, …spatial): channels split into `groups` groups, statistics per
 * example and group over the group's channels and the spatial axes; weight and bias per channel [C].
 * Shape: output = input.
 */
export function groupNorm(x: Tensor, groups: number, opts: AffineOptions = {}): Tensor {
  const fn = 'groupNorm';
  if (x.rank < 2) throw new StrataError(fn, `input must have shape (N, C, …), got [${x.shape}]`);
  const [N, C] = x.shape;
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0)
    throw new StrataError(fn, `channels (${C}) must be divisible by groups (${groups})`);
  checkChannels(fn, x, opts.weight, 'weight');
  checkChannels(fn, x, opts.bias, 'bias');
  const g = reshape(x, [N, groups, (C / groups) * sizeOf(x.shape.slice(2))]);
  const m = moments(g, 2);
  const y = reshape(mul(m.centered, invStd(m.variance, opts.eps ?? 1e-5)), x.shape);
  return affine(y, {
    weight: opts.weight ? channelShaped(opts.weight, x.rank) : null,
    bias: opts.bias ? channelShaped(opts.bias, x.rank) : null,
  });
}

/**
 * Instance normalization of x (N, C, …spatial): statistics per example and channel over the spatial
 * axes (group normalization with one group per channel); weight and bias per channel [C].
 * Shape: output = input.
 */
export function instanceNorm(x: Tensor, opts: AffineOptions = {}): Tensor {
  if (x.rank < 3)
    throw new StrataError('instanceNorm', `input must have shape (N, C, …spatial), got [${x.shape}]`);
  return groupNorm(x, x.shape[1], opts);
}

export interface LocalResponseNormOptions {
  /** Channels in the window (default 5). */
  size?: number;
  /** Default 1e-4. */
  alpha?: number;
  /** Default 0.75. */
  beta?: number;
  /** Default 1 (ONNX calls it `bias`). */
  k?: number;
}

/**
 * Local response (cross-channel) normalization, ONNX/PyTorch semantics:
 *   y_c = x_c / (k + α/size · Σ_{c' ∈ window(c)} x_{c'}²)^β,
 * window(c) = [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] clipped to the channels (ONNX; PyTorch puts the
 * extra channel of an even size before c instead of after). x (N, C, …spatial). Shape: output = input.
 * NOTE: the window sum is an average pooling over the channel axis (divisor `size`, zero padding).
 */
export function localResponseNorm(x: Tensor, opts: LocalResponseNormOptions = {}): Tensor {
  const fn = 'localResponseNorm';
  const size = opts.size ?? 5;
  if (!Number.isInteger(size) || size < 1)
    throw new StrataError(fn, `size must be a positive integer, got ${size}`);
  if (x.rank < 2) throw new StrataError(fn, `input must have shape (N, C, …), got [${x.shape}]`);
  const [N, C] = x.shape;
  const L = sizeOf(x.shape.slice(2));
  const sq = reshape(mul(x, x), [N, 1, C, L]);
  const before = Math.floor((size - 1) / 2);
  const after = size - 1 - before;
  const avg = avgPool(sq, {
    kernel: [size, 1],
    stride: [1, 1],
    padBegin: [before, 0],
    padEnd: [after, 0],
    dilation: [1, 1],
    ceilMode: false,
    countIncludePad: true,
  });
  const denom = pow(add(mul(reshape(avg, x.shape), opts.alpha ?? 1e-4), opts.k ?? 1), -(opts.beta ?? 0.75));
  return mul(x, denom);
}

/** The running-statistics update: (1 − momentum)·running + momentum·batch (PyTorch's convention). */
export function runningUpdate(running: Tensor, batch: Tensor, momentum: number): Tensor {
  return add(mul(running, 1 - momentum), mul(batch, momentum));
}
