import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { avgPool, maxPool, type PoolAttrs, unpoolScatter } from '../ops/pool.js';
import { max, mean } from '../ops/reduce.js';
import {
  checkKernelFits,
  checkWindowsTouchInput,
  normPadding,
  type Padding,
  poolOutLen,
} from '../ops/window.js';
import { Layer, type LayerConfig } from './layer.js';
import { expectSpatial, intList, optBool, padOption, prod } from './options.js';
import { registerLayer } from './registry.js';

/**
 * Pooling layers: max and average (1-D, 2-D, 3-D), global average and max, and max-unpooling.
 *
 * How unpooling finds the indices: a MaxPool layer with `returnIndices: true` outputs the pooled
 * values as usual and records, for that output tensor, the int32 indices of the maxima (and the
 * pooled input's size). A MaxUnpool layer takes the pool layer's output as its SECOND input: in a
 * Graph, `{ layer: unpool, inputs: ['decoder', 'pool1'] }`. The connection is an ordinary graph
 * edge, so it is saved and loaded with the config like any other, needs no layer-name lookup, and
 * works when a pool layer is applied several times (each output tensor has its own indices).
 * An optional third input gives the output size (as MATLAB's maxUnpooling2dLayer 'size' input):
 * connect the layer that fed the pool.
 */

/** The indices a MaxPool layer recorded for its output tensor. */
interface PoolRecord {
  indices: Tensor;
  inputSpatial: number[];
}
const poolRecords = new WeakMap<Tensor, PoolRecord>();

/** The max-pool indices recorded for a MaxPool layer's output (returnIndices: true), or undefined. */
export function maxPoolIndicesOf(output: Tensor): Tensor | undefined {
  return poolRecords.get(output)?.indices;
}

export interface PoolLayerConfig extends LayerConfig {
  /** One size, or one per spatial axis. */
  kernelSize: number | number[];
  /** Default: the kernel size. */
  stride?: number | number[];
  /** A number, one per axis, [begin, end] per axis, 'same' or 'valid' (default). */
  padding?: Padding;
  /** Output size rounded up instead of down (default false). */
  ceilMode?: boolean;
}
export interface MaxPoolLayerConfig extends PoolLayerConfig {
  /** Default 1. */
  dilation?: number | number[];
  /** Record the indices of the maxima for a MaxUnpool layer (default false). */
  returnIndices?: boolean;
}
export interface AvgPoolLayerConfig extends PoolLayerConfig {
  /** Count the zero padding in each window's divisor (default true, as PyTorch; ONNX count_include_pad). */
  countIncludePad?: boolean;
}

abstract class PoolND extends Layer {
  abstract readonly rank: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly dilation: number[];
  readonly padding: Padding;
  readonly ceilMode: boolean;

  constructor(c: PoolLayerConfig & { dilation?: number | number[] }, r: number) {
    super(c);
    if (!c || c.kernelSize === undefined) throw new StrataError(this.where, 'needs a kernelSize');
    this.kernelSize = intList(this.where, c.kernelSize, 'kernelSize', r, 1);
    this.stride = intList(this.where, c.stride, 'stride', r, this.kernelSize);
    this.dilation = intList(this.where, c.dilation, 'dilation', r, 1);
    this.padding = padOption(this.where, c.padding, r);
    this.ceilMode = optBool(this.where, c.ceilMode, 'ceilMode', false);
  }

  protected attrs(S: readonly number[]): PoolAttrs {
    const pads = normPadding(this.where, this.padding, S, this.kernelSize, this.stride, this.dilation);
    return {
      kernel: this.kernelSize,
      stride: this.stride,
      dilation: this.dilation,
      ...pads,
      ceilMode: this.ceilMode,
    };
  }

  computeOutputShape([s]: number[][]): number[] {
    expectSpatial(this.where, s, this.rank);
    const [C, ...S] = s;
    const a = this.attrs(S);
    checkKernelFits(this.where, S, this.kernelSize, a);
    const O = S.map((n, i) =>
      poolOutLen(n, a.kernel[i], a.stride[i], a.padBegin[i], a.padEnd[i], a.dilation[i], a.ceilMode),
    );
    checkWindowsTouchInput(this.where, S, this.kernelSize, O, a);
    return [C, ...O];
  }

  /** One compare or add per window element and output. */
  override flops([s]: number[][]): number {
    return prod(this.computeOutputShape([s])) * prod(this.kernelSize);
  }

  getConfig(): Record<string, unknown> {
    return {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
    };
  }
}

/**
 * Max pooling; padding counts as −∞. With `returnIndices`, records the indices for a MaxUnpool layer.
 * Shape: [C, ...S] → [C, ...O], O = floor (ceilMode: ceil) of (S + padBegin + padEnd − dilation·(K − 1) − 1)
 * / stride + 1, a last window that would start in the end padding being dropped (PyTorch's rule).
 * ONNX: MaxPool.
 */
abstract class MaxPoolND extends PoolND {
  readonly returnIndices: boolean;
  constructor(c: MaxPoolLayerConfig, r: number) {
    super(c, r);
    this.returnIndices = optBool(this.where, c.returnIndices, 'returnIndices', false);
  }
  forward([x]: Tensor[]): Tensor {
    const [y, idx] = maxPool(x, this.attrs(x.shape.slice(2)));
    if (this.returnIndices) poolRecords.set(y, { indices: idx, inputSpatial: x.shape.slice(2) });
    return y;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dilation: this.dilation, returnIndices: this.returnIndices };
  }
}

export class MaxPool1D extends MaxPoolND {
  static override readonly type: string = 'MaxPool1D';
  readonly rank = 1;
  constructor(c: MaxPoolLayerConfig) {
    super(c, 1);
  }
}
export class MaxPool2D extends MaxPoolND {
  static override readonly type: string = 'MaxPool2D';
  readonly rank = 2;
  constructor(c: MaxPoolLayerConfig) {
    super(c, 2);
  }
}
export class MaxPool3D extends MaxPoolND {
  static override readonly type: string = 'MaxPool3D';
  readonly rank = 3;
  constructor(c: MaxPoolLayerConfig) {
    super(c, 3);
  }
}

/**
 * Average pooling. Shape: as max pooling (no dilation). With countIncludePad (default) the divisor is
 * the window size clipped to the padded input; without, the number of input elements in the window.
 * ONNX: AveragePool.
 */
abstract class AvgPoolND extends PoolND {
  readonly countIncludePad: boolean;
  constructor(c: AvgPoolLayerConfig, r: number) {
    if (c && (c as { dilation?: unknown }).dilation !== undefined)
      throw new StrataError(
        `${new.target.type}${c.name ? ` '${c.name}'` : ''}`,
        'average pooling has no dilation',
      );
    super(c, r);
    this.countIncludePad = optBool(this.where, c.countIncludePad, 'countIncludePad', true);
  }
  forward([x]: Tensor[]): Tensor {
    return avgPool(x, { ...this.attrs(x.shape.slice(2)), countIncludePad: this.countIncludePad });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), countIncludePad: this.countIncludePad };
  }
}

export class AvgPool1D extends AvgPoolND {
  static override readonly type: string = 'AvgPool1D';
  readonly rank = 1;
  constructor(c: AvgPoolLayerConfig) {
    super(c, 1);
  }
}
export class AvgPool2D extends AvgPoolND {
  static override readonly type: string = 'AvgPool2D';
  readonly rank = 2;
  constructor(c: AvgPoolLayerConfig) {
    super(c, 2);
  }
}
export class AvgPool3D extends AvgPoolND {
  static override readonly type: string = 'AvgPool3D';
  readonly rank = 3;
  constructor(c: AvgPoolLayerConfig) {
    super(c, 3);
  }
}

export interface GlobalPoolLayerConfig extends LayerConfig {
  /** Keep the spatial axes as size 1 (default true): [C, 1, 1]; false gives [C]. */
  keepDims?: boolean;
}

/**
 * Global pooling over every spatial axis. Shape: [C, ...S] → [C, 1, ..., 1] (keepDims, default; MATLAB's
 * [1,1,C] in our channel-first layout) or [C]. ONNX: GlobalAveragePool / GlobalMaxPool (keepDims).
 * NOTE: global max pooling goes through max, so tied maxima share the gradient evenly.
 */
abstract class GlobalPoolND extends Layer {
  abstract readonly rank: number;
  readonly keepDims: boolean;
  protected abstract readonly reduce: typeof mean;
  constructor(c: GlobalPoolLayerConfig = {}) {
    super(c);
    this.keepDims = optBool(this.where, c.keepDims, 'keepDims', true);
  }
  computeOutputShape([s]: number[][]): number[] {
    expectSpatial(this.where, s, this.rank);
    return this.keepDims ? [s[0], ...s.slice(1).map(() => 1)] : [s[0]];
  }
  forward([x]: Tensor[]): Tensor {
    return this.reduce(
      x,
      x.shape.slice(2).map((_, i) => i + 2),
      this.keepDims,
    );
  }
  override flops([s]: number[][]): number {
    return prod(s);
  }
  getConfig(): Record<string, unknown> {
    return { keepDims: this.keepDims };
  }
}

export class GlobalAvgPool1D extends GlobalPoolND {
  static override readonly type: string = 'GlobalAvgPool1D';
  readonly rank = 1;
  protected readonly reduce = mean;
}
export class GlobalAvgPool2D extends GlobalPoolND {
  static override readonly type: string = 'GlobalAvgPool2D';
  readonly rank = 2;
  protected readonly reduce = mean;
}
export class GlobalAvgPool3D extends GlobalPoolND {
  static override readonly type: string = 'GlobalAvgPool3D';
  readonly rank = 3;
  protected readonly reduce = mean;
}
export class GlobalMaxPool1D extends GlobalPoolND {
  static override readonly type: string = 'GlobalMaxPool1D';
  readonly rank = 1;
  protected readonly reduce = max;
}
export class GlobalMaxPool2D extends GlobalPoolND {
  static override readonly type: string = 'GlobalMaxPool2D';
  readonly rank = 2;
  protected readonly reduce = max;
}
export class GlobalMaxPool3D extends GlobalPoolND {
  static override readonly type: string = 'GlobalMaxPool3D';
  readonly rank = 3;
  protected readonly reduce = max;
}

export interface MaxUnpoolLayerConfig extends LayerConfig {
  /** Spatial output size. Alternatives: a third input, or kernelSize/stride/padding. */
  outputSize?: number[];
  /** The pool's kernel, for the default size (O − 1)·stride − padBegin − padEnd + kernel. */
  kernelSize?: number | number[];
  stride?: number | number[];
  padding?: number | number[] | Array<[number, number]>;
}

/**
 * Max-unpooling: zeros of the output size with each value placed where its maximum came from.
 * Inputs: [values, the MaxPool layer's output (returnIndices: true), optional size reference].
 * Shape: [C, ...O] → [C, ...size], size from the reference input's spatial axes, else `outputSize`,
 * else (O − 1)·stride − padBegin − padEnd + kernelSize (PyTorch's default).
 * The size must be the pooled input's (the indices point into it). ONNX: MaxUnpool.
 */
abstract class MaxUnpoolND extends Layer {
  override readonly minInputs: number = 2;
  override readonly maxInputs: number = 3;
  abstract readonly rank: number;
  readonly outputSize: number[] | null;
  readonly kernelSize: number[] | null;
  readonly stride: number[] | null;
  readonly padding: number | number[] | Array<[number, number]>;

  constructor(c: MaxUnpoolLayerConfig = {}, r: number) {
    super(c);
    this.outputSize =
      c.outputSize === undefined ? null : intList(this.where, c.outputSize, 'outputSize', r, 1);
    this.kernelSize =
      c.kernelSize === undefined ? null : intList(this.where, c.kernelSize, 'kernelSize', r, 1);
    this.stride = c.stride === undefined ? this.kernelSize : intList(this.where, c.stride, 'stride', r, 1);
    this.padding = padOption(this.where, c.padding, r, false) as number | number[] | Array<[number, number]>;
  }

  computeOutputShape(shapes: number[][]): number[] {
    const [v, pooled, ref] = shapes;
    expectSpatial(this.where, v, this.rank);
    if (pooled.length !== v.length || pooled.some((d, i) => d !== v[i]))
      throw new StrataError(
        this.where,
        `input 1 (the max-pool output holding the indices) has shape [${pooled}], input 0 (the values) [${v}]: they must match`,
      );
    const [C, ...O] = v;
    if (ref) {
      expectSpatial(this.where, ref, this.rank);
      return [C, ...ref.slice(1)];
    }
    if (this.outputSize) return [C, ...this.outputSize];
    if (!this.kernelSize || !this.stride)
      throw new StrataError(
        this.where,
        'needs the output size: a third input (the layer that fed the pool), outputSize, or kernelSize',
      );
    const { padBegin, padEnd } = normPadding(
      this.where,
      this.padding,
      O,
      this.kernelSize,
      this.stride,
      [1, 1, 1].slice(0, this.rank),
    );
    const size = O.map((n, i) => (n - 1) * this.stride![i] - padBegin[i] - padEnd[i] + this.kernelSize![i]);
    if (size.some((d) => d < 1)) throw new StrataError(this.where, `output size [${size}] is not positive`);
    return [C, ...size];
  }

  forward([v, pooled]: Tensor[]): Tensor {
    const rec = poolRecords.get(pooled);
    if (!rec)
      throw new StrataError(
        this.where,
        'input 1 must be the output of a MaxPool layer with returnIndices: true (connect the pool layer itself)',
      );
    const size = this.outputShape.slice(1);
    if (size.some((d, i) => d !== rec.inputSpatial[i]))
      throw new StrataError(
        this.where,
        `output size [${size}] differs from the size [${rec.inputSpatial}] the max-pool indices point into`,
      );
    return unpoolScatter(v, rec.indices, size);
  }

  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {};
    if (this.outputSize) c.outputSize = this.outputSize;
    if (this.kernelSize) c.kernelSize = this.kernelSize;
    if (this.stride) c.stride = this.stride;
    if (this.padding !== 0) c.padding = this.padding;
    return c;
  }
}

export class MaxUnpool1D extends MaxUnpoolND {
  static override readonly type: string = 'MaxUnpool1D';
  readonly rank = 1;
  constructor(c: MaxUnpoolLayerConfig = {}) {
    super(c, 1);
  }
}
export class MaxUnpool2D extends MaxUnpoolND {
  static override readonly type: string = 'MaxUnpool2D';
  readonly rank = 2;
  constructor(c: MaxUnpoolLayerConfig = {}) {
    super(c, 2);
  }
}
export class MaxUnpool3D extends MaxUnpoolND {
  static override readonly type: string = 'MaxUnpool3D';
  readonly rank = 3;
  constructor(c: MaxUnpoolLayerConfig = {}) {
    super(c, 3);
  }
}

for (const c of [
  MaxPool1D,
  MaxPool2D,
  MaxPool3D,
  AvgPool1D,
  AvgPool2D,
  AvgPool3D,
  GlobalAvgPool1D,
  GlobalAvgPool2D,
  GlobalAvgPool3D,
  GlobalMaxPool1D,
  GlobalMaxPool2D,
  GlobalMaxPool3D,
  MaxUnpool1D,
  MaxUnpool2D,
  MaxUnpool3D,
])
  registerLayer(c);
