import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { batched } from './batching.js';
import { defineOp, expectCount, expectFloat, type OpDef, run1 } from './define.js';
import { spatialRank } from './window.js';

/**
 * Resizing of the spatial axes of (N, C, ...S), 1 to 3 of them, with ONNX Resize semantics: each output
 * coordinate is mapped to an input coordinate by the coordinate mode, then read by nearest-neighbour
 * (rounded by the nearest mode) or (bi/tri)linear interpolation, indices clamped to the input (edge
 * values repeat). Both modes are linear maps of x, so the gradient of `resize` is its adjoint
 * `resizeBackward` (a scatter-add with the same weights), and the gradient of that is `resize` again.
 *
 * Coordinate modes (x: output coordinate, s: scale, L: input length, l: output length, l' = s·L):
 *   half_pixel           (x + 0.5)/s − 0.5
 *   half_pixel_symmetric L/2·(1 − l/l') + (x + 0.5)/s − 0.5
 *   pytorch_half_pixel   l' > 1 ? (x + 0.5)/s − 0.5 : 0
 *   align_corners        l' = 1 ? 0 : x·(L − 1)/(l' − 1)
 *   asymmetric           x/s
 * Shape: (N, C, ...S) → (N, C, ...O) with O given, or O = floor(S·scale).
 */
export type ResizeMode = 'nearest' | 'linear';
export type CoordinateMode =
  | 'half_pixel'
  | 'half_pixel_symmetric'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'asymmetric';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface ResizeAttrs {
  mode: ResizeMode;
  coordinateMode: CoordinateMode;
  nearestMode: NearestMode;
  /** Output length per spatial axis. */
  outputSpatial: number[];
  /** Scale per spatial axis used by the coordinate mode: the one given, else output / input length. */
  scales: number[];
}
export type ResizeBackwardAttrs = ResizeAttrs & { inputSpatial: number[] };

export const RESIZE_MODES: readonly ResizeMode[] = ['nearest', 'linear'];
export const COORDINATE_MODES: readonly CoordinateMode[] = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
];
export const NEAREST_MODES: readonly NearestMode[] = [
  'round_prefer_floor',
  'round_prefer_ceil',
  'floor',
  'ceil',
];

function checkAttrs(op: string, r: number, a: ResizeAttrs): void {
  const oneOf = <T>(name: string, v: T, ok: readonly T[]) => {
    if (!ok.includes(v)) throw new StrataError(op, `${name} must be one of ${ok.join(', ')}, got '${v}'`);
  };
  oneOf('mode', a.mode, RESIZE_MODES);
  oneOf('coordinateMode', a.coordinateMode, COORDINATE_MODES);
  oneOf('nearestMode', a.nearestMode, NEAREST_MODES);
  const list = (name: string, v: number[], ok: (x: number) => boolean, what: string) => {
    if (!Array.isArray(v) || v.length !== r || !v.every(ok))
      throw new StrataError(
        op,
        `${name} must list ${r} ${what} (one per spatial axis), got ${JSON.stringify(v)}`,
      );
  };
  list('outputSpatial', a.outputSpatial, (d) => Number.isInteger(d) && d >= 1, 'positive integers');
  list('scales', a.scales, (s) => Number.isFinite(s) && s > 0, 'positive numbers');
}

const base = ({ mode, coordinateMode, nearestMode, outputSpatial, scales }: ResizeAttrs): ResizeAttrs => ({
  mode,
  coordinateMode,
  nearestMode,
  outputSpatial: [...outputSpatial],
  scales: [...scales],
});

export const resizeOp: OpDef<ResizeAttrs> = defineOp<ResizeAttrs>({
  name: 'resize',
  infer: (inputs, attrs) => {
    expectCount('resize', inputs, 1);
    const [x] = inputs;
    expectFloat('resize', x);
    const r = spatialRank('resize', x.shape);
    checkAttrs('resize', r, attrs);
    if (x.shape.slice(2).some((d) => d < 1))
      throw new StrataError('resize', `input [${x.shape}] has an empty spatial axis`);
    return [{ shape: [x.shape[0], x.shape[1], ...attrs.outputSpatial], dtype: x.dtype }];
  },
  grad: ([dy], { inputs: [x], attrs }) => [
    () => run1(resizeBackwardOp, [dy], { ...base(attrs), inputSpatial: x.shape.slice(2) }),
  ],
});

/** The adjoint of resize: each dy is added to the input positions it was read from, with the same weights. */
export const resizeBackwardOp: OpDef<ResizeBackwardAttrs> = defineOp<ResizeBackwardAttrs>({
  name: 'resizeBackward',
  infer: (inputs, attrs) => {
    const op = 'resizeBackward';
    expectCount(op, inputs, 1);
    const [dy] = inputs;
    expectFloat(op, dy);
    const r = spatialRank(op, dy.shape);
    checkAttrs(op, r, attrs);
    const s = attrs.inputSpatial;
    if (!Array.isArray(s) || s.length !== r || !s.every((d) => Number.isInteger(d) && d >= 1))
      throw new StrataError(op, `inputSpatial must list ${r} positive integers, got ${JSON.stringify(s)}`);
    if (dy.shape.slice(2).some((d, i) => d !== attrs.outputSpatial[i]))
      throw new StrataError(
        op,
        `dy [${dy.shape}] must have the output size [${attrs.outputSpatial}] on its spatial axes`,
      );
    return [{ shape: [dy.shape[0], dy.shape[1], ...s], dtype: dy.dtype }];
  },
  grad: ([ddx], { attrs }) => [() => run1(resizeOp, [ddx], base(attrs))],
});

/** The resize primitive with normalized attributes (see resize2d for the friendly form). */
export const resize = (x: Tensor, attrs: ResizeAttrs): Tensor => run1(resizeOp, [x], base(attrs));

// ---------------------------------------------------------------- user-facing functions

export interface ResizeOptions {
  /** Spatial output size (one per axis). Give this or `scale`. */
  size?: readonly number[];
  /** Scale per axis (or one for all): output = floor(input·scale), and the coordinate mode uses it. */
  scale?: number | readonly number[];
  /** 'nearest' (default) or 'linear' ('bilinear' and 'trilinear' are accepted as names for it). */
  mode?: ResizeMode | 'bilinear' | 'trilinear';
  /** Default 'half_pixel' (ONNX's default). */
  coordinateMode?: CoordinateMode;
  /** Rounding of nearest mode; default 'round_prefer_floor' (ONNX's default). */
  nearestMode?: NearestMode;
}

/** Resolves size/scale options into the op's attributes for an input of spatial size `S`. */
export function resizeAttrs(fn: string, S: readonly number[], o: ResizeOptions): ResizeAttrs {
  const r = S.length;
  const mode = o.mode === 'bilinear' || o.mode === 'trilinear' ? 'linear' : (o.mode ?? 'nearest');
  let outputSpatial: number[];
  let scales: number[];
  if ((o.size === undefined) === (o.scale === undefined))
    throw new StrataError(fn, 'give exactly one of `size` and `scale`');
  if (o.size !== undefined) {
    if (!Array.isArray(o.size) || o.size.length !== r || !o.size.every((d) => Number.isInteger(d) && d >= 1))
      throw new StrataError(fn, `size must list ${r} positive integers, got ${JSON.stringify(o.size)}`);
    outputSpatial = [...o.size];
    scales = outputSpatial.map((d, i) => d / S[i]);
  } else {
    const sc = typeof o.scale === 'number' ? new Array<number>(r).fill(o.scale) : [...(o.scale as number[])];
    if (sc.length !== r || !sc.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0))
      throw new StrataError(
        fn,
        `scale must be a positive number or ${r} of them, got ${JSON.stringify(o.scale)}`,
      );
    scales = sc;
    outputSpatial = S.map((d, i) => Math.floor(d * sc[i]));
    if (outputSpatial.some((d) => d < 1))
      throw new StrataError(fn, `scale [${sc}] makes an empty output from input size [${S}]`);
  }
  const attrs: ResizeAttrs = {
    mode: mode as ResizeMode,
    coordinateMode: o.coordinateMode ?? 'half_pixel',
    nearestMode: o.nearestMode ?? 'round_prefer_floor',
    outputSpatial,
    scales,
  };
  checkAttrs(fn, r, attrs);
  return attrs;
}

function resizeNd(fn: string, r: number) {
  return (x: Tensor, opts: ResizeOptions): Tensor =>
    batched(fn, x, r, (x) => resize(x, resizeAttrs(fn, x.shape.slice(2), opts ?? {})));
}

/**
 * Resizes (N, C, ...S) or (C, ...S) by `size` or `scale`, nearest or (bi/tri)linear, with the coordinate
 * modes of ONNX Resize. PyTorch's interpolate: 'nearest' = nearest + asymmetric + floor; 'nearest-exact'
 * = nearest + half_pixel + round_prefer_ceil; linear with align_corners=False = pytorch_half_pixel,
 * align_corners=True = align_corners.
 * Shape: O = size, or floor(S·scale).
 */
export const resize1d = resizeNd('resize1d', 1);
export const resize2d = resizeNd('resize2d', 2);
export const resize3d = resizeNd('resize3d', 3);
