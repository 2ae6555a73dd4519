/**
 * ONNX operators mapped to Strata's ops and functional API, one entry per ONNX op. A handler reads
 * the node's inputs and attributes through `Args` and returns the node's outputs as Strata tensors.
 * Handlers only translate (attribute defaults, padding conventions, index layouts); the arithmetic is
 * Strata's, so gradients flow through every handler built from ops. The few `host` entries (shape,
 * integer and boolean ops: Shape, Size, Range, Mod, Floor, …) compute on the host from the values and
 * carry no gradient. The conformance runner (tools/conformance) and the importer (import.ts) share
 * this table.
 */
import { backendByName } from '../../core/backend.js';
import type { Backend } from '../../core/backend.js';
import { fromTypedArray, full } from '../../core/creation.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { StrataError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { gelu, prelu, swish } from '../../functional/activations.js';
import { dropout } from '../../functional/dropout.js';
import {
  batchNorm,
  batchNormWithStats,
  groupNorm,
  instanceNorm,
  invStd,
  layerNorm,
  localResponseNorm,
  moments,
  runningUpdate,
} from '../../functional/normalization.js';
import {
  add,
  div,
  equal,
  greater,
  greaterEqual,
  less,
  lessEqual,
  maximum,
  minimum,
  mul,
  notEqual,
  pow,
  sub,
  where,
} from '../../ops/binary.js';
import { conv } from '../../ops/conv.js';
import { convTranspose1d, convTranspose2d, convTranspose3d } from '../../ops/conv_fns.js';
import { matmul } from '../../ops/matmul.js';
import { avgPool, globalAvgPool, globalMaxPool, maxPool } from '../../ops/pool.js';
import { maxUnpool1d, maxUnpool2d, maxUnpool3d } from '../../ops/pool_fns.js';
import { argmax, argmin, max, mean, min, sum } from '../../ops/reduce.js';
import { resize } from '../../ops/resize.js';
import { broadcastTo, concat, pad, permute, reshape, slice, squeeze, unsqueeze } from '../../ops/shape.js';
import { logSoftmax, softmax } from '../../ops/softmax.js';
import {
  abs,
  cast,
  clamp,
  elu,
  erf,
  exp,
  leakyRelu,
  log,
  neg,
  relu,
  sigmoid,
  sign,
  softplus,
  sqrt,
  tanh,
} from '../../ops/unary.js';
import { DT, dtypeName, type OnnxTensor } from './proto.js';

const FLOATS = [DT.FLOAT, DT.DOUBLE];

/** What a handler sees of its node: the op, attributes and output names. */
export interface NodeLike {
  opType: string;
  attrs: ReadonlyMap<string, unknown>;
  outputs: readonly string[];
}

/** A node input: a Strata tensor (computed), a decoded constant (initializer, Constant), or omitted. */
export type Operand = Tensor | OnnxTensor;

const isTensor = (v: Operand): v is Tensor => typeof (v as Tensor).data === 'function';

/** The node's inputs and attributes, converted on demand. */
export class Args {
  constructor(
    readonly node: NodeLike,
    readonly opset: number,
    /** Aligned with the node's inputs; null for an omitted optional input. */
    readonly values: ReadonlyArray<Operand | null>,
    /** Constant folding: constants become float64 tensors on the reference backend. */
    readonly folding = false,
  ) {}

  /** The backend computed inputs live on (constants are uploaded there). */
  get backend(): Backend | undefined {
    if (this.folding) return backendByName('reference');
    for (const v of this.values) if (v && isTensor(v)) return v.backend;
    return undefined;
  }
  /** Number of node inputs given (trailing omitted ones excluded). */
  get count(): number {
    let n = this.values.length;
    while (n > 0 && !this.values[n - 1]) n--;
    return n;
  }
  /** Number of outputs the node asks for. */
  get outputs(): number {
    return this.node.outputs.filter((o) => o !== '').length;
  }
  has(i: number): boolean {
    return !!this.values[i];
  }
  /** Input i as a Strata tensor (float → float32, double → float64, ints → int32, bool → float32 0/1). */
  x(i: number): Tensor {
    const v = this.values[i];
    if (!v) throw new StrataError(this.node.opType, `input ${i} is missing`);
    if (isTensor(v)) return v;
    return this.folding ? foldTensor(v) : toTensor(v, this.backend);
  }
  opt(i: number): Tensor | null {
    return this.values[i] ? this.x(i) : null;
  }
  /** Input i as a list of numbers, or null when omitted. */
  list(i: number): number[] | null {
    const v = this.values[i];
    if (!v) return null;
    if (isTensor(v)) return Array.from(v.data());
    if (!v.data)
      throw new StrataError(this.node.opType, `input ${i} (${dtypeName(v.dtype)}) has no readable data`);
    return Array.from(v.data as ArrayLike<number | bigint>, (e) => Number(e));
  }
  /** Input i as a list of numbers, or null when omitted or empty. */
  floatList(i: number): number[] | null {
    const l = this.list(i);
    return l?.length ? l : null;
  }
  /** A scalar input (Clip bounds, Dropout ratio, Pad value), or null. */
  scalar(i: number): number | null {
    const l = this.list(i);
    return l === null || l.length === 0 ? null : l[0];
  }
  i(name: string, d: number): number {
    const v = this.node.attrs.get(name);
    return typeof v === 'number' ? v : d;
  }
  f(name: string, d: number): number {
    return this.i(name, d);
  }
  s(name: string, d: string): string {
    const v = this.node.attrs.get(name);
    return typeof v === 'string' ? v : d;
  }
  ints(name: string): number[] | null {
    const v = this.node.attrs.get(name);
    return Array.isArray(v) ? (v as number[]) : null;
  }
  tensorAttr(name: string): OnnxTensor | null {
    const v = this.node.attrs.get(name);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as OnnxTensor) : null;
  }
}

/** The Strata dtype that holds an ONNX element type (bool as 0/1 float32, integers as int32). */
export function strataDtype(onnx: number): DType | null {
  switch (onnx) {
    case DT.FLOAT:
    case DT.BOOL:
      return 'float32';
    case DT.DOUBLE:
      return 'float64';
    case DT.INT8:
    case DT.UINT8:
    case DT.INT16:
    case DT.UINT16:
    case DT.INT32:
    case DT.UINT32:
    case DT.INT64:
    case DT.UINT64:
      return 'int32';
    default:
      return null;
  }
}

/** An ONNX tensor as a Strata tensor (see strataDtype); integers must fit int32. */
export function toTensor(v: OnnxTensor, backend?: Backend): Tensor {
  const dtype = strataDtype(v.dtype);
  if (!v.data || !dtype)
    throw new StrataError('onnx', `element type ${dtypeName(v.dtype)} has no Strata counterpart`);
  let data: TypedArray;
  if (v.data instanceof Float32Array || v.data instanceof Float64Array || v.data instanceof Int32Array)
    data = v.data;
  else if (dtype === 'float32') data = Float32Array.from(v.data as Uint8Array);
  else {
    data = new Int32Array(v.data.length);
    for (let i = 0; i < data.length; i++) {
      const e = Number(v.data[i]);
      // Clamp out-of-range values (INT64_MAX "to the end" markers and the like).
      data[i] = e > 2147483647 ? 2147483647 : e < -2147483648 ? -2147483648 : e;
    }
  }
  return fromTypedArray(data, v.dims, { dtype, backend });
}

/** A constant as float64 on the reference backend (constant folding computes in float64). */
function foldTensor(v: OnnxTensor): Tensor {
  if (!v.data) throw new StrataError('onnx', `element type ${dtypeName(v.dtype)} has no Strata counterpart`);
  return fromTypedArray(Float64Array.from(v.data as ArrayLike<number | bigint>, Number), v.dims, {
    dtype: 'float64',
    backend: backendByName('reference'),
  });
}

export interface OpEntry {
  /** Inputs read as lists of numbers (shapes, axes, pads, scales, bounds), never as learned tensors. */
  lists?: readonly number[];
  /** Element types accepted for tensor inputs by the conformance runner (default float and double). */
  dtypes?: readonly number[];
  /** Computed on the host from the values: no gradient flows through (shape, integer, boolean ops). */
  host?: boolean;
  /** Only when every input is a constant (folded by the importer): no runtime version. */
  foldOnly?: boolean;
  run: (a: Args) => Tensor | ReadonlyArray<Tensor | null>;
}

// ---------------------------------------------------------------- helpers

/**
 * The most elements an op may allocate for a shape it reads from its inputs (ConstantOfShape, Range,
 * Expand, Resize, Pad): 2^28 (1 GiB of float32). A file that asks for more is refused up front.
 */
export const MAX_COMPUTED_ELEMENTS = 2 ** 28;

export function checkAllocation(op: string, shape: readonly number[]): void {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new StrataError(op, `shape [${shape}] has an invalid dimension ${d}`);
    n *= d;
  }
  if (n > MAX_COMPUTED_ELEMENTS)
    throw new StrataError(
      op,
      `shape [${shape}] has ${n} elements, more than the ${MAX_COMPUTED_ELEMENTS} Strata allocates for one op`,
    );
}

const range = (n: number, from = 0) => Array.from({ length: n - from }, (_, i) => i + from);
const normAxis = (a: number, r: number) => (a < 0 ? a + r : a);
const prod = (v: readonly number[]) => v.reduce((p, d) => p * d, 1);

/** Begin/end padding per spatial axis from auto_pad / pads (ONNX's convention for conv and pooling). */
export function windowPads(
  autoPad: string,
  pads: number[] | null,
  S: number[],
  K: number[],
  stride: number[],
  dil: number[],
): { padBegin: number[]; padEnd: number[] } {
  const r = S.length;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const padBegin: number[] = [];
    const padEnd: number[] = [];
    S.forEach((s, i) => {
      const out = Math.ceil(s / stride[i]);
      const total = Math.max(0, (out - 1) * stride[i] + (K[i] - 1) * dil[i] + 1 - s);
      const small = Math.floor(total / 2);
      padBegin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      padEnd.push(total - padBegin[i]);
    });
    return { padBegin, padEnd };
  }
  if (autoPad === 'VALID') return { padBegin: S.map(() => 0), padEnd: S.map(() => 0) };
  const p = pads ?? new Array<number>(2 * r).fill(0);
  return { padBegin: p.slice(0, r), padEnd: p.slice(r, 2 * r) };
}

/** Strides, dilations and begin/end padding of a conv or pooling node. */
export function spatialAttrs(a: Args, S: number[], K: number[]) {
  const r = S.length;
  const stride = a.ints('strides') ?? new Array<number>(r).fill(1);
  const dilation = a.ints('dilations') ?? new Array<number>(r).fill(1);
  return {
    stride,
    dilation,
    ...windowPads(a.s('auto_pad', 'NOTSET'), a.ints('pads'), S, K, stride, dilation),
  };
}

function addChannelBias(y: Tensor, b: Tensor | null): Tensor {
  return b ? add(y, reshape(b, [b.size, ...y.shape.slice(2).map(() => 1)])) : y;
}

/** Axes of a Reduce* node: the `axes` input (opset 13 for ReduceSum, 18 for the others) or attribute. */
function reduceAxes(a: Args, x: Tensor, axesFromInput: boolean): number[] | 'noop' {
  const given = axesFromInput ? a.list(1) : a.ints('axes');
  if (!given || given.length === 0) return a.i('noop_with_empty_axes', 0) ? 'noop' : range(x.rank);
  return given.map((ax) => normAxis(ax, x.rank));
}

function reduce(f: (x: Tensor, axes: number[], keep: boolean) => Tensor, inputFrom: number): OpEntry {
  return {
    lists: [1],
    run: (a: Args) => {
      const x = a.x(0);
      const axes = reduceAxes(a, x, a.opset >= inputFrom);
      if (axes === 'noop') return x;
      return f(x, axes, a.i('keepdims', 1) === 1);
    },
  };
}

/** Softmax-like ops: opset ≥ 13 along one axis; before, over the axes from `axis` on, flattened. */
function softmaxLike(f: (x: Tensor, axis: number) => Tensor): OpEntry {
  return {
    run: (a) => {
      const x = a.x(0);
      if (a.opset >= 13) return f(x, a.i('axis', -1));
      const ax = normAxis(a.i('axis', 1), x.rank);
      const rows = x.shape.slice(0, ax).reduce((p, d) => p * d, 1);
      return reshape(f(reshape(x, [rows, -1]), 1), x.shape);
    },
  };
}

const unary = (f: (x: Tensor) => Tensor): OpEntry => ({ run: (a) => f(a.x(0)) });

/**
 * Element-wise binary ops through Strata's op, or on the host for integer (int32) operands, which
 * Strata's arithmetic does not take (shape arithmetic of imported graphs).
 */
function binary(
  f: (x: Tensor, y: Tensor) => Tensor,
  onHost?: (x: number, y: number) => number,
  boolOut = false,
): OpEntry {
  return {
    run: (a) => {
      const x = a.x(0);
      const y = a.x(1);
      if (onHost && (x.dtype === 'int32' || y.dtype === 'int32')) return hostBinary(x, y, onHost, boolOut);
      return f(x, y);
    },
  };
}

const variadic = (
  f: (x: Tensor, y: Tensor) => Tensor,
  post?: (t: Tensor, n: number) => Tensor,
  onHost?: (x: number, y: number) => number,
): OpEntry => ({
  run: (a) => {
    let y = a.x(0);
    for (let i = 1; i < a.count; i++) {
      const z = a.x(i);
      y = onHost && (y.dtype === 'int32' || z.dtype === 'int32') ? hostBinary(y, z, onHost) : f(y, z);
    }
    return post ? post(y, a.count) : y;
  },
});

/** Broadcast shape of two shapes (numpy rules). */
function broadcastShape(p: readonly number[], q: readonly number[]): number[] {
  const r = Math.max(p.length, q.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const a = p[p.length - r + i] ?? 1;
    const b = q[q.length - r + i] ?? 1;
    if (a !== b && a !== 1 && b !== 1)
      throw new StrataError('onnx', `shapes [${p}] and [${q}] do not broadcast`);
    out.push(a === 1 ? b : a);
  }
  return out;
}

/** Index into a broadcast operand for flat output index i. */
function broadcastIndex(i: number, out: readonly number[], shape: readonly number[]): number {
  let idx = 0;
  let stride = 1;
  let rest = i;
  for (let k = out.length - 1; k >= 0; k--) {
    const c = rest % out[k];
    rest = Math.floor(rest / out[k]);
    const j = k - (out.length - shape.length);
    if (j >= 0) {
      if (shape[j] !== 1) idx += c * stride;
      stride *= shape[j];
    }
  }
  return idx;
}

/** A host result as a tensor: int32 when `int`, else the float type of `like` (float32 by default). */
function hostTensor(
  data: ArrayLike<number>,
  shape: number[],
  int: boolean,
  like: Tensor | null,
  backend?: Backend,
): Tensor {
  const dtype: DType = int ? 'int32' : like && like.dtype !== 'int32' ? like.dtype : 'float32';
  const arr =
    dtype === 'int32'
      ? Int32Array.from(data)
      : dtype === 'float64'
        ? Float64Array.from(data)
        : Float32Array.from(data);
  return fromTypedArray(arr, shape, { dtype, backend: backend ?? like?.backend });
}

function hostBinary(x: Tensor, y: Tensor, f: (p: number, q: number) => number, boolOut = false): Tensor {
  const out = broadcastShape(x.shape, y.shape);
  const xd = x.data();
  const yd = y.data();
  const res = new Float64Array(prod(out));
  for (let i = 0; i < res.length; i++)
    res[i] = f(xd[broadcastIndex(i, out, x.shape)], yd[broadcastIndex(i, out, y.shape)]);
  const int = !boolOut && x.dtype === 'int32' && y.dtype === 'int32';
  return hostTensor(res, out, int, boolOut ? null : x.dtype === 'int32' ? y : x, x.backend);
}

function hostUnary(f: (v: number) => number, keepInt = true): OpEntry {
  return {
    host: true,
    run: (a) => {
      const x = a.x(0);
      return hostTensor(Array.from(x.data(), f), x.shape, keepInt && x.dtype === 'int32', x);
    },
  };
}

/** Pooling window attributes (strides default 1, as ONNX). */
function poolAttrs(a: Args, x: Tensor) {
  const K = a.ints('kernel_shape')!;
  return { kernel: K, ...spatialAttrs(a, x.shape.slice(2), K), ceilMode: a.i('ceil_mode', 0) === 1 };
}

export function convTransposeFn(r: number) {
  return r === 1 ? convTranspose1d : r === 2 ? convTranspose2d : convTranspose3d;
}

/**
 * ConvTranspose's begin/end padding and output padding from pads / output_shape / auto_pad: a
 * requested output larger than the full one becomes output padding (the extra positions get no input).
 */
export function convTransposeGeometry(a: Args, S: number[], K: number[]) {
  const r = S.length;
  const stride = a.ints('strides') ?? new Array<number>(r).fill(1);
  const dilation = a.ints('dilations') ?? new Array<number>(r).fill(1);
  const outPad = [...(a.ints('output_padding') ?? new Array<number>(r).fill(0))];
  const autoPad = a.s('auto_pad', 'NOTSET');
  let target = a.ints('output_shape');
  if (!target && (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER'))
    target = S.map((s, i) => s * stride[i]);
  let padding: Array<[number, number]>;
  if (target) {
    const t = target.slice(-r);
    padding = S.map((s, i) => {
      const total = stride[i] * (s - 1) + outPad[i] + (K[i] - 1) * dilation[i] + 1 - t[i];
      if (total < 0) {
        outPad[i] -= total;
        return [0, 0];
      }
      const half = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
    });
  } else {
    const p = a.ints('pads') ?? new Array<number>(2 * r).fill(0);
    padding = range(r).map((i) => [p[i], p[i + r]]);
  }
  return { stride, dilation, padding, outputPadding: outPad };
}

const SHAPE_DTYPES = [DT.FLOAT, DT.DOUBLE, DT.INT32];

type CoordinateMode =
  | 'half_pixel'
  | 'half_pixel_symmetric'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'asymmetric';
type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

/** Output size and scales of a Resize (opset ≥ 11: X, roi, scales, sizes; before: X, scales) node. */
export function resizeGeometry(a: Args, shape: number[], oldStyle: boolean) {
  const r = shape.length;
  const scalesIn = oldStyle ? a.floatList(1) : a.floatList(2);
  const sizesIn = oldStyle ? null : a.floatList(3);
  const axes = (a.ints('axes') ?? range(r)).map((v) => normAxis(v, r));
  const scales = shape.map(() => 1);
  const out = [...shape];
  if (sizesIn?.length) {
    const policy = a.s('keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch')
      axes.forEach((ax, k) => {
        out[ax] = sizesIn[k];
        scales[ax] = sizesIn[k] / shape[ax];
      });
    else {
      const ratios = axes.map((ax, k) => sizesIn[k] / shape[ax]);
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      for (const ax of axes) {
        scales[ax] = s;
        out[ax] = Math.round(s * shape[ax]);
      }
    }
  } else if (scalesIn)
    axes.forEach((ax, k) => {
      scales[ax] = scalesIn[k];
      out[ax] = Math.floor(shape[ax] * scalesIn[k]);
    });
  return { out, scales, fromSizes: !!sizesIn?.length };
}

/**
 * Resize and Upsample. ONNX gives a scale or size for every axis (or for `axes`); Strata resizes the
 * spatial axes, so the batch and channel axes must keep their size.
 */
function resizeLike(a: Args, fixed?: { coordinateMode: CoordinateMode; nearestMode: NearestMode }): Tensor {
  const x = a.x(0);
  const { out, scales } = resizeGeometry(a, x.shape, fixed !== undefined || a.opset < 11);
  checkAllocation('Resize', out);
  if (out[0] !== x.shape[0] || out[1] !== x.shape[1])
    throw new StrataError(
      'Resize',
      `resizing the batch or channel axis ([${x.shape}] → [${out}]) is not supported`,
    );
  const mode = a.s('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear')
    throw new StrataError('Resize', `mode '${mode}' is not supported (nearest, linear)`);
  return resize(x, {
    mode: mode === 'nearest' ? 'nearest' : 'linear',
    coordinateMode:
      fixed?.coordinateMode ?? (a.s('coordinate_transformation_mode', 'half_pixel') as CoordinateMode),
    nearestMode: fixed?.nearestMode ?? (a.s('nearest_mode', 'round_prefer_floor') as NearestMode),
    outputSpatial: out.slice(2),
    scales: scales.slice(2),
  });
}

/** Slices along the given axes with clamped ONNX indices (positive steps). */
function sliceAxes(
  x: Tensor,
  starts: number[],
  ends: number[],
  axesIn: number[] | null,
  steps: number[] | null,
): Tensor {
  const axes = (axesIn ?? range(starts.length)).map((v) => normAxis(v, x.rank));
  const step = x.shape.map(() => 1);
  const begin = x.shape.map(() => 0);
  const end = [...x.shape];
  axes.forEach((ax, k) => {
    const d = x.shape[ax];
    const st = steps?.[k] ?? 1;
    if (st <= 0) throw new StrataError('Slice', `step ${st}: only positive steps are supported`);
    const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    begin[ax] = clampIdx(starts[k]);
    end[ax] = Math.max(clampIdx(ends[k]), begin[ax]);
    step[ax] = st;
  });
  return slice(x, begin, end, step);
}

/** Gather along an axis with given indices: slices and a concatenation, so gradients reach the data. */
function gather(x: Tensor, indices: number[], idxShape: number[], axis: number): Tensor {
  const ax = normAxis(axis, x.rank);
  const d = x.shape[ax];
  const parts = indices.map((i) => {
    const k = i < 0 ? i + d : i;
    if (k < 0 || k >= d)
      throw new StrataError('Gather', `index ${i} is out of range for axis ${axis} of size ${d}`);
    const b = x.shape.map(() => 0);
    const e = [...x.shape];
    b[ax] = k;
    e[ax] = k + 1;
    return slice(x, b, e);
  });
  const joined = parts.length === 1 ? parts[0] : concat(parts, ax);
  return reshape(joined, [...x.shape.slice(0, ax), ...idxShape, ...x.shape.slice(ax + 1)]);
}

/** ONNX integer Mod: sign of the divisor (fmod=0) or of the dividend (fmod=1). */
const modHost = (fmod: boolean) => (p: number, q: number) => {
  if (fmod) return p % q;
  const m = p % q;
  return m !== 0 && Math.sign(m) !== Math.sign(q) ? m + q : m;
};

// ---------------------------------------------------------------- the table

export const onnxOps: Record<string, OpEntry> = {
  // element-wise, one input
  Abs: unary(abs),
  Neg: unary(neg),
  Exp: unary(exp),
  Log: unary(log),
  Sqrt: unary(sqrt),
  Sign: unary(sign),
  Erf: unary(erf),
  Relu: unary(relu),
  Sigmoid: unary(sigmoid),
  Tanh: unary(tanh),
  Softplus: unary(softplus),
  Reciprocal: { run: (a) => div(1, a.x(0)) },
  Softsign: { run: (a) => div(a.x(0), add(abs(a.x(0)), 1)) },
  Mish: { run: (a) => mul(a.x(0), tanh(softplus(a.x(0)))) },
  HardSigmoid: { run: (a) => clamp(add(mul(a.x(0), a.f('alpha', 0.2)), a.f('beta', 0.5)), 0, 1) },
  HardSwish: { run: (a) => mul(a.x(0), clamp(add(mul(a.x(0), 1 / 6), 0.5), 0, 1)) },
  Selu: {
    run: (a) => mul(elu(a.x(0), a.f('alpha', 1.6732631921768188)), a.f('gamma', 1.0507010221481323)),
  },
  Celu: {
    run: (a) => {
      const alpha = a.f('alpha', 1);
      return mul(elu(div(a.x(0), alpha), 1), alpha);
    },
  },
  Identity: { dtypes: [...SHAPE_DTYPES, DT.BOOL], run: (a) => a.x(0) },
  LeakyRelu: { run: (a) => leakyRelu(a.x(0), a.f('alpha', 0.01)) },
  Elu: { run: (a) => elu(a.x(0), a.f('alpha', 1)) },
  PRelu: binary(prelu),
  Gelu: { run: (a) => gelu(a.x(0), a.s('approximate', 'none') === 'tanh' ? 'tanh' : 'none') },
  Swish: { run: (a) => swish(a.x(0), a.f('alpha', 1)) },
  Clip: {
    lists: [1, 2],
    run: (a) => {
      const lo = a.opset >= 11 ? a.scalar(1) : a.f('min', Number.NEGATIVE_INFINITY);
      const hi = a.opset >= 11 ? a.scalar(2) : a.f('max', Number.POSITIVE_INFINITY);
      return clamp(a.x(0), lo ?? Number.NEGATIVE_INFINITY, hi ?? Number.POSITIVE_INFINITY);
    },
  },
  Softmax: softmaxLike(softmax),
  LogSoftmax: softmaxLike(logSoftmax),
  Floor: hostUnary(Math.floor),
  Ceil: hostUnary(Math.ceil),
  Round: hostUnary((v) => {
    const f = Math.floor(v);
    const d = v - f;
    return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  }),
  Cos: { foldOnly: true, ...hostUnary(Math.cos, false) },
  Sin: { foldOnly: true, ...hostUnary(Math.sin, false) },
  IsNaN: hostUnary((v) => (Number.isNaN(v) ? 1 : 0), false),
  IsInf: {
    host: true,
    run: (a) => {
      const x = a.x(0);
      const pos = a.i('detect_positive', 1) === 1;
      const negative = a.i('detect_negative', 1) === 1;
      const f = (v: number) => ((pos && v === Infinity) || (negative && v === -Infinity) ? 1 : 0);
      return hostTensor(Array.from(x.data(), f), x.shape, false, null, x.backend);
    },
  },

  // booleans (0/1 floats)
  Not: { dtypes: [DT.BOOL], run: (a) => sub(1, a.x(0)) },
  And: { dtypes: [DT.BOOL], run: (a) => mul(a.x(0), a.x(1)) },
  Or: { dtypes: [DT.BOOL], run: (a) => maximum(a.x(0), a.x(1)) },
  Xor: { dtypes: [DT.BOOL], run: (a) => notEqual(a.x(0), a.x(1)) },

  // element-wise, broadcasting
  Add: binary(add, (p, q) => p + q),
  Sub: binary(sub, (p, q) => p - q),
  Mul: binary(mul, (p, q) => p * q),
  Div: binary(div, (p, q) => Math.trunc(p / q)),
  Pow: binary(pow),
  Mod: {
    host: true,
    run: (a) => hostBinary(a.x(0), a.x(1), modHost(a.i('fmod', 0) === 1)),
  },
  Max: variadic(maximum, undefined, Math.max),
  Min: variadic(minimum, undefined, Math.min),
  Sum: variadic(add, undefined, (p, q) => p + q),
  Mean: variadic(add, (t, n) => div(t, n)),
  Equal: binary(equal, (p, q) => Number(p === q), true),
  Less: binary(less, (p, q) => Number(p < q), true),
  LessOrEqual: binary(lessEqual, (p, q) => Number(p <= q), true),
  Greater: binary(greater, (p, q) => Number(p > q), true),
  GreaterOrEqual: binary(greaterEqual, (p, q) => Number(p >= q), true),
  Where: {
    dtypes: [DT.BOOL, ...FLOATS],
    run: (a) => {
      const [c, x, y] = [a.x(0), a.x(1), a.x(2)];
      if (x.dtype !== 'int32' && y.dtype !== 'int32') return where(c, x, y);
      // Integer branches: on the host (Strata's where takes floats).
      const out = [c.shape, x.shape, y.shape].reduce((p, q) => broadcastShape(p, q));
      const [cd, xd, yd] = [c.data(), x.data(), y.data()];
      const res = Array.from({ length: prod(out) }, (_, i) =>
        cd[broadcastIndex(i, out, c.shape)]
          ? xd[broadcastIndex(i, out, x.shape)]
          : yd[broadcastIndex(i, out, y.shape)],
      );
      return hostTensor(
        res,
        out,
        x.dtype === 'int32' && y.dtype === 'int32',
        x.dtype === 'int32' ? y : x,
        x.backend,
      );
    },
  },

  // reductions
  ReduceSum: reduce(sum, 13),
  ReduceMean: reduce(mean, 18),
  ReduceMax: reduce(max, 18),
  ReduceMin: reduce(min, 18),
  ArgMax: { run: (a) => argmax(a.x(0), a.i('axis', 0), a.i('keepdims', 1) === 1) },
  ArgMin: { run: (a) => argmin(a.x(0), a.i('axis', 0), a.i('keepdims', 1) === 1) },

  // types
  Cast: {
    dtypes: [...SHAPE_DTYPES, DT.BOOL],
    run: (a) => {
      const x = a.x(0);
      const to = a.i('to', DT.FLOAT);
      if (to === DT.BOOL) return notEqual(x.dtype === 'int32' ? cast(x, 'float32') : x, 0);
      const d = strataDtype(to);
      if (!d) throw new StrataError('Cast', `cannot cast to ${dtypeName(to)}`);
      return cast(x, d);
    },
  },

  // shape
  Shape: {
    host: true,
    dtypes: [...SHAPE_DTYPES, DT.BOOL],
    run: (a) => {
      const x = a.x(0);
      const r = x.rank;
      const clampAx = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const s = x.shape.slice(clampAx(a.i('start', 0)), clampAx(a.i('end', r)));
      return hostTensor(s, [s.length], true, null, x.backend);
    },
  },
  Size: {
    host: true,
    dtypes: [...SHAPE_DTYPES, DT.BOOL],
    run: (a) => hostTensor([a.x(0).size], [], true, null, a.x(0).backend),
  },
  ConstantOfShape: {
    host: true,
    lists: [0],
    run: (a) => {
      const shape = a.list(0)!;
      checkAllocation('ConstantOfShape', shape);
      const v = a.tensorAttr('value');
      const value = v?.data ? Number(v.data[0]) : 0;
      const dtype = v
        ? a.folding
          ? 'float64'
          : (strataDtype(v.dtype) ?? 'float32')
        : a.folding
          ? 'float64'
          : 'float32';
      return full(shape, value, { dtype, backend: a.backend });
    },
  },
  Range: {
    host: true,
    lists: [0, 1, 2],
    run: (a) => {
      const [start, limit, delta] = [a.scalar(0)!, a.scalar(1)!, a.scalar(2)!];
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      checkAllocation('Range', [n]);
      const v = Array.from({ length: n }, (_, i) => start + i * delta);
      const like = a.x(0);
      return hostTensor(v, [n], like.dtype === 'int32', like, like.backend);
    },
  },
  Reshape: {
    lists: [1],
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      const allowZero = a.i('allowzero', 0) === 1;
      const shape = a.list(1)!.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
      return reshape(x, shape);
    },
  },
  Flatten: {
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      const ax = normAxis(a.i('axis', 1), x.rank);
      return reshape(x, [x.shape.slice(0, ax).reduce((p, d) => p * d, 1), -1]);
    },
  },
  Transpose: {
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      return permute(x, a.ints('perm') ?? range(x.rank).reverse());
    },
  },
  Concat: {
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const xs = range(a.count)
        .map((i) => a.x(i))
        .filter((t) => t.size > 0 || t.rank > 1);
      if (xs.length === 1) return xs[0];
      const d = xs.some((t) => t.dtype === 'float64')
        ? 'float64'
        : xs.some((t) => t.dtype === 'float32')
          ? 'float32'
          : 'int32';
      return concat(
        xs.map((t) => cast(t, d)),
        a.i('axis', 0),
      );
    },
  },
  Squeeze: {
    lists: [1],
    dtypes: SHAPE_DTYPES,
    run: (a) => squeeze(a.x(0), (a.opset >= 13 ? a.list(1) : a.ints('axes')) ?? undefined),
  },
  Unsqueeze: {
    lists: [1],
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      let x = a.x(0);
      const axes = (a.opset >= 13 ? a.list(1) : a.ints('axes'))!;
      const r = x.rank + axes.length;
      for (const ax of axes.map((v) => normAxis(v, r)).sort((p, q) => p - q)) x = unsqueeze(x, ax);
      return x;
    },
  },
  Expand: {
    lists: [1],
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      const s = a.list(1)!;
      const r = Math.max(s.length, x.rank);
      const xs = [...new Array<number>(r - x.rank).fill(1), ...x.shape];
      const ss = [...new Array<number>(r - s.length).fill(1), ...s];
      checkAllocation('Expand', ss);
      return broadcastTo(
        reshape(x, xs),
        xs.map((d, i) => (d === 1 ? ss[i] : d)),
      );
    },
  },
  Slice: {
    lists: [1, 2, 3, 4],
    dtypes: SHAPE_DTYPES,
    run: (a) =>
      a.opset >= 10
        ? sliceAxes(a.x(0), a.list(1)!, a.list(2)!, a.list(3), a.list(4))
        : sliceAxes(a.x(0), a.ints('starts')!, a.ints('ends')!, a.ints('axes'), null),
  },
  Split: {
    lists: [1],
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      const ax = normAxis(a.i('axis', 0), x.rank);
      const d = x.shape[ax];
      const n = a.outputs;
      let sizes = (a.opset >= 13 ? a.list(1) : a.ints('split')) ?? null;
      if (!sizes || sizes.length === 0) {
        const k = a.i('num_outputs', n);
        const each = Math.ceil(d / k);
        sizes = range(k).map((i) => Math.max(Math.min(each, d - i * each), 0));
      }
      let at = 0;
      return sizes.map((s) => {
        const b = x.shape.map(() => 0);
        const e = [...x.shape];
        b[ax] = at;
        e[ax] = at + s;
        at += s;
        return slice(x, b, e);
      });
    },
  },
  Gather: {
    lists: [1],
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      const iv = a.values[1]!;
      const idxShape = 'dims' in iv ? iv.dims : (iv as Tensor).shape;
      return gather(x, a.list(1)!, idxShape, a.i('axis', 0));
    },
  },
  Pad: {
    lists: [1, 2, 3],
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      const mode = a.s('mode', 'constant');
      const p = a.opset >= 11 ? a.list(1)! : a.ints('pads')!;
      const axes = (a.list(3) ?? range(x.rank)).map((v) => normAxis(v, x.rank));
      const pairs: Array<[number, number]> = x.shape.map(() => [0, 0]);
      axes.forEach((ax, k) => {
        pairs[ax] = [p[k], p[k + axes.length]];
      });
      checkAllocation(
        'Pad',
        x.shape.map((d, k) => d + pairs[k][0] + pairs[k][1]),
      );
      if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge')
        throw new StrataError('Pad', `mode '${mode}' is not supported (constant, reflect, edge)`);
      return pad(x, pairs, mode, (a.opset >= 11 ? a.scalar(2) : a.f('value', 0)) ?? 0);
    },
  },

  // linear algebra
  MatMul: binary(matmul),
  Gemm: {
    run: (a) => {
      const y = mul(
        matmul(a.x(0), a.x(1), { transA: a.i('transA', 0) === 1, transB: a.i('transB', 0) === 1 }),
        a.f('alpha', 1),
      );
      const c = a.opt(2);
      return c ? add(y, mul(c, a.f('beta', 1))) : y;
    },
  },

  // convolution and pooling
  Conv: {
    run: (a) => {
      const x = a.x(0);
      const w = a.x(1);
      const K = a.ints('kernel_shape') ?? w.shape.slice(2);
      const y = conv(x, w, { ...spatialAttrs(a, x.shape.slice(2), K), groups: a.i('group', 1) });
      return addChannelBias(y, a.opt(2));
    },
  },
  ConvTranspose: {
    run: (a) => {
      const x = a.x(0);
      const w = a.x(1);
      const K = a.ints('kernel_shape') ?? w.shape.slice(2);
      return convTransposeFn(x.rank - 2)(x, w, {
        ...convTransposeGeometry(a, x.shape.slice(2), K),
        groups: a.i('group', 1),
        bias: a.opt(2),
      });
    },
  },
  MaxPool: {
    run: (a) => {
      const x = a.x(0);
      const [y, idx] = maxPool(x, poolAttrs(a, x));
      if (a.outputs < 2) return y;
      // Strata's indices are per (n, c) input plane, row-major; ONNX's are into the whole input
      // tensor, row-major (storage_order 0) or with the spatial axes column-major (storage_order 1).
      const S = x.shape.slice(2);
      const plane = S.reduce((p, d) => p * d, 1);
      const local = idx.data();
      const global = new Float64Array(local.length);
      const perPlane = idx.size / (x.shape[0] * x.shape[1]);
      for (let i = 0; i < local.length; i++) {
        let p = local[i];
        if (a.i('storage_order', 0) === 1) {
          const coords: number[] = [];
          for (let k = S.length - 1; k >= 0; k--) {
            coords.unshift(p % S[k]);
            p = Math.floor(p / S[k]);
          }
          p = 0;
          for (let k = S.length - 1; k >= 0; k--) p = p * S[k] + coords[k];
        }
        global[i] = Math.floor(i / perPlane) * plane + p;
      }
      const dtype = x.backend.dtypes.includes('float64') ? 'float64' : 'int32';
      return [
        y,
        fromTypedArray(dtype === 'float64' ? global : Int32Array.from(global), idx.shape, {
          dtype,
          backend: x.backend,
        }),
      ];
    },
  },
  AveragePool: {
    run: (a) => {
      const x = a.x(0);
      return avgPool(x, { ...poolAttrs(a, x), countIncludePad: a.i('count_include_pad', 0) === 1 });
    },
  },
  GlobalAveragePool: unary(globalAvgPool),
  GlobalMaxPool: unary(globalMaxPool),
  MaxUnpool: {
    lists: [1, 2],
    run: (a) => {
      const x = a.x(0);
      const r = x.rank - 2;
      const K = a.ints('kernel_shape')!;
      const stride = a.ints('strides') ?? new Array<number>(r).fill(1);
      const p = a.ints('pads') ?? new Array<number>(2 * r).fill(0);
      // ONNX's indices are into the whole tensor of the inferred (default) output shape, and a
      // larger output_shape pads that result at the end; Strata's indices are per (n, c) plane of
      // the output. Translate each index to its coordinates in the output plane.
      const inferred = x.shape.slice(2).map((o, i) => (o - 1) * stride[i] - p[i] - p[i + r] + K[i]);
      const size = a.list(2)?.slice(-r) ?? inferred;
      const inPlane = inferred.reduce((q, d) => q * d, 1);
      const idx = Int32Array.from(a.list(1)!, (v) => {
        let rest = v % inPlane;
        const coords: number[] = [];
        for (let k = r - 1; k >= 0; k--) {
          coords.unshift(rest % inferred[k]);
          rest = Math.floor(rest / inferred[k]);
        }
        return coords.reduce((q, c, k) => q * size[k] + c, 0);
      });
      const fn = r === 1 ? maxUnpool1d : r === 2 ? maxUnpool2d : maxUnpool3d;
      return fn(x, fromTypedArray(idx, x.shape, { backend: x.backend }), {
        kernelSize: K,
        stride,
        padding: range(r).map((i) => [p[i], p[i + r]] as [number, number]),
        outputSize: size,
      });
    },
  },

  // normalization
  BatchNormalization: {
    run: (a) => {
      const [x, weight, bias, runningMean, runningVar] = [0, 1, 2, 3, 4].map((i) => a.x(i));
      const eps = a.f('epsilon', 1e-5);
      if (a.i('training_mode', 0) !== 1) return batchNorm(x, { weight, bias, runningMean, runningVar, eps });
      const r = batchNormWithStats(x, { weight, bias, eps, training: true });
      // ONNX's momentum weighs the old value (PyTorch's weighs the new one) and its running variance
      // is updated with the biased batch variance.
      const m = 1 - a.f('momentum', 0.9);
      return [r.output, runningUpdate(runningMean, r.mean, m), runningUpdate(runningVar, r.variance, m)];
    },
  },
  LayerNormalization: {
    run: (a) => {
      const x = a.x(0);
      const axes = range(x.rank, normAxis(a.i('axis', -1), x.rank));
      const eps = a.f('epsilon', 1e-5);
      const y = layerNorm(x, axes, { weight: a.x(1), bias: a.opt(2), eps });
      if (a.outputs === 1) return y;
      const m = moments(x, axes);
      return [y, m.mean, invStd(m.variance, eps)];
    },
  },
  InstanceNormalization: {
    run: (a) => instanceNorm(a.x(0), { weight: a.x(1), bias: a.x(2), eps: a.f('epsilon', 1e-5) }),
  },
  GroupNormalization: {
    run: (a) => {
      const x = a.x(0);
      const g = a.i('num_groups', 1);
      let weight = a.x(1);
      let bias = a.x(2);
      // Opsets 18–20 give one scale and bias per group; 21 one per channel.
      if (weight.size === g && g !== x.shape[1]) {
        const per = x.shape[1] / g;
        const expand = (t: Tensor) => reshape(broadcastTo(reshape(t, [g, 1]), [g, per]), [x.shape[1]]);
        weight = expand(weight);
        bias = expand(bias);
      }
      return groupNorm(x, g, { weight, bias, eps: a.f('epsilon', 1e-5) });
    },
  },
  LRN: {
    run: (a) =>
      localResponseNorm(a.x(0), {
        size: a.i('size', 1),
        alpha: a.f('alpha', 1e-4),
        beta: a.f('beta', 0.75),
        k: a.f('bias', 1),
      }),
  },

  // dropout and resizing
  Dropout: {
    lists: [1, 2],
    dtypes: [...FLOATS, DT.BOOL],
    run: (a) => {
      const x = a.x(0);
      const ratio = a.opset >= 12 ? (a.scalar(1) ?? 0.5) : a.f('ratio', 0.5);
      const training = a.opset >= 12 && a.has(2) && a.scalar(2) === 1;
      const y = dropout(x, ratio, { training });
      // Strata's dropout returns no mask; every case that runs keeps every element (inference, or
      // a ratio of 0), so the mask is all true.
      return a.outputs > 1 ? [y, full(x.shape, 1, { backend: x.backend })] : y;
    },
  },
  Resize: { lists: [1, 2, 3], run: (a) => resizeLike(a) },
  Upsample: {
    lists: [1],
    run: (a) => resizeLike(a, { coordinateMode: 'asymmetric', nearestMode: 'floor' }),
  },
};

/** The entry of an ONNX op, looked up as an own property only ('constructor' or '__proto__' are not ops). */
export function opEntry(op: string): OpEntry | undefined {
  return Object.hasOwn(onnxOps, op) ? onnxOps[op] : undefined;
}
