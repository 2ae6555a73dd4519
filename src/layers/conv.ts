import type { DType } from '../core/dtype.js';
import { StrataError } from '../core/errors.js';
import type { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import {
  type ConvActOptions,
  type ConvTransposeOptions,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
} from '../ops/conv_fns.js';
import { conv } from '../ops/conv.js';
import { type ConvBiasActAttrs, convBiasActWith, type FusedAct } from '../ops/fused.js';
import { convOutLen, effectiveKernel, normPadding, type Padding } from '../ops/window.js';
import { checkInitializer, type Initializer } from './init.js';
import { Layer, type LayerConfig } from './layer.js';
import { expectSpatial, intList, optBool, optPosInt, padOption, prod, reqPosInt } from './options.js';
import { registerLayer } from './registry.js';

/**
 * Convolution layers: 1-D, 2-D and 3-D, grouped and depthwise, and transposed. Layout NCHW / NCDHW as
 * PyTorch and ONNX; weights in PyTorch's layout, so weights load across. Forward through
 * src/ops/conv.ts (conv1d/2d/3d, convTranspose1d/2d/3d).
 */

/** The options convolution and transposed convolution share. */
export interface ConvCommonConfig extends LayerConfig {
  /** Output channels F (MATLAB numFilters, PyTorch out_channels). */
  filters: number;
  /** One size, or one per spatial axis. */
  kernelSize: number | number[];
  /** Default 1. */
  stride?: number | number[];
  /** Default 1. */
  dilation?: number | number[];
  /** Default 1. C and F must be multiples; groups = C is depthwise (channel-wise). */
  groups?: number;
  /** Learn a bias per output channel (default true). */
  bias?: boolean;
  /** Default 'heUniform'. */
  weightInit?: Initializer;
  /** Default 'zeros'. */
  biasInit?: Initializer;
}

export interface ConvLayerConfig extends ConvCommonConfig {
  /** A number, one per axis, [begin, end] per axis, 'same' (ONNX SAME_UPPER) or 'valid' (default). */
  padding?: Padding;
}

type ConvFn = (x: Tensor, w: Tensor, o: ConvActOptions) => Tensor;

abstract class ConvBase extends Layer {
  abstract readonly rank: number;
  readonly filters: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly dilation: number[];
  readonly groups: number;
  readonly bias: boolean;
  readonly weightInit: Initializer;
  readonly biasInit: Initializer;

  constructor(c: ConvCommonConfig, r: number) {
    super(c);
    if (!c || typeof c !== 'object')
      throw new StrataError(this.where, 'needs a config with filters and kernelSize');
    this.filters = reqPosInt(this.where, c.filters, 'filters');
    if (c.kernelSize === undefined) throw new StrataError(this.where, 'needs a kernelSize');
    this.kernelSize = intList(this.where, c.kernelSize, 'kernelSize', r, 1);
    this.stride = intList(this.where, c.stride, 'stride', r, 1);
    this.dilation = intList(this.where, c.dilation, 'dilation', r, 1);
    this.groups = optPosInt(this.where, c.groups, 'groups', 1);
    this.bias = optBool(this.where, c.bias, 'bias', true);
    this.weightInit = c.weightInit ?? 'heUniform';
    checkInitializer(this.weightInit, `${this.where} weightInit`);
    this.biasInit = c.biasInit ?? 'zeros';
    checkInitializer(this.biasInit, `${this.where} biasInit`);
    if (this.filters % this.groups !== 0)
      throw new StrataError(
        this.where,
        `filters (${this.filters}) must be divisible by groups (${this.groups})`,
      );
  }

  protected checkChannels(C: number): void {
    if (C % this.groups !== 0)
      throw new StrataError(this.where, `input channels (${C}) must be divisible by groups (${this.groups})`);
  }

  protected baseConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernelSize: this.kernelSize,
      stride: this.stride,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.bias,
      weightInit: this.weightInit,
      biasInit: this.biasInit,
    };
  }
}

/**
 * Convolution (cross-correlation) over `rank` spatial axes. Weight [F, C/groups, ...K], bias [F].
 * Shape: [C, ...S] → [F, ...O], O = floor((S + padBegin + padEnd − dilation·(K − 1) − 1) / stride) + 1;
 * 'same' gives O = ceil(S / stride). Parameters F·(C/groups)·ΠK + F.
 * ONNX: Conv.
 */
abstract class ConvND extends ConvBase {
  readonly padding: Padding;
  protected abstract readonly fn: ConvFn;

  constructor(c: ConvLayerConfig, r: number) {
    super(c, r);
    this.padding = padOption(this.where, c.padding, r);
  }

  private pads(S: readonly number[]) {
    return normPadding(this.where, this.padding, S, this.kernelSize, this.stride, this.dilation);
  }

  computeOutputShape([s]: number[][]): number[] {
    expectSpatial(this.where, s, this.rank);
    const [C, ...S] = s;
    this.checkChannels(C);
    const { padBegin, padEnd } = this.pads(S);
    const O = S.map((n, i) => {
      const ek = effectiveKernel(this.kernelSize[i], this.dilation[i]);
      if (ek > n + padBegin[i] + padEnd[i])
        throw new StrataError(
          this.where,
          `kernel extent ${ek} is larger than the padded input ${n + padBegin[i] + padEnd[i]} on spatial axis ${i} (input [${s}])`,
        );
      return convOutLen(n, this.kernelSize[i], this.stride[i], padBegin[i], padEnd[i], this.dilation[i]);
    });
    return [this.filters, ...O];
  }

  protected override createParams([s]: number[][], gen: Generator, dtype: DType): void {
    this.addParam(
      'weight',
      [this.filters, s[0] / this.groups, ...this.kernelSize],
      this.weightInit,
      gen,
      dtype,
    );
    if (this.bias) this.addParam('bias', [this.filters], this.biasInit, gen, dtype);
  }

  forward([x]: Tensor[]): Tensor {
    return this.forwardAct([x], undefined, 'none');
  }

  override get fusesActivation(): boolean {
    return true;
  }

  /** The op's attributes per act, for the spatial input size `S` they were made for. */
  private opAttrs: { S: number[]; byAct: Record<FusedAct, ConvBiasActAttrs> } | null = null;

  private attrsFor(S: readonly number[]): Record<FusedAct, ConvBiasActAttrs> {
    const c = this.opAttrs;
    if (c && c.S.length === S.length && c.S.every((d, i) => d === S[i])) return c.byAct;
    const base = { stride: this.stride, dilation: this.dilation, ...this.pads(S), groups: this.groups };
    const byAct = { none: { ...base, act: 'none' as const }, relu: { ...base, act: 'relu' as const } };
    this.opAttrs = { S: [...S], byAct };
    return byAct;
  }

  /**
   * The convolution, bias and activation as one op (convBiasAct; conv when there is neither). A
   * batched input (as Layer.call passes) takes the op with the attributes normalized once per input
   * size; anything else the conv function, which checks and explains.
   */
  protected override forwardAct([x]: Tensor[], _ctx: unknown, act: FusedAct): Tensor {
    const w = this.p('weight');
    if (x.rank === this.rank + 2) {
      const a = this.attrsFor(x.shape.slice(2))[act];
      return this.bias || act !== 'none'
        ? convBiasActWith(x, w, this.bias ? this.p('bias') : null, a)
        : conv(x, w, a);
    }
    return this.fn(x, w, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.bias ? this.p('bias') : null,
      activation: act === 'none' ? null : act,
    });
  }

  /** 2·(C/groups)·ΠK multiply-adds per output element. */
  override flops([s]: number[][]): number {
    const out = this.computeOutputShape([s]);
    return 2 * (s[0] / this.groups) * prod(this.kernelSize) * prod(out);
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), padding: this.padding };
  }
}

/** 1-D convolution of [C, L]. */
export class Conv1D extends ConvND {
  static override readonly type: string = 'Conv1D';
  readonly rank = 1;
  protected readonly fn = conv1d;
  constructor(c: ConvLayerConfig) {
    super(c, 1);
  }
}
/** 2-D convolution of [C, H, W]. */
export class Conv2D extends ConvND {
  static override readonly type: string = 'Conv2D';
  readonly rank = 2;
  protected readonly fn = conv2d;
  constructor(c: ConvLayerConfig) {
    super(c, 2);
  }
}
/** 3-D convolution of [C, D, H, W]. */
export class Conv3D extends ConvND {
  static override readonly type: string = 'Conv3D';
  readonly rank = 3;
  protected readonly fn = conv3d;
  constructor(c: ConvLayerConfig) {
    super(c, 3);
  }
}

export interface ConvTransposeLayerConfig extends ConvCommonConfig {
  /** Removed from the output: a number, one per axis, or [begin, end] per axis (default 0). */
  padding?: number | number[] | Array<[number, number]>;
  /** Added at the end of each axis to pick the output size when stride > 1 (default 0). */
  outputPadding?: number | number[];
}

type ConvTFn = (x: Tensor, w: Tensor, o: ConvTransposeOptions) => Tensor;

/**
 * Transposed convolution (the gradient of convolution with respect to its input; "deconvolution").
 * Weight [C, F/groups, ...K] (PyTorch's layout), bias [F].
 * Shape: [C, ...S] → [F, ...O], O = (S − 1)·stride − padBegin − padEnd + dilation·(K − 1) + outputPadding + 1,
 * with 0 ≤ outputPadding < max(stride, dilation). Parameters C·(F/groups)·ΠK + F.
 * ONNX: ConvTranspose.
 */
abstract class ConvTransposeND extends ConvBase {
  readonly padding: number | number[] | Array<[number, number]>;
  readonly outputPadding: number[];
  protected abstract readonly fn: ConvTFn;

  constructor(c: ConvTransposeLayerConfig, r: number) {
    super(c, r);
    this.padding = padOption(this.where, c.padding, r, false) as number | number[] | Array<[number, number]>;
    this.outputPadding = intList(this.where, c.outputPadding, 'outputPadding', r, 0, 0);
    this.outputPadding.forEach((p, i) => {
      if (p >= Math.max(this.stride[i], this.dilation[i]))
        throw new StrataError(
          this.where,
          `outputPadding (${p}) must be smaller than stride (${this.stride[i]}) or dilation (${this.dilation[i]}) on spatial axis ${i}`,
        );
    });
  }

  computeOutputShape([s]: number[][]): number[] {
    expectSpatial(this.where, s, this.rank);
    const [C, ...S] = s;
    this.checkChannels(C);
    const { padBegin, padEnd } = normPadding(
      this.where,
      this.padding,
      S,
      this.kernelSize,
      this.stride,
      this.dilation,
    );
    const O = S.map((n, i) => {
      const o =
        (n - 1) * this.stride[i] -
        padBegin[i] -
        padEnd[i] +
        effectiveKernel(this.kernelSize[i], this.dilation[i]) +
        this.outputPadding[i];
      if (o < 1)
        throw new StrataError(
          this.where,
          `output size ${o} on spatial axis ${i} is not positive (input [${s}])`,
        );
      return o;
    });
    return [this.filters, ...O];
  }

  protected override createParams([s]: number[][], gen: Generator, dtype: DType): void {
    this.addParam(
      'weight',
      [s[0], this.filters / this.groups, ...this.kernelSize],
      this.weightInit,
      gen,
      dtype,
    );
    if (this.bias) this.addParam('bias', [this.filters], this.biasInit, gen, dtype);
  }

  forward([x]: Tensor[]): Tensor {
    return this.fn(x, this.p('weight'), {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.bias ? this.p('bias') : null,
    });
  }

  /** 2·(F/groups)·ΠK multiply-adds per input element. */
  override flops([s]: number[][]): number {
    return 2 * prod(s) * (this.filters / this.groups) * prod(this.kernelSize);
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), padding: this.padding, outputPadding: this.outputPadding };
  }
}

/** 1-D transposed convolution of [C, L]. */
export class ConvTranspose1D extends ConvTransposeND {
  static override readonly type: string = 'ConvTranspose1D';
  readonly rank = 1;
  protected readonly fn = convTranspose1d;
  constructor(c: ConvTransposeLayerConfig) {
    super(c, 1);
  }
}
/** 2-D transposed convolution of [C, H, W]. */
export class ConvTranspose2D extends ConvTransposeND {
  static override readonly type: string = 'ConvTranspose2D';
  readonly rank = 2;
  protected readonly fn = convTranspose2d;
  constructor(c: ConvTransposeLayerConfig) {
    super(c, 2);
  }
}
/** 3-D transposed convolution of [C, D, H, W]. */
export class ConvTranspose3D extends ConvTransposeND {
  static override readonly type: string = 'ConvTranspose3D';
  readonly rank = 3;
  protected readonly fn = convTranspose3d;
  constructor(c: ConvTransposeLayerConfig) {
    super(c, 3);
  }
}

for (const c of [Conv1D, Conv2D, Conv3D, ConvTranspose1D, ConvTranspose2D, ConvTranspose3D]) registerLayer(c);
