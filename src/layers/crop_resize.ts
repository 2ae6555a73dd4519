import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import {
  COORDINATE_MODES,
  type CoordinateMode,
  NEAREST_MODES,
  type NearestMode,
  type ResizeAttrs,
  resize,
  resizeAttrs,
} from '../ops/resize.js';
import { slice } from '../ops/shape.js';
import { Layer, type LayerConfig } from './layer.js';
import { expectSpatial, intList, oneOf, prod } from './options.js';
import { registerLayer } from './registry.js';

/**
 * Crop and resize layers over the spatial axes of [C, ...spatial]. Each takes an optional second,
 * reference input whose spatial size is the target size (its values are not used and get no
 * gradient), as MATLAB's crop2dLayer and resize2dLayer ('OutputSize' from a reference) do; in a Graph:
 * `{ layer: new Crop2D(), inputs: ['decoder', 'encoder'] }`.
 */

const SPATIAL = ['[C,L]', '[C,H,W]', '[C,D,H,W]'];

export interface CropLayerConfig extends LayerConfig {
  /** Spatial size of the crop. Needed with one input; with a reference input its size is used. */
  size?: number[];
  /** Corner of the crop (0-based, one per spatial axis), or 'center' (default): floor((S − size)/2). */
  offset?: number[] | 'center';
}

/**
 * Crops a window of the spatial axes. Inputs: [x] or [x, reference].
 * Shape: [C, ...S] → [C, ...size] where size is the reference's spatial size or `size`, and
 * offset + size ≤ S on every axis. ONNX: Slice.
 */
abstract class CropND extends Layer {
  override readonly minInputs: number = 1;
  override readonly maxInputs: number = 2;
  abstract readonly rank: number;
  readonly size: number[] | null;
  readonly offset: number[] | 'center';

  constructor(c: CropLayerConfig = {}, r: number) {
    super(c);
    this.size = c.size === undefined ? null : intList(this.where, c.size, 'size', r, 1);
    this.offset =
      c.offset === undefined || c.offset === 'center'
        ? 'center'
        : intList(this.where, c.offset, 'offset', r, 0, 0);
  }

  private window(S: readonly number[], size: readonly number[]): number[] {
    return this.offset === 'center' ? S.map((n, i) => Math.floor((n - size[i]) / 2)) : this.offset;
  }

  computeOutputShape([s, ref]: number[][]): number[] {
    expectSpatial(this.where, s, this.rank);
    let size: number[];
    if (ref) {
      if (ref.length !== s.length)
        throw new StrataError(
          this.where,
          `the reference input must be ${SPATIAL[this.rank - 1]}, got [${ref}]`,
        );
      if (this.size) throw new StrataError(this.where, 'takes either a size or a reference input, not both');
      size = ref.slice(1);
    } else if (this.size) size = this.size;
    else throw new StrataError(this.where, 'needs a size, or a second (reference) input to crop to');
    const S = s.slice(1);
    const off = this.window(S, size);
    S.forEach((n, i) => {
      if (size[i] > n || off[i] < 0 || off[i] + size[i] > n)
        throw new StrataError(
          this.where,
          `a crop of size [${size}] at offset [${off}] does not fit the input [${s}] on spatial axis ${i}`,
        );
    });
    return [s[0], ...size];
  }

  forward([x]: Tensor[]): Tensor {
    const size = this.outputShape.slice(1);
    const off = this.window(x.shape.slice(2), size);
    return slice(x, [0, 0, ...off], [x.shape[0], x.shape[1], ...off.map((o, i) => o + size[i])]);
  }

  getConfig(): Record<string, unknown> {
    return this.size ? { size: this.size, offset: this.offset } : { offset: this.offset };
  }
}

/** 2-D crop of [C, H, W] (MATLAB crop2dLayer). */
export class Crop2D extends CropND {
  static override readonly type: string = 'Crop2D';
  readonly rank = 2;
  constructor(c: CropLayerConfig = {}) {
    super(c, 2);
  }
}
/** 3-D crop of [C, D, H, W] (MATLAB crop3dLayer). */
export class Crop3D extends CropND {
  static override readonly type: string = 'Crop3D';
  readonly rank = 3;
  constructor(c: CropLayerConfig = {}) {
    super(c, 3);
  }
}

export interface ResizeLayerConfig extends LayerConfig {
  /** Scale per spatial axis (or one for all): output = floor(S·scale). */
  scale?: number | number[];
  /** Spatial output size. */
  size?: number[];
  /** 'nearest' (default) or 'linear' (also written 'bilinear' / 'trilinear'). */
  mode?: 'nearest' | 'linear' | 'bilinear' | 'trilinear';
  /** ONNX coordinate_transformation_mode (default 'half_pixel'). */
  coordinateMode?: CoordinateMode;
  /** ONNX nearest_mode (default 'round_prefer_floor'). */
  nearestMode?: NearestMode;
}

/**
 * Resizes the spatial axes by a scale, to a size, or to a reference input's size (give exactly one),
 * nearest or (bi/tri)linear, with ONNX Resize's coordinate and rounding modes.
 * Shape: [C, ...S] → [C, ...O], O = floor(S·scale), or size, or the reference's spatial size.
 * Parameters: none. ONNX: Resize.
 */
abstract class ResizeND extends Layer {
  override readonly minInputs: number = 1;
  override readonly maxInputs: number = 2;
  abstract readonly rank: number;
  readonly scale: number[] | null;
  readonly size: number[] | null;
  readonly mode: 'nearest' | 'linear';
  readonly coordinateMode: CoordinateMode;
  readonly nearestMode: NearestMode;

  constructor(c: ResizeLayerConfig = {}, r: number) {
    super(c);
    const m = oneOf(this.where, c.mode, 'mode', ['nearest', 'linear', 'bilinear', 'trilinear'], 'nearest');
    this.mode = m === 'nearest' ? 'nearest' : 'linear';
    this.coordinateMode = oneOf(
      this.where,
      c.coordinateMode,
      'coordinateMode',
      COORDINATE_MODES,
      'half_pixel',
    );
    this.nearestMode = oneOf(this.where, c.nearestMode, 'nearestMode', NEAREST_MODES, 'round_prefer_floor');
    this.size = c.size === undefined ? null : intList(this.where, c.size, 'size', r, 1);
    if (c.scale === undefined) this.scale = null;
    else {
      const sc = typeof c.scale === 'number' ? new Array<number>(r).fill(c.scale) : c.scale;
      if (
        !Array.isArray(sc) ||
        sc.length !== r ||
        !sc.every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v))
      )
        throw new StrataError(
          this.where,
          `scale must be a positive number or ${r} of them, got ${JSON.stringify(c.scale)}`,
        );
      this.scale = [...sc];
    }
    if (this.scale && this.size) throw new StrataError(this.where, 'give a scale or a size, not both');
  }

  private attrs(S: readonly number[], ref?: readonly number[]): ResizeAttrs {
    return resizeAttrs(this.where, S, {
      size: ref ?? this.size ?? undefined,
      scale: ref ? undefined : (this.scale ?? undefined),
      mode: this.mode,
      coordinateMode: this.coordinateMode,
      nearestMode: this.nearestMode,
    });
  }

  computeOutputShape([s, ref]: number[][]): number[] {
    expectSpatial(this.where, s, this.rank);
    if (ref) {
      if (ref.length !== s.length)
        throw new StrataError(
          this.where,
          `the reference input must be ${SPATIAL[this.rank - 1]}, got [${ref}]`,
        );
      if (this.scale || this.size)
        throw new StrataError(this.where, 'takes a scale, a size or a reference input: only one');
    } else if (!this.scale && !this.size)
      throw new StrataError(this.where, 'needs a scale, a size, or a second (reference) input');
    return [s[0], ...this.attrs(s.slice(1), ref?.slice(1)).outputSpatial];
  }

  forward([x, ref]: Tensor[]): Tensor {
    return resize(x, this.attrs(x.shape.slice(2), ref?.shape.slice(2)));
  }

  /** Per output element: one read (nearest) or 2^rank multiply-adds (linear). */
  override flops(shapes: number[][]): number {
    const out = prod(this.computeOutputShape(shapes));
    return this.mode === 'nearest' ? out : out * 2 ** (this.rank + 1);
  }

  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      mode: this.mode,
      coordinateMode: this.coordinateMode,
      nearestMode: this.nearestMode,
    };
    if (this.scale) c.scale = this.scale;
    if (this.size) c.size = this.size;
    return c;
  }
}

/** 2-D resize of [C, H, W] (MATLAB resize2dLayer, Keras UpSampling2D / Resizing). */
export class Resize2D extends ResizeND {
  static override readonly type: string = 'Resize2D';
  readonly rank = 2;
  constructor(c: ResizeLayerConfig = {}) {
    super(c, 2);
  }
}
/** 3-D resize of [C, D, H, W] (MATLAB resize3dLayer). */
export class Resize3D extends ResizeND {
  static override readonly type: string = 'Resize3D';
  readonly rank = 3;
  constructor(c: ResizeLayerConfig = {}) {
    super(c, 3);
  }
}

for (const c of [Crop2D, Crop3D, Resize2D, Resize3D]) registerLayer(c);
