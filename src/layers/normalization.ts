import type { DType } from '../core/dtype.js';
import { noGrad } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import type { Generator } from '../core/random.js';
import { sizeOf } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import {
  batchNormWithStats,
  groupNorm,
  layerNorm,
  localResponseNorm,
  runningUpdate,
} from '../functional/normalization.js';
import { mul } from '../ops/binary.js';
import { reshape } from '../ops/shape.js';
import { checkInitializer, type Initializer } from './init.js';
import { type CallContext, Layer, type LayerConfig } from './layer.js';
import { registerLayer } from './registry.js';

/**
 * Normalization layers: batch, layer, group, instance and local response (cross-channel). Each is a
 * JSON config plus parameters, with the forward through src/functional/normalization.ts (composites of
 * ops, so autograd gives the backward). Inputs are (C, …spatial) without the batch axis.
 */

function num(
  where: string,
  v: unknown,
  what: string,
  dflt: number,
  ok: (x: number) => boolean,
  rule: string,
) {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !ok(v)) throw new StrataError(where, `${what} must be ${rule}, got ${v}`);
  return v;
}
const positive = (where: string, v: unknown, what: string, dflt: number) =>
  num(where, v, what, dflt, (x) => x > 0 && Number.isFinite(x), 'a positive number');
const posInt = (where: string, v: unknown, what: string, dflt: number) =>
  num(where, v, what, dflt, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
function bool(where: string, v: unknown, what: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new StrataError(where, `${what} must be true or false, got ${v}`);
  return v;
}

/** Options shared by the normalization layers. */
export interface NormalizationConfig extends LayerConfig {
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  epsilon?: number;
  /** Learn a scale (`weight`, ones) and an offset (`bias`, zeros) (default true). */
  affine?: boolean;
  weightInit?: Initializer;
  biasInit?: Initializer;
}

abstract class Normalization extends Layer {
  readonly epsilon: number;
  readonly affine: boolean;
  readonly weightInit: Initializer;
  readonly biasInit: Initializer;

  constructor(config: NormalizationConfig = {}) {
    super(config);
    this.epsilon = positive(this.where, config.epsilon, 'epsilon', 1e-5);
    this.affine = bool(this.where, config.affine, 'affine', true);
    this.weightInit = config.weightInit ?? 'ones';
    checkInitializer(this.weightInit, `${this.where} weightInit`);
    this.biasInit = config.biasInit ?? 'zeros';
    checkInitializer(this.biasInit, `${this.where} biasInit`);
  }

  protected addAffine(shape: number[], gen: Generator, dtype: DType): void {
    if (!this.affine) return;
    this.addParam('weight', shape, this.weightInit, gen, dtype);
    this.addParam('bias', shape, this.biasInit, gen, dtype);
  }

  protected affineParams(): { weight: Tensor | null; bias: Tensor | null } {
    return this.affine ? { weight: this.p('weight'), bias: this.p('bias') } : { weight: null, bias: null };
  }

  protected expectRank(s: number[], min: number, max: number, what: string): void {
    if (s.length < min || s.length > max || s.some((d) => !Number.isInteger(d) || d < 1))
      throw new StrataError(this.where, `expects input ${what} (without batch), got [${s}]`);
  }

  /** Element-wise ops per element: 5 for the statistics and normalizing, 2 for the affine part. */
  override flops([s]: number[][]): number {
    return (5 + (this.affine ? 2 : 0)) * sizeOf(s);
  }

  getConfig(): Record<string, unknown> {
    return {
      epsilon: this.epsilon,
      affine: this.affine,
      weightInit: this.weightInit,
      biasInit: this.biasInit,
    };
  }
}

// ---------------------------------------------------------------- batch normalization

export interface BatchNormalizationConfig extends NormalizationConfig {
  /**
   * Weight of the new batch statistic in the running average, PyTorch's convention:
   * running = (1 − momentum)·running + momentum·batch (default 0.1). Keras and ONNX write the
   * complement (their 0.99 / 0.9 is 0.01 / 0.1 here).
   */
  momentum?: number;
}

/**
 * Batch normalization over the batch and spatial axes, per channel, for inputs [C], [C,T], [C,H,W] or
 * [C,D,H,W]. Training normalizes with the batch mean and biased variance and updates the running
 * statistics (mean, and the unbiased variance — as PyTorch) under no-grad; inference uses the running
 * statistics. y = (x − μ)/√(σ² + ε)·weight + bias.
 * Parameters: weight, bias [C] (with affine); buffers runningMean (zeros), runningVar (ones) [C].
 * Shape: output = input. FLOPs: 4 per element (2 without affine).
 */
export class BatchNormalization extends Normalization {
  static override readonly type: string = 'BatchNormalization';
  readonly momentum: number;

  constructor(config: BatchNormalizationConfig = {}) {
    super(config);
    this.momentum = num(
      this.where,
      config.momentum,
      'momentum',
      0.1,
      (x) => x >= 0 && x <= 1,
      'a number in [0, 1]',
    );
  }

  computeOutputShape([s]: number[][]): number[] {
    this.expectRank(s, 1, 4, '[C], [C,T], [C,H,W] or [C,D,H,W]');
    return [...s];
  }

  protected override createParams([s]: number[][], gen: Generator, dtype: DType): void {
    this.addAffine([s[0]], gen, dtype);
    this.addParam('runningMean', [s[0]], 'zeros', gen, dtype, false);
    this.addParam('runningVar', [s[0]], 'ones', gen, dtype, false);
  }

  forward([x]: Tensor[], ctx: CallContext): Tensor {
    const count = x.size / x.shape[1];
    if (ctx.training && count < 2)
      throw new StrataError(
        this.where,
        `training needs more than one value per channel, got batch ${x.shape[0]} × spatial ${count / x.shape[0]}`,
      );
    const r = batchNormWithStats(x, {
      ...this.affineParams(),
      eps: this.epsilon,
      training: ctx.training,
      runningMean: this.p('runningMean'),
      runningVar: this.p('runningVar'),
    });
    if (ctx.training)
      noGrad(() => {
        const m = this.params.get('runningMean')!;
        const v = this.params.get('runningVar')!;
        m.assign(runningUpdate(m.value, r.mean, this.momentum));
        v.assign(runningUpdate(v.value, mul(r.variance, count / (count - 1)), this.momentum));
      });
    return r.output;
  }

  override flops([s]: number[][]): number {
    return (this.affine ? 4 : 2) * sizeOf(s);
  }

  override getConfig() {
    return { ...super.getConfig(), momentum: this.momentum };
  }
}

// ---------------------------------------------------------------- layer normalization

export interface LayerNormalizationConfig extends NormalizationConfig {
  /**
   * Axes of the example to normalize over (0 = the first axis after the batch; negative counts from
   * the end). Default: every axis of the example.
   */
  axes?: number[];
}

/**
 * Layer normalization: statistics per example over the chosen axes; the scale and offset have the
 * sizes of those axes (PyTorch's `normalized_shape` when they are the trailing ones; Keras's `axis`).
 * MATLAB's layerNormalizationLayer normalizes over every axis with per-channel scale and offset.
 * Parameters: weight (ones) and bias (zeros) of the normalized axes' sizes (with affine).
 * Shape: output = input. FLOPs: 7 per element (5 without affine).
 */
export class LayerNormalization extends Normalization {
  static override readonly type: string = 'LayerNormalization';
  readonly axes: number[] | null;

  constructor(config: LayerNormalizationConfig = {}) {
    super(config);
    if (config.axes !== undefined && config.axes !== null) {
      if (!Array.isArray(config.axes) || config.axes.length === 0 || !config.axes.every(Number.isInteger))
        throw new StrataError(
          this.where,
          `axes must be a non-empty list of integers, got ${JSON.stringify(config.axes)}`,
        );
      this.axes = [...config.axes];
    } else this.axes = null;
  }

  /** The normalized axes of the example (sorted, non-negative). */
  private resolveAxes(rank: number): number[] {
    if (!this.axes) return Array.from({ length: rank }, (_, i) => i);
    const res = this.axes.map((a) => {
      if (a < -rank || a >= rank)
        throw new StrataError(
          this.where,
          `axis ${a} is out of range for an input of rank ${rank} (without batch)`,
        );
      return a < 0 ? a + rank : a;
    });
    if (new Set(res).size !== res.length)
      throw new StrataError(this.where, `axes [${this.axes}] repeat an axis`);
    return res.sort((a, b) => a - b);
  }

  computeOutputShape([s]: number[][]): number[] {
    this.expectRank(s, 1, 8, 'of rank 1 or more');
    this.resolveAxes(s.length);
    return [...s];
  }

  protected override createParams([s]: number[][], gen: Generator, dtype: DType): void {
    this.addAffine(
      this.resolveAxes(s.length).map((a) => s[a]),
      gen,
      dtype,
    );
  }

  forward([x]: Tensor[]): Tensor {
    const s = x.shape.slice(1);
    const ax = this.resolveAxes(s.length);
    const bshape = s.map((d, i) => (ax.includes(i) ? d : 1));
    const { weight, bias } = this.affineParams();
    return layerNorm(
      x,
      ax.map((a) => a + 1),
      {
        weight: weight && reshape(weight, bshape),
        bias: bias && reshape(bias, bshape),
        eps: this.epsilon,
      },
    );
  }

  override getConfig() {
    return { ...super.getConfig(), axes: this.axes };
  }
}

// ---------------------------------------------------------------- group and instance normalization

export interface GroupNormalizationConfig extends NormalizationConfig {
  /** Number of channel groups; the channels must be divisible by it. */
  groups: number;
}

/**
 * Group normalization: the channels are split into `groups` groups; statistics per example and group
 * over its channels and the spatial axes. groups = 1 is layer normalization with per-channel affine;
 * groups = C is instance normalization. Parameters: weight (ones), bias (zeros) [C] (with affine).
 * Shape: output = input. FLOPs: 7 per element (5 without affine).
 */
export class GroupNormalization extends Normalization {
  static override readonly type: string = 'GroupNormalization';
  readonly groups: number;

  constructor(config: GroupNormalizationConfig) {
    super(config);
    if (config?.groups === undefined) throw new StrataError(this.where, 'needs `groups`');
    this.groups = posInt(this.where, config.groups, 'groups', 1);
  }

  computeOutputShape([s]: number[][]): number[] {
    this.expectRank(s, 1, 4, '[C], [C,T], [C,H,W] or [C,D,H,W]');
    if (s[0] % this.groups !== 0)
      throw new StrataError(this.where, `channels (${s[0]}) must be divisible by groups (${this.groups})`);
    return [...s];
  }

  protected override createParams([s]: number[][], gen: Generator, dtype: DType): void {
    this.addAffine([s[0]], gen, dtype);
  }

  forward([x]: Tensor[]): Tensor {
    return groupNorm(x, this.groups, { ...this.affineParams(), eps: this.epsilon });
  }

  override getConfig() {
    return { groups: this.groups, ...super.getConfig() };
  }
}

/**
 * Instance normalization: statistics per example and channel over the spatial axes, for inputs
 * [C,T], [C,H,W] or [C,D,H,W]. The scale and offset are on by default (MATLAB, ONNX; PyTorch's
 * InstanceNorm defaults to affine=False). No running statistics: training and inference agree.
 * Parameters: weight (ones), bias (zeros) [C] (with affine). Shape: output = input.
 * FLOPs: 7 per element (5 without affine).
 */
export class InstanceNormalization extends Normalization {
  static override readonly type: string = 'InstanceNormalization';

  computeOutputShape([s]: number[][]): number[] {
    this.expectRank(s, 2, 4, '[C,T], [C,H,W] or [C,D,H,W]');
    return [...s];
  }

  protected override createParams([s]: number[][], gen: Generator, dtype: DType): void {
    this.addAffine([s[0]], gen, dtype);
  }

  forward([x]: Tensor[]): Tensor {
    return groupNorm(x, x.shape[1], { ...this.affineParams(), eps: this.epsilon });
  }
}

// ---------------------------------------------------------------- local response normalization

export interface LocalResponseNormalizationConfig extends LayerConfig {
  /** Channels in the window (default 5). */
  size?: number;
  /** Default 1e-4. */
  alpha?: number;
  /** Default 0.75. */
  beta?: number;
  /** Default 1 (PyTorch, ONNX `bias`); MATLAB's default K is 2. */
  k?: number;
}

/**
 * Local response normalization across channels (AlexNet), PyTorch/ONNX semantics:
 *   y_c = x_c / (k + α/size · Σ_{c' in window(c)} x_{c'}²)^β,
 * window(c) = channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉ that exist (as ONNX; for an even size
 * PyTorch places the extra channel before c). No parameters. Inputs [C, …spatial].
 * Shape: output = input. FLOPs: size + 5 per element.
 */
export class LocalResponseNormalization extends Layer {
  static override readonly type: string = 'LocalResponseNormalization';
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(config: LocalResponseNormalizationConfig = {}) {
    super(config);
    const w = this.where;
    const real = (v: unknown, what: string, d: number) =>
      num(w, v, what, d, (x) => Number.isFinite(x), 'a finite number');
    this.size = posInt(w, config.size, 'size', 5);
    this.alpha = real(config.alpha, 'alpha', 1e-4);
    this.beta = real(config.beta, 'beta', 0.75);
    this.k = real(config.k, 'k', 1);
  }

  computeOutputShape([s]: number[][]): number[] {
    if (s.length < 1 || s.length > 4 || s.some((d) => !Number.isInteger(d) || d < 1))
      throw new StrataError(this.where, `expects input [C] to [C,D,H,W] (without batch), got [${s}]`);
    return [...s];
  }

  forward([x]: Tensor[]): Tensor {
    return localResponseNorm(x, { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k });
  }

  override flops([s]: number[][]): number {
    return (this.size + 5) * sizeOf(s);
  }

  getConfig() {
    return { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
  }
}

/** MATLAB's name for local response normalization (crossChannelNormalizationLayer); same layer. */
export class CrossChannelNormalization extends LocalResponseNormalization {
  static override readonly type: string = 'CrossChannelNormalization';
}

for (const c of [
  BatchNormalization,
  LayerNormalization,
  GroupNormalization,
  InstanceNormalization,
  LocalResponseNormalization,
  CrossChannelNormalization,
])
  registerLayer(c);
