import { StrataError } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import type { Generator } from '../core/random.js';
import { fromTypedArray } from '../core/creation.js';
import { noGrad } from '../core/engine.js';
import type { Tensor } from '../core/tensor.js';
import { div, mul, sub } from '../ops/binary.js';
import { type FusedAct, linearBiasAct } from '../ops/fused.js';
import { max, mean, min, variance } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { checkInitializer, type Initializer } from './init.js';
import { type CallContext, Layer, type LayerConfig } from './layer.js';
import { registerLayer } from './registry.js';

export type InputNormalization = 'none' | 'zerocenter' | 'zscore' | 'rescale-symmetric' | 'rescale-zero-one';

export interface InputConfig extends LayerConfig {
  /** Shape of one example: [C,H,W] (image), [C,D,H,W] (volume) or [C,T] (sequence). */
  shape: number[];
  normalization?: InputNormalization;
  /** Statistics per channel (default), per element, or one for all. */
  normalizationDimension?: 'channel' | 'element' | 'all';
}

/**
 * Input layer: declares the example shape and normalizes the data. Statistics come from training data
 * through `adapt` and are saved with the model (as non-trainable state).
 *   zerocenter: x − mean; zscore: (x − mean)/std; rescale-symmetric: to [−1, 1] from [min, max];
 *   rescale-zero-one: to [0, 1] from [min, max].
 * Shape: output = input.
 */
export class Input extends Layer {
  static override readonly type: string = 'Input';
  readonly shape: number[];
  readonly normalization: InputNormalization;
  readonly normalizationDimension: 'channel' | 'element' | 'all';
  declare declaredInputShape: number[];

  constructor(config: InputConfig) {
    super(config);
    if (!Array.isArray(config?.shape) || config.shape.some((d) => !Number.isInteger(d) || d < 1))
      throw new StrataError(
        `Input${config?.name ? ` '${config.name}'` : ''}`,
        `shape must be positive integers, got ${JSON.stringify(config?.shape)}`,
      );
    this.shape = [...config.shape];
    this.declaredInputShape = this.shape;
    this.normalization = config.normalization ?? 'none';
    this.normalizationDimension = config.normalizationDimension ?? 'channel';
    const ok = ['none', 'zerocenter', 'zscore', 'rescale-symmetric', 'rescale-zero-one'];
    if (!ok.includes(this.normalization))
      throw new StrataError(
        this.where,
        `normalization must be one of ${ok.join(', ')}, got '${this.normalization}'`,
      );
  }

  private statShape(): number[] {
    if (this.normalizationDimension === 'element') return [...this.shape];
    if (this.normalizationDimension === 'all') return this.shape.map(() => 1);
    return this.shape.map((d, i) => (i === 0 ? d : 1));
  }

  computeOutputShape([s]: number[][]): number[] {
    if (s.length !== this.shape.length || s.some((d, i) => d !== this.shape[i]))
      throw new StrataError(this.where, `expected input of shape [${this.shape}], got [${s}]`);
    return [...s];
  }

  protected override createParams(_s: number[][], gen: Generator, dtype: DType): void {
    if (this.normalization === 'none') return;
    const ss = this.statShape();
    this.addParam('mean', ss, 'zeros', gen, dtype, false);
    this.addParam('std', ss, 'ones', gen, dtype, false);
    this.addParam('min', ss, 'zeros', gen, dtype, false);
    this.addParam('max', ss, 'ones', gen, dtype, false);
  }

  /** Computes the normalization statistics from training data [N, ...shape]. */
  adapt(data: Tensor): void {
    if (!this.built) this.build([this.shape]);
    if (this.normalization === 'none') return;
    noGrad(() => {
      const ss = this.statShape();
      const axes = [0, ...ss.flatMap((d, i) => (d === 1 ? [i + 1] : []))];
      const set = (name: string, t: Tensor) =>
        this.params
          .get(name)!
          .assign(fromTypedArray(t.data(), ss, { dtype: this.p(name).dtype, backend: this.p(name).backend }));
      set('mean', mean(data, axes));
      const sd = variance(data, axes).sqrt();
      set('std', sd.maximum(1e-8));
      set('min', min(data, axes));
      set('max', max(data, axes));
    });
  }

  forward([x]: Tensor[]): Tensor {
    switch (this.normalization) {
      case 'none':
        return x;
      case 'zerocenter':
        return sub(x, this.p('mean'));
      case 'zscore':
        return div(sub(x, this.p('mean')), this.p('std'));
      case 'rescale-zero-one':
        return div(sub(x, this.p('min')), sub(this.p('max'), this.p('min')).maximum(1e-12));
      case 'rescale-symmetric':
        return sub(mul(div(sub(x, this.p('min')), sub(this.p('max'), this.p('min')).maximum(1e-12)), 2), 1);
    }
  }

  getConfig() {
    return {
      shape: this.shape,
      normalization: this.normalization,
      normalizationDimension: this.normalizationDimension,
    };
  }
}

/** 2-D image input [C,H,W]. */
export class ImageInput extends Input {
  static override readonly type: string = 'ImageInput';
  constructor(config: InputConfig) {
    super(config);
    if (this.shape.length !== 3)
      throw new StrataError(this.where, `expects shape [C,H,W], got [${this.shape}]`);
  }
}
/** 3-D image (volume) input [C,D,H,W]. */
export class Image3dInput extends Input {
  static override readonly type: string = 'Image3dInput';
  constructor(config: InputConfig) {
    super(config);
    if (this.shape.length !== 4)
      throw new StrataError(this.where, `expects shape [C,D,H,W], got [${this.shape}]`);
  }
}
/** Sequence input [C,T]. */
export class SequenceInput extends Input {
  static override readonly type: string = 'SequenceInput';
  constructor(config: InputConfig) {
    super(config);
    if (this.shape.length !== 2)
      throw new StrataError(this.where, `expects shape [C,T], got [${this.shape}]`);
  }
}

export interface DenseConfig extends LayerConfig {
  units: number;
  bias?: boolean;
  weightInit?: Initializer;
  biasInit?: Initializer;
}

/**
 * Fully connected layer: y = x·Wᵀ + b with W of shape [units, inFeatures] (PyTorch's layout). Inputs of
 * more than one axis are flattened first (as MATLAB's fully connected layer does).
 * Shape: [..] → [units]; parameters units·in + units.
 */
export class Dense extends Layer {
  static override readonly type: string = 'Dense';
  readonly units: number;
  readonly bias: boolean;
  readonly weightInit: Initializer;
  readonly biasInit: Initializer;

  constructor(config: DenseConfig) {
    super(config);
    if (!Number.isInteger(config?.units) || config.units < 1)
      throw new StrataError(
        `Dense${config?.name ? ` '${config.name}'` : ''}`,
        `units must be a positive integer, got ${config?.units}`,
      );
    this.units = config.units;
    this.bias = config.bias ?? true;
    this.weightInit = config.weightInit ?? 'heUniform';
    checkInitializer(this.weightInit, `${this.where} weightInit`);
    this.biasInit = config.biasInit ?? 'zeros';
    checkInitializer(this.biasInit, `${this.where} biasInit`);
  }

  computeOutputShape(): number[] {
    return [this.units];
  }

  protected override createParams([s]: number[][], gen: Generator, dtype: DType): void {
    const fin = s.reduce((a, b) => a * b, 1);
    this.addParam('weight', [this.units, fin], this.weightInit, gen, dtype);
    if (this.bias) this.addParam('bias', [this.units], this.biasInit, gen, dtype);
  }

  forward([x]: Tensor[]): Tensor {
    return this.forwardAct([x], undefined, 'none');
  }

  override get fusesActivation(): boolean {
    return true;
  }

  /** The product, bias and activation as one op (linearBiasAct). */
  protected override forwardAct([x]: Tensor[], _ctx: unknown, act: FusedAct): Tensor {
    const flat = x.rank > 2 ? reshape(x, [x.shape[0], -1]) : x;
    return linearBiasAct(flat, this.p('weight'), this.bias ? this.p('bias') : null, act);
  }

  override flops([s]: number[][]): number {
    return 2 * s.reduce((a, b) => a * b, 1) * this.units;
  }

  getConfig() {
    return { units: this.units, bias: this.bias, weightInit: this.weightInit, biasInit: this.biasInit };
  }
}

/** Flattens every axis but the batch into one. Shape: [C,H,W] → [C·H·W]. */
export class Flatten extends Layer {
  static override readonly type: string = 'Flatten';
  computeOutputShape([s]: number[][]): number[] {
    return [s.reduce((a, b) => a * b, 1)];
  }
  forward([x]: Tensor[], _ctx: CallContext): Tensor {
    return reshape(x, [x.shape[0], -1]);
  }
  getConfig() {
    return {};
  }
}

for (const c of [Input, ImageInput, Image3dInput, SequenceInput, Dense, Flatten]) registerLayer(c);
