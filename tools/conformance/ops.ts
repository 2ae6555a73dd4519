/**
 * ONNX operators mapped to Strata's ops and functional API, one entry per ONNX op. A handler reads
 * the node's inputs and attributes through `Args` and returns the node's outputs as Strata tensors.
 * Handlers only translate (attribute defaults, padding conventions, index layouts); the arithmetic is
 * Strata's. What a handler cannot do is listed, with its reason, in skips.ts — never decided here.
 */
import {
  type Tensor,
  abs,
  add,
  argmax,
  argmin,
  avgPool,
  batchNorm,
  batchNormWithStats,
  broadcastTo,
  clamp,
  concat,
  conv,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  div,
  dropout,
  elu,
  full,
  equal,
  erf,
  exp,
  fromTypedArray,
  gelu,
  globalAvgPool,
  globalMaxPool,
  greater,
  greaterEqual,
  groupNorm,
  instanceNorm,
  invStd,
  layerNorm,
  leakyRelu,
  less,
  lessEqual,
  localResponseNorm,
  log,
  logSoftmax,
  matmul,
  max,
  maximum,
  maxPool,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  mean,
  min,
  minimum,
  moments,
  mul,
  neg,
  pad,
  permute,
  pow,
  prelu,
  relu,
  reshape,
  resize,
  runningUpdate,
  sigmoid,
  sign,
  slice,
  softmax,
  sqrt,
  squeeze,
  sub,
  sum,
  swish,
  tanh,
  unsqueeze,
  where,
} from '../../src/index.js';
import { DT, dtypeName, type OnnxNode, type OnnxTensor } from './onnx.js';

const FLOATS = [DT.FLOAT, DT.DOUBLE];

/** The node's inputs and attributes, converted on demand. */
export class Args {
  constructor(
    readonly node: OnnxNode,
    readonly opset: number,
    /** Aligned with node.inputs; null for an omitted optional input. */
    readonly values: ReadonlyArray<OnnxTensor | null>,
  ) {}

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
  /** Input i as a Strata tensor (float → float32, double → float64, int32 → int32, bool → float32 0/1). */
  x(i: number): Tensor {
    const v = this.values[i];
    if (!v) throw new Error(`input ${i} is missing`);
    return toTensor(v);
  }
  opt(i: number): Tensor | null {
    return this.values[i] ? this.x(i) : null;
  }
  /** Input i (int64/int32) as a list of numbers, or null when omitted. */
  list(i: number): number[] | null {
    const v = this.values[i];
    if (!v) return null;
    if (!v.data) throw new Error(`input ${i} (${dtypeName(v.dtype)}) has no readable data`);
    return Array.from(v.data as ArrayLike<number | bigint>, (e) => Number(e));
  }
  /** Input i (float or double) as a list of numbers, or null when omitted or empty. */
  floatList(i: number): number[] | null {
    const l = this.list(i);
    return l?.length ? l : null;
  }
  /** A scalar input (Clip bounds, Dropout ratio, Pad value), or null. */
  scalar(i: number): number | null {
    const l = this.list(i);
    return l === null ? null : l[0];
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
}

/** An ONNX tensor as a Strata tensor on the current backend. */
export function toTensor(v: OnnxTensor): Tensor {
  if (!v.data) throw new Error(`element type ${dtypeName(v.dtype)} has no Strata counterpart`);
  switch (v.dtype) {
    case DT.FLOAT:
    case DT.DOUBLE:
    case DT.INT32:
      return fromTypedArray(v.data as Float32Array | Float64Array | Int32Array, v.dims);
    case DT.BOOL:
      return fromTypedArray(Float32Array.from(v.data as Uint8Array), v.dims);
    default:
      throw new Error(`element type ${dtypeName(v.dtype)} has no Strata counterpart`);
  }
}

export interface OpEntry {
  /** Inputs read as integer lists (shapes, axes, pads, indices), not as tensors. */
  lists?: readonly number[];
  /** Element types accepted for tensor inputs (default float and double). */
  dtypes?: readonly number[];
  run: (a: Args) => Tensor | ReadonlyArray<Tensor | null>;
}

// ---------------------------------------------------------------- helpers

const range = (n: number, from = 0) => Array.from({ length: n - from }, (_, i) => i + from);
const normAxis = (a: number, r: number) => (a < 0 ? a + r : a);

/** Begin/end padding per spatial axis from auto_pad / pads (ONNX's convention for conv and pooling). */
function windowPads(a: Args, S: number[], K: number[], stride: number[], dil: number[]) {
  const r = S.length;
  const autoPad = a.s('auto_pad', 'NOTSET');
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
  const p = a.ints('pads') ?? new Array<number>(2 * r).fill(0);
  return { padBegin: p.slice(0, r), padEnd: p.slice(r, 2 * r) };
}

function spatial(a: Args, x: Tensor, K: number[]) {
  const r = x.rank - 2;
  const stride = a.ints('strides') ?? new Array<number>(r).fill(1);
  const dilation = a.ints('dilations') ?? new Array<number>(r).fill(1);
  return { stride, dilation, ...windowPads(a, x.shape.slice(2), K, stride, dilation) };
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

function reduce(f: (x: Tensor, axes: number[], keep: boolean) => Tensor, inputFrom: number) {
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
const binary = (f: (x: Tensor, y: Tensor) => Tensor): OpEntry => ({ run: (a) => f(a.x(0), a.x(1)) });
const variadic = (f: (x: Tensor, y: Tensor) => Tensor, post?: (t: Tensor, n: number) => Tensor): OpEntry => ({
  run: (a) => {
    let y = a.x(0);
    for (let i = 1; i < a.count; i++) y = f(y, a.x(i));
    return post ? post(y, a.count) : y;
  },
});

/** Pooling window attributes (strides default 1, as ONNX). */
function poolAttrs(a: Args, x: Tensor) {
  const K = a.ints('kernel_shape')!;
  return { kernel: K, ...spatial(a, x, K), ceilMode: a.i('ceil_mode', 0) === 1 };
}

function convTransposeFn(r: number) {
  return r === 1 ? convTranspose1d : r === 2 ? convTranspose2d : convTranspose3d;
}

const SHAPE_DTYPES = [DT.FLOAT, DT.DOUBLE, DT.INT32];

type CoordinateMode =
  | 'half_pixel'
  | 'half_pixel_symmetric'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'asymmetric';
type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

/**
 * Resize (opset ≥ 11: X, roi, scales, sizes; opset 10: X, scales) and Upsample (X, scales). ONNX
 * gives a scale or size for every axis (or for `axes`); Strata resizes the spatial axes, so the
 * batch and channel axes must keep their size.
 */
function resizeLike(a: Args, fixed?: { coordinateMode: CoordinateMode; nearestMode: NearestMode }): Tensor {
  const x = a.x(0);
  const r = x.rank;
  const oldStyle = fixed !== undefined || a.opset < 11;
  const scalesIn = oldStyle ? a.floatList(1) : a.floatList(2);
  const sizesIn = oldStyle ? null : a.list(3);
  const axes = (a.ints('axes') ?? range(r)).map((v) => normAxis(v, r));
  const scales = x.shape.map(() => 1);
  const out = [...x.shape];
  if (sizesIn?.length) {
    const policy = a.s('keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch')
      axes.forEach((ax, k) => {
        out[ax] = sizesIn[k];
        scales[ax] = sizesIn[k] / x.shape[ax];
      });
    else {
      const ratios = axes.map((ax, k) => sizesIn[k] / x.shape[ax]);
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      for (const ax of axes) {
        scales[ax] = s;
        out[ax] = Math.round(s * x.shape[ax]);
      }
    }
  } else if (scalesIn)
    axes.forEach((ax, k) => {
      scales[ax] = scalesIn[k];
      out[ax] = Math.floor(x.shape[ax] * scalesIn[k]);
    });
  if (out[0] !== x.shape[0] || out[1] !== x.shape[1])
    throw new Error(`resizing the batch or channel axis ([${x.shape}] → [${out}])`);
  const mode = a.s('mode', 'nearest');
  return resize(x, {
    mode: mode === 'linear' || mode === 'bilinear' ? 'linear' : 'nearest',
    coordinateMode:
      fixed?.coordinateMode ?? (a.s('coordinate_transformation_mode', 'half_pixel') as CoordinateMode),
    nearestMode: fixed?.nearestMode ?? (a.s('nearest_mode', 'round_prefer_floor') as NearestMode),
    outputSpatial: out.slice(2),
    scales: scales.slice(2),
  });
}

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
  Identity: { dtypes: [...SHAPE_DTYPES, DT.BOOL], run: (a) => a.x(0) },
  LeakyRelu: { run: (a) => leakyRelu(a.x(0), a.f('alpha', 0.01)) },
  Elu: { run: (a) => elu(a.x(0), a.f('alpha', 1)) },
  PRelu: binary(prelu),
  Gelu: { run: (a) => gelu(a.x(0), a.s('approximate', 'none') === 'tanh' ? 'tanh' : 'none') },
  Swish: { run: (a) => swish(a.x(0), a.f('alpha', 1)) },
  Clip: {
    run: (a) => {
      const lo = a.opset >= 11 ? a.scalar(1) : a.f('min', Number.NEGATIVE_INFINITY);
      const hi = a.opset >= 11 ? a.scalar(2) : a.f('max', Number.POSITIVE_INFINITY);
      return clamp(a.x(0), lo ?? Number.NEGATIVE_INFINITY, hi ?? Number.POSITIVE_INFINITY);
    },
  },
  Softmax: softmaxLike(softmax),
  LogSoftmax: softmaxLike(logSoftmax),

  // element-wise, broadcasting
  Add: binary(add),
  Sub: binary(sub),
  Mul: binary(mul),
  Div: binary(div),
  Pow: binary(pow),
  Max: variadic(maximum),
  Min: variadic(minimum),
  Sum: variadic(add),
  Mean: variadic(add, (t, n) => div(t, n)),
  Equal: binary(equal),
  Less: binary(less),
  LessOrEqual: binary(lessEqual),
  Greater: binary(greater),
  GreaterOrEqual: binary(greaterEqual),
  Where: { dtypes: [DT.BOOL, ...FLOATS], run: (a) => where(a.x(0), a.x(1), a.x(2)) },

  // reductions
  ReduceSum: reduce(sum, 13),
  ReduceMean: reduce(mean, 18),
  ReduceMax: reduce(max, 18),
  ReduceMin: reduce(min, 18),
  ArgMax: { run: (a) => argmax(a.x(0), a.i('axis', 0), a.i('keepdims', 1) === 1) },
  ArgMin: { run: (a) => argmin(a.x(0), a.i('axis', 0), a.i('keepdims', 1) === 1) },

  // shape
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
    run: (a) =>
      concat(
        range(a.count).map((i) => a.x(i)),
        a.i('axis', 0),
      ),
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
      return broadcastTo(
        reshape(x, xs),
        xs.map((d, i) => (d === 1 ? ss[i] : d)),
      );
    },
  },
  Slice: {
    lists: [1, 2, 3, 4],
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      const starts = a.list(1)!;
      const ends = a.list(2)!;
      const axes = (a.list(3) ?? range(starts.length)).map((v) => normAxis(v, x.rank));
      const steps = a.list(4) ?? starts.map(() => 1);
      const begin = x.shape.map(() => 0);
      const end = [...x.shape];
      const step = x.shape.map(() => 1);
      axes.forEach((ax, k) => {
        const d = x.shape[ax];
        const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
        begin[ax] = clampIdx(starts[k]);
        end[ax] = clampIdx(ends[k]);
        step[ax] = steps[k];
      });
      return slice(x, begin, end, step);
    },
  },
  Pad: {
    lists: [1, 3],
    dtypes: SHAPE_DTYPES,
    run: (a) => {
      const x = a.x(0);
      const mode = a.s('mode', 'constant');
      const p = a.list(1)!;
      const axes = (a.list(3) ?? range(x.rank)).map((v) => normAxis(v, x.rank));
      const pairs: Array<[number, number]> = x.shape.map(() => [0, 0]);
      axes.forEach((ax, k) => {
        pairs[ax] = [p[k], p[k + axes.length]];
      });
      const strataMode = mode === 'constant' ? 'constant' : mode === 'reflect' ? 'reflect' : 'edge';
      if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw new Error(`Pad mode ${mode}`);
      return pad(x, pairs, strataMode, a.scalar(2) ?? 0);
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
      const y = conv(x, w, { ...spatial(a, x, K), groups: a.i('group', 1) });
      return addChannelBias(y, a.opt(2));
    },
  },
  ConvTranspose: {
    run: (a) => {
      const x = a.x(0);
      const w = a.x(1);
      const r = x.rank - 2;
      const S = x.shape.slice(2);
      const K = a.ints('kernel_shape') ?? w.shape.slice(2);
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
            // The requested output is larger than the full one: the extra positions get no input.
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
      return convTransposeFn(r)(x, w, {
        stride,
        dilation,
        padding,
        outputPadding: outPad,
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
      return [y, fromTypedArray(global, idx.shape, { dtype: 'float64' })];
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
      return fn(x, fromTypedArray(idx, x.shape), {
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
    run: (a) =>
      groupNorm(a.x(0), a.i('num_groups', 1), {
        weight: a.x(1),
        bias: a.x(2),
        eps: a.f('epsilon', 1e-5),
      }),
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
    dtypes: [...FLOATS, DT.BOOL],
    run: (a) => {
      const x = a.x(0);
      const ratio = a.opset >= 12 ? (a.scalar(1) ?? 0.5) : a.f('ratio', 0.5);
      const training = a.opset >= 12 && a.has(2) && a.scalar(2) === 1;
      const y = dropout(x, ratio, { training });
      // Strata's dropout returns no mask; every case that runs keeps every element (inference, or
      // a ratio of 0), so the mask is all true.
      return a.outputs > 1 ? [y, full(x.shape, 1)] : y;
    },
  },
  Resize: { lists: [3], run: (a) => resizeLike(a) },
  Upsample: {
    run: (a) => resizeLike(a, { coordinateMode: 'asymmetric', nearestMode: 'floor' }),
  },
};
