/**
 * Strata → ONNX: a built Sequential or Graph network as an ONNX ModelProto (opset 17 by default,
 * 13 to 21 on request), weights as initializers, named inputs and output, a symbolic batch axis.
 * Every catalog layer except FunctionLayer has an ONNX form (docs/ONNX.md lists them); layers that
 * ONNX lacks at the chosen opset are written as small subgraphs of standard ops (GroupNormalization
 * through InstanceNormalization, GELU through Erf before opset 20, Swish as x·Sigmoid(x), …).
 * Inference semantics: dropout is the identity and batch normalization uses its running statistics.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType as AT,
  type GraphProto,
  ModelProtoSchema,
  type NodeProto,
  type TensorProto,
  TensorProtoSchema,
  type ValueInfoProto,
} from 'onnx-buf';
import { StrataError } from '../../core/errors.js';
import type { Layer } from '../../layers/layer.js';
import type { Model } from '../../models/model.js';
import { normPadding, type Padding } from '../../ops/window.js';
import { writeFileAtomic } from '../atomic.js';
import { decodeConst, OnnxOp } from './layer.js';
import { DT, type OnnxTensor } from './proto.js';

export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

export interface ExportOptions {
  /** ONNX opset of the default domain, 13 to 21 (default 17; the imported opset for networks with OnnxOp layers). */
  opset?: number;
  /** Names of the graph inputs of a Sequential network (default ['input']); a Graph keeps its own. */
  inputNames?: string[];
  /** Name of the graph output (default 'output'). */
  outputName?: string;
  /** The leading (batch) axis: a symbolic name (default 'N') or a fixed size. */
  batch?: string | number;
  /** ModelProto.doc_string. */
  docString?: string;
}

type Attr =
  | { f: number }
  | { i: number }
  | { s: string }
  | { fs: number[] }
  | { is: number[] }
  | { ss: string[] }
  | { t: OnnxTensor };

const f = (v: number): Attr => ({ f: v });
const i = (v: number): Attr => ({ i: v });
const is = (v: number[]): Attr => ({ is: v });
const s = (v: string): Attr => ({ s: v });

const range = (n: number, from = 0) => Array.from({ length: n - from }, (_, k) => k + from);
const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

function tensorProto(
  name: string,
  dtype: number,
  dims: readonly number[],
  data: ArrayBufferView,
): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dataType: dtype,
    dims: dims.map((d) => BigInt(d)),
    rawData: Uint8Array.prototype.slice.call(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    ) as Uint8Array<ArrayBuffer>,
  });
}

function attrProto(name: string, a: Attr): AttributeProto {
  const init: Record<string, unknown> = { name };
  if ('f' in a) Object.assign(init, { type: AT.FLOAT, f: a.f });
  else if ('i' in a) Object.assign(init, { type: AT.INT, i: BigInt(a.i) });
  else if ('s' in a) Object.assign(init, { type: AT.STRING, s: new TextEncoder().encode(a.s) });
  else if ('fs' in a) Object.assign(init, { type: AT.FLOATS, floats: a.fs });
  else if ('is' in a) Object.assign(init, { type: AT.INTS, ints: a.is.map((v) => BigInt(v)) });
  else if ('ss' in a)
    Object.assign(init, { type: AT.STRINGS, strings: a.ss.map((v) => new TextEncoder().encode(v)) });
  else Object.assign(init, { type: AT.TENSOR, t: constProto(a.t.name, a.t) });
  return init as unknown as AttributeProto;
}

/** An ONNX constant (host data) as a TensorProto. */
function constProto(name: string, t: OnnxTensor): TensorProto {
  if (!t.data) throw new StrataError('onnx export', `constant '${name}' has no data`);
  return tensorProto(name, t.dtype, t.dims, t.data);
}

/** Writes nodes and initializers with unique names. */
class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<string, string>();

  constructor(
    readonly opset: number,
    /** The float type of the network (FLOAT or DOUBLE). */
    readonly floatType: number,
  ) {}

  reserve(name: string): void {
    this.used.add(name);
  }

  fresh(base: string): string {
    let n = base;
    for (let k = 1; this.used.has(n); k++) n = `${base}_${k}`;
    this.used.add(n);
    return n;
  }

  node(
    op: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, Attr> = {},
    name?: string,
  ): void {
    this.nodes.push({
      opType: op,
      domain: '',
      name: name ?? outputs.find((o) => o) ?? op,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
    } as unknown as NodeProto);
  }

  /** One node with one output named `out` (or a fresh name from `out`); returns the output name. */
  op(op: string, inputs: string[], out: string, attrs: Record<string, Attr> = {}, exact = false): string {
    const o = exact ? out : this.fresh(out);
    this.node(op, inputs, [o], attrs);
    return o;
  }

  init(name: string, dtype: number, dims: readonly number[], data: ArrayBufferView, exact = false): string {
    const n = exact ? name : this.fresh(name);
    if (exact) this.used.add(n);
    this.inits.push(tensorProto(n, dtype, dims, data));
    return n;
  }

  /** A float initializer in the network's float type. */
  floats(name: string, dims: readonly number[], data: ArrayLike<number>, exact = false): string {
    const arr = this.floatType === DT.DOUBLE ? Float64Array.from(data) : Float32Array.from(data);
    return this.init(name, this.floatType, dims, arr, exact);
  }

  ints(name: string, values: readonly number[]): string {
    return this.init(
      name,
      DT.INT64,
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  /** A shared float scalar (rank 0). */
  scalar(v: number): string {
    const key = String(v);
    let n = this.scalars.get(key);
    if (!n) {
      n = this.floats(`const_${key.replace(/[^0-9a-zA-Z.-]/g, '_')}`, [], [v]);
      this.scalars.set(key, n);
    }
    return n;
  }

  /** A parameter tensor as an initializer, optionally reshaped (same data). */
  param(layer: Layer, name: string, dims?: readonly number[]): string {
    const p = layer.params.get(name);
    if (!p) throw new StrataError('onnx export', `${layer.where} has no parameter '${name}'`);
    return this.floats(p.name, dims ?? p.value.shape, p.value.data(), false);
  }

  /** ReduceMean over axes (attribute before opset 18, input from 18). */
  reduceMean(x: string, axes: number[], out: string): string {
    if (this.opset >= 18)
      return this.op('ReduceMean', [x, this.ints(`${out}/axes`, axes)], out, { keepdims: i(1) });
    return this.op('ReduceMean', [x], out, { axes: is(axes), keepdims: i(1) });
  }
}

/** What an emitter knows about a layer: its input tensor names and shapes (without batch). */
interface Ctx {
  e: Emitter;
  layer: Layer;
  ins: string[];
  shapes: number[][];
  /** The name its output must have. */
  out: string;
  /** The tensor names fed to each layer (by layer name), for MaxUnpool. */
  inputsOf: Map<string, string[]>;
  /** Extra outputs (max-pool indices) by layer name. */
  indicesOf: Map<string, string>;
  /** Layers whose indices a MaxUnpool reads. */
  needIndices: Set<string>;
}

type Emit = (c: Ctx) => void;

/** Begin/end padding lists → ONNX pads [b1, …, bn, e1, …, en]. */
function pads(
  where: string,
  padding: Padding,
  S: number[],
  K: number[],
  stride: number[],
  dil: number[],
): number[] {
  const { padBegin, padEnd } = normPadding(where, padding, S, K, stride, dil);
  return [...padBegin, ...padEnd];
}

const cfg = (l: Layer) => l.getConfig() as Record<string, any>;

function convEmit(c: Ctx): void {
  const l = c.layer as Layer & Record<string, any>;
  const S = c.shapes[0].slice(1);
  const attrs: Record<string, Attr> = {
    kernel_shape: is(l.kernelSize),
    strides: is(l.stride),
    dilations: is(l.dilation),
    group: i(l.groups),
    pads: is(pads(l.where, l.padding, S, l.kernelSize, l.stride, l.dilation)),
  };
  const ins = [c.ins[0], c.e.param(l, 'weight')];
  if (l.bias) ins.push(c.e.param(l, 'bias'));
  if (l.type.startsWith('ConvTranspose')) {
    attrs.output_padding = is(l.outputPadding);
    c.e.op('ConvTranspose', ins, c.out, attrs, true);
  } else c.e.op('Conv', ins, c.out, attrs, true);
}

function poolEmit(c: Ctx): void {
  const l = c.layer as Layer & Record<string, any>;
  const S = c.shapes[0].slice(1);
  const dil = l.dilation ?? l.kernelSize.map(() => 1);
  const attrs: Record<string, Attr> = {
    kernel_shape: is(l.kernelSize),
    strides: is(l.stride),
    pads: is(pads(l.where, l.padding, S, l.kernelSize, l.stride, dil)),
    ceil_mode: i(l.ceilMode ? 1 : 0),
  };
  if (l.type.startsWith('Avg')) {
    attrs.count_include_pad = i(l.countIncludePad ? 1 : 0);
    c.e.op('AveragePool', [c.ins[0]], c.out, attrs, true);
    return;
  }
  attrs.dilations = is(dil);
  if (l.returnIndices && c.needIndices.has(l.name)) {
    const idx = c.e.fresh(`${c.out}.indices`);
    c.e.node('MaxPool', [c.ins[0]], [c.out, idx], attrs);
    c.indicesOf.set(l.name, idx);
  } else c.e.op('MaxPool', [c.ins[0]], c.out, attrs, true);
}

function unpoolEmit(c: Ctx): void {
  const l = c.layer;
  const poolName = (c.ins[1] ?? '').toString();
  const pool = (c as Ctx & { layerByTensor: Map<string, Layer> }).layerByTensor.get(poolName);
  const idx = pool ? c.indicesOf.get(pool.name) : undefined;
  if (!pool || !idx)
    throw new StrataError(
      'onnx export',
      `${l.where}: its second input must be a MaxPool layer with returnIndices: true`,
    );
  const p = pool as Layer & Record<string, any>;
  const poolIn = c.inputsOf.get(pool.name)![0];
  const S = pool.inputShapes[0].slice(1);
  const shape = c.e.op('Shape', [poolIn], `${c.out}/pool_input_shape`);
  c.e.op(
    'MaxUnpool',
    [c.ins[0], idx, shape],
    c.out,
    {
      kernel_shape: is(p.kernelSize),
      strides: is(p.stride),
      pads: is(pads(p.where, p.padding, S, p.kernelSize, p.stride, p.dilation)),
    },
    true,
  );
}

function inputEmit(c: Ctx): void {
  const l = c.layer as Layer & Record<string, any>;
  const x = c.ins[0];
  const norm = l.normalization as string;
  if (norm === 'none') {
    c.e.op('Identity', [x], c.out, {}, true);
    return;
  }
  const e = c.e;
  if (norm === 'zerocenter') {
    e.op('Sub', [x, e.param(l, 'mean')], c.out, {}, true);
    return;
  }
  if (norm === 'zscore') {
    const d = e.op('Sub', [x, e.param(l, 'mean')], `${c.out}/centered`);
    e.op('Div', [d, e.param(l, 'std')], c.out, {}, true);
    return;
  }
  // Rescaling: (x − min) / max(max − min, 1e-12), the denominator computed here as the layer does.
  const lo = l.params.get('min')!.value;
  const hi = l.params.get('max')!.value.data();
  const lod = lo.data();
  const round = e.floatType === DT.DOUBLE ? (v: number) => v : Math.fround;
  const den = Array.from(lod, (v, k) => Math.max(round(hi[k] - v), round(1e-12)));
  const d = e.op('Sub', [x, e.param(l, 'min')], `${c.out}/shifted`);
  const denName = e.floats(`${l.name}.range`, lo.shape, den);
  if (norm === 'rescale-zero-one') {
    e.op('Div', [d, denName], c.out, {}, true);
    return;
  }
  const u = e.op('Div', [d, denName], `${c.out}/unit`);
  const t = e.op('Mul', [u, e.scalar(2)], `${c.out}/twice`);
  e.op('Sub', [t, e.scalar(1)], c.out, {}, true);
}

function geluEmit(c: Ctx): void {
  const e = c.e;
  const x = c.ins[0];
  const approx = cfg(c.layer).approximate as string;
  if (e.opset >= 20) {
    e.op('Gelu', [x], c.out, { approximate: s(approx) }, true);
    return;
  }
  const half = e.op('Mul', [x, e.scalar(0.5)], `${c.out}/half`);
  let inner: string;
  if (approx === 'tanh') {
    const x2 = e.op('Mul', [x, x], `${c.out}/x2`);
    const x3 = e.op('Mul', [x2, x], `${c.out}/x3`);
    const p = e.op('Add', [x, e.op('Mul', [x3, e.scalar(0.044715)], `${c.out}/cubic`)], `${c.out}/poly`);
    inner = e.op(
      'Tanh',
      [e.op('Mul', [p, e.scalar(Math.sqrt(2 / Math.PI))], `${c.out}/scaled`)],
      `${c.out}/tanh`,
    );
  } else inner = e.op('Erf', [e.op('Mul', [x, e.scalar(Math.SQRT1_2)], `${c.out}/scaled`)], `${c.out}/erf`);
  e.op('Mul', [half, e.op('Add', [inner, e.scalar(1)], `${c.out}/one_plus`)], c.out, {}, true);
}

function layerNormEmit(c: Ctx): void {
  const l = c.layer as Layer & Record<string, any>;
  const e = c.e;
  const s0 = c.shapes[0];
  const rank = s0.length;
  const axes: number[] = l.axes
    ? l.axes.map((a: number) => (a < 0 ? a + rank : a)).sort((p: number, q: number) => p - q)
    : range(rank);
  const wShape = axes.map((a) => s0[a]);
  const trailing = axes.every((a, k) => a === rank - axes.length + k);
  const weight = () =>
    l.affine ? e.param(l, 'weight') : e.floats(`${l.name}.ones`, wShape, new Array(prod(wShape)).fill(1));
  const bias = () =>
    l.affine ? e.param(l, 'bias') : e.floats(`${l.name}.zeros`, wShape, new Array(prod(wShape)).fill(0));
  if (trailing && e.opset >= 17) {
    e.op(
      'LayerNormalization',
      [c.ins[0], weight(), bias()],
      c.out,
      { axis: i(axes[0] + 1), epsilon: f(l.epsilon) },
      true,
    );
    return;
  }
  // Spelled out: (x − mean) / √(var + ε) · weight + bias over the axes (+1 for the batch).
  const bshape = s0.map((d, k) => (axes.includes(k) ? d : 1));
  const A = axes.map((a) => a + 1);
  const m = e.reduceMean(c.ins[0], A, `${c.out}/mean`);
  const d = e.op('Sub', [c.ins[0], m], `${c.out}/centered`);
  const v = e.reduceMean(e.op('Mul', [d, d], `${c.out}/sq`), A, `${c.out}/var`);
  const sd = e.op('Sqrt', [e.op('Add', [v, e.scalar(l.epsilon)], `${c.out}/var_eps`)], `${c.out}/std`);
  let y = e.op('Div', [d, sd], `${c.out}/normalized`);
  if (l.affine) {
    const w = e.floats(`${l.name}.weight`, bshape, l.params.get('weight')!.value.data());
    const b = e.floats(`${l.name}.bias`, bshape, l.params.get('bias')!.value.data());
    y = e.op('Mul', [y, w], `${c.out}/scaled`);
    e.op('Add', [y, b], c.out, {}, true);
  } else e.op('Identity', [y], c.out, {}, true);
}

function groupNormEmit(c: Ctx): void {
  const l = c.layer as Layer & Record<string, any>;
  const e = c.e;
  const s0 = c.shapes[0];
  const C = s0[0];
  const G: number = l.type === 'InstanceNormalization' ? C : l.groups;
  const chan = [C, ...s0.slice(1).map(() => 1)];
  if (l.type === 'InstanceNormalization') {
    const w = l.affine ? e.param(l, 'weight') : e.floats(`${l.name}.ones`, [C], new Array(C).fill(1));
    const b = l.affine ? e.param(l, 'bias') : e.floats(`${l.name}.zeros`, [C], new Array(C).fill(0));
    e.op('InstanceNormalization', [c.ins[0], w, b], c.out, { epsilon: f(l.epsilon) }, true);
    return;
  }
  // Group normalization as instance normalization of [N, G, C/G·…] (ONNX has it only from opset 18,
  // with per-group scale until 21), then the per-channel scale and offset.
  const r = e.op('Reshape', [c.ins[0], e.ints(`${c.out}/groups_shape`, [0, G, -1])], `${c.out}/grouped`);
  const n = e.op(
    'InstanceNormalization',
    [
      r,
      e.floats(`${l.name}.group_ones`, [G], new Array(G).fill(1)),
      e.floats(`${l.name}.group_zeros`, [G], new Array(G).fill(0)),
    ],
    `${c.out}/normalized`,
    { epsilon: f(l.epsilon) },
  );
  const back = e.op('Reshape', [n, e.op('Shape', [c.ins[0]], `${c.out}/shape`)], `${c.out}/ungrouped`);
  if (!l.affine) {
    e.op('Identity', [back], c.out, {}, true);
    return;
  }
  const y = e.op('Mul', [back, e.param(l, 'weight', chan)], `${c.out}/scaled`);
  e.op('Add', [y, e.param(l, 'bias', chan)], c.out, {}, true);
}

function batchNormEmit(c: Ctx): void {
  const l = c.layer as Layer & Record<string, any>;
  const e = c.e;
  const C = c.shapes[0][0];
  const w = l.affine ? e.param(l, 'weight') : e.floats(`${l.name}.ones`, [C], new Array(C).fill(1));
  const b = l.affine ? e.param(l, 'bias') : e.floats(`${l.name}.zeros`, [C], new Array(C).fill(0));
  e.op(
    'BatchNormalization',
    [c.ins[0], w, b, e.param(l, 'runningMean'), e.param(l, 'runningVar')],
    c.out,
    { epsilon: f(l.epsilon), momentum: f(1 - l.momentum) },
    true,
  );
}

function cropEmit(c: Ctx): void {
  const l = c.layer;
  const x = c.shapes[0];
  const S = x.slice(1);
  const size = l.outputShape.slice(1);
  const off: number[] =
    cfg(l).offset === 'center' ? S.map((n, k) => Math.floor((n - size[k]) / 2)) : cfg(l).offset;
  const e = c.e;
  e.op(
    'Slice',
    [
      c.ins[0],
      e.ints(`${c.out}/starts`, off),
      e.ints(
        `${c.out}/ends`,
        off.map((o, k) => o + size[k]),
      ),
      e.ints(
        `${c.out}/axes`,
        S.map((_, k) => k + 2),
      ),
    ],
    c.out,
    {},
    true,
  );
}

function resizeEmit(c: Ctx): void {
  const l = c.layer as Layer & Record<string, any>;
  const e = c.e;
  if (l.coordinateMode === 'half_pixel_symmetric' && e.opset < 19)
    throw new StrataError(
      'onnx export',
      `${l.where}: coordinate mode 'half_pixel_symmetric' needs opset 19 or later (got ${e.opset})`,
    );
  const attrs: Record<string, Attr> = {
    mode: s(l.mode),
    coordinate_transformation_mode: s(l.coordinateMode),
    nearest_mode: s(l.nearestMode),
  };
  if (l.scale && c.ins.length === 1) {
    // Resize's scales are always float32.
    const scales = e.init(
      `${c.out}/scales`,
      DT.FLOAT,
      [l.scale.length + 2],
      Float32Array.from([1, 1, ...l.scale]),
    );
    e.op('Resize', [c.ins[0], '', scales], c.out, attrs, true);
    return;
  }
  // A size (given or the reference input's): [N, C] of the input with the spatial size.
  const spatial = l.outputShape.slice(1);
  const shape = e.op('Shape', [c.ins[0]], `${c.out}/shape`);
  const nc = e.op('Slice', [shape, e.ints(`${c.out}/zero`, [0]), e.ints(`${c.out}/two`, [2])], `${c.out}/nc`);
  const sizes = e.op('Concat', [nc, e.ints(`${c.out}/spatial`, spatial)], `${c.out}/sizes`, { axis: i(0) });
  e.op('Resize', [c.ins[0], '', '', sizes], c.out, attrs, true);
}

function onnxOpEmit(c: Ctx): void {
  const l = c.layer as OnnxOp;
  const e = c.e;
  if (l.opset !== e.opset)
    throw new StrataError(
      'onnx export',
      `${l.where} was imported at opset ${l.opset}; export the network at that opset (it is exported at ${e.opset})`,
    );
  const ins = l.inputSpecs.map((sp, k) => {
    if (!sp) return '';
    if ('edge' in sp) return c.ins[sp.edge];
    if ('param' in sp) return e.param(l, sp.param);
    const t = decodeConst(sp.const);
    if (!t.data) throw new StrataError('onnx export', `${l.where}: constant input ${k} has no data`);
    return e.init(`${l.name}.c${k}`, t.dtype, t.dims, t.data);
  });
  const attrs: Record<string, Attr> = {};
  for (const [k, v] of Object.entries(l.attrs)) {
    const kind = l.attrTypes[k] ?? guessKind(v);
    attrs[k] =
      kind === 't'
        ? { t: { ...decodeConst((v as { tensor: never }).tensor), name: k } }
        : ({ [kind]: v } as unknown as Attr);
  }
  const outs = range(l.outputs).map((k) => (k === l.output ? c.out : e.fresh(`${c.out}/unused_${k}`)));
  c.e.node(l.op, ins, outs, attrs);
}

function guessKind(v: unknown): string {
  if (typeof v === 'string') return 's';
  if (typeof v === 'number') return Number.isInteger(v) ? 'i' : 'f';
  if (Array.isArray(v)) return typeof v[0] === 'string' ? 'ss' : v.every(Number.isInteger) ? 'is' : 'fs';
  return 't';
}

const simple =
  (op: string, attrs: (l: Layer) => Record<string, Attr> = () => ({})): Emit =>
  (c) =>
    c.e.op(op, [c.ins[0]], c.out, attrs(c.layer), true);

const EMITTERS: Record<string, Emit> = {
  Input: inputEmit,
  ImageInput: inputEmit,
  Image3dInput: inputEmit,
  SequenceInput: inputEmit,
  Dense: (c) => {
    const l = c.layer as Layer & Record<string, any>;
    const x =
      c.shapes[0].length > 1 ? c.e.op('Flatten', [c.ins[0]], `${c.out}/flat`, { axis: i(1) }) : c.ins[0];
    const ins = [x, c.e.param(l, 'weight')];
    if (l.bias) ins.push(c.e.param(l, 'bias'));
    c.e.op('Gemm', ins, c.out, { transB: i(1) }, true);
  },
  Flatten: simple('Flatten', () => ({ axis: i(1) })),
  ReLU: simple('Relu'),
  Sigmoid: simple('Sigmoid'),
  Tanh: simple('Tanh'),
  Swish: (c) => c.e.op('Mul', [c.ins[0], c.e.op('Sigmoid', [c.ins[0]], `${c.out}/sigmoid`)], c.out, {}, true),
  LeakyReLU: simple('LeakyRelu', (l) => ({ alpha: f(cfg(l).alpha) })),
  ELU: simple('Elu', (l) => ({ alpha: f(cfg(l).alpha) })),
  ClippedReLU: (c) =>
    c.e.op('Clip', [c.ins[0], c.e.scalar(0), c.e.scalar(cfg(c.layer).ceiling)], c.out, {}, true),
  GELU: geluEmit,
  PReLU: (c) => {
    const l = c.layer as Layer & Record<string, any>;
    const dims = l.channelShared ? [1] : c.shapes[0].map((d, k) => (k === 0 ? d : 1));
    c.e.op('PRelu', [c.ins[0], c.e.param(l, 'alpha', dims)], c.out, {}, true);
  },
  Softmax: (c) => {
    const a: number = cfg(c.layer).axis;
    c.e.op('Softmax', [c.ins[0]], c.out, { axis: i(a < 0 ? a : a + 1) }, true);
  },
  Add: (c) => c.e.op(c.ins.length === 2 ? 'Add' : 'Sum', c.ins, c.out, {}, true),
  Multiply: (c) => {
    let y = c.ins[0];
    for (let k = 1; k < c.ins.length; k++)
      y = c.e.op(
        'Mul',
        [y, c.ins[k]],
        k === c.ins.length - 1 ? c.out : `${c.out}/product`,
        {},
        k === c.ins.length - 1,
      );
  },
  Concatenation: (c) => {
    const a: number = (c.layer as Layer & { axis: number }).axis;
    c.e.op('Concat', c.ins, c.out, { axis: i(a < 0 ? a : a + 1) }, true);
  },
  DepthConcatenation: (c) => c.e.op('Concat', c.ins, c.out, { axis: i(1) }, true),
  BatchNormalization: batchNormEmit,
  LayerNormalization: layerNormEmit,
  GroupNormalization: groupNormEmit,
  InstanceNormalization: groupNormEmit,
  LocalResponseNormalization: simple('LRN', (l) => ({
    size: i(cfg(l).size),
    alpha: f(cfg(l).alpha),
    beta: f(cfg(l).beta),
    bias: f(cfg(l).k),
  })),
  Dropout: (c) => c.e.op('Dropout', [c.ins[0], c.e.scalar(cfg(c.layer).probability)], c.out, {}, true),
  Crop2D: cropEmit,
  Crop3D: cropEmit,
  Resize2D: resizeEmit,
  Resize3D: resizeEmit,
  ClassificationOutput: simple('Softmax', () => ({ axis: i(1) })),
  BinaryOutput: simple('Sigmoid'),
  RegressionOutput: simple('Identity'),
  OnnxOp: onnxOpEmit,
};
EMITTERS.CrossChannelNormalization = EMITTERS.LocalResponseNormalization;
for (const r of ['1D', '2D', '3D']) {
  EMITTERS[`Conv${r}`] = convEmit;
  EMITTERS[`ConvTranspose${r}`] = convEmit;
  EMITTERS[`MaxPool${r}`] = poolEmit;
  EMITTERS[`AvgPool${r}`] = poolEmit;
  EMITTERS[`GlobalAvgPool${r}`] = (c) => globalPool(c, 'GlobalAveragePool');
  EMITTERS[`GlobalMaxPool${r}`] = (c) => globalPool(c, 'GlobalMaxPool');
  EMITTERS[`MaxUnpool${r}`] = unpoolEmit;
  EMITTERS[`SpatialDropout${r}`] = EMITTERS.Dropout;
}

function globalPool(c: Ctx, op: string): void {
  if (cfg(c.layer).keepDims) c.e.op(op, [c.ins[0]], c.out, {}, true);
  else c.e.op('Flatten', [c.e.op(op, [c.ins[0]], `${c.out}/pooled`)], c.out, { axis: i(1) }, true);
}

/** The layer types the exporter writes (every catalog layer but FunctionLayer, and OnnxOp). */
export function exportableLayerTypes(): string[] {
  return Object.keys(EMITTERS).sort();
}

function valueInfo(name: string, elemType: number, shape: Array<number | string>): ValueInfoProto {
  return {
    name,
    type: {
      value: {
        case: 'tensorType',
        value: {
          elemType,
          shape: {
            dim: shape.map((d) =>
              typeof d === 'number'
                ? { value: { case: 'dimValue', value: BigInt(d) } }
                : { value: { case: 'dimParam', value: d } },
            ),
          },
        },
      },
    },
  } as unknown as ValueInfoProto;
}

/** The ONNX IR version that goes with an opset. */
const irVersionFor = (opset: number) => (opset <= 18 ? 8 : opset <= 20 ? 9 : 10);

/** Writes a built network as ONNX ModelProto bytes. */
export function exportOnnx(model: Model, opts: ExportOptions = {}): Uint8Array {
  const layers = model.layers;
  if (!layers.every((l) => l.built)) model.build();
  const onnxOps = layers.filter((l): l is OnnxOp => l instanceof OnnxOp);
  const importedOpsets = [...new Set(onnxOps.map((l) => l.opset))];
  const opset = opts.opset ?? (importedOpsets.length === 1 ? importedOpsets[0] : DEFAULT_OPSET);
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new StrataError(
      'onnx export',
      `opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`,
    );
  const unsupported = layers.filter((l) => !EMITTERS[l.type]);
  if (unsupported.length)
    throw new StrataError(
      'onnx export',
      `no ONNX form for ${unsupported.map((l) => l.where).join(', ')} (FunctionLayer formulas and custom layers are not exported)`,
    );
  const dtypes = new Set(layers.flatMap((l) => [...l.params.values()].map((p) => p.value.dtype)));
  const floatType = dtypes.has('float64') ? DT.DOUBLE : DT.FLOAT;
  const e = new Emitter(opset, floatType);

  // The layers with their inputs (layer or graph-input names), in execution order.
  const config = model.toConfig() as Record<string, any>;
  const graphInputs: string[] =
    config.type === 'Graph' ? Object.keys(config.inputs) : (opts.inputNames ?? ['input']).slice(0, 1);
  const steps: Array<{ layer: Layer; inputs: string[] }> =
    config.type === 'Graph'
      ? (config.layers as Array<{ name: string; inputs: string[] }>).map((c, k) => ({
          layer: layers[k],
          inputs: c.inputs,
        }))
      : layers.map((l, k) => ({ layer: l, inputs: [k === 0 ? graphInputs[0] : layers[k - 1].name] }));
  steps.forEach((st, k) => {
    if (st.layer.name !== (config.type === 'Graph' ? config.layers[k].name : st.layer.name))
      throw new StrataError('onnx export', 'the layer order does not match the config');
  });
  const outputLayer: string = config.type === 'Graph' ? config.output : layers[layers.length - 1]?.name;
  const outputName = opts.outputName ?? 'output';
  for (const n of graphInputs) e.reserve(n);
  if (graphInputs.includes(outputName))
    throw new StrataError('onnx export', `the output name '${outputName}' is also an input name`);
  for (const l of layers) if (l.name !== outputLayer) e.reserve(l.name);
  if (layers.some((l) => l.name === outputName && l.name !== outputLayer))
    throw new StrataError(
      'onnx export',
      `the output name '${outputName}' is the name of another layer; choose another outputName`,
    );
  e.reserve(outputName);

  const tensorOf = new Map<string, string>(graphInputs.map((n) => [n, n]));
  const layerByTensor = new Map<string, Layer>();
  const inputsOf = new Map<string, string[]>();
  const indicesOf = new Map<string, string>();
  const needIndices = new Set<string>();
  for (const st of steps)
    if (st.layer.type.startsWith('MaxUnpool') && st.inputs[1]) needIndices.add(st.inputs[1]);
  for (const st of steps) {
    const ins = st.inputs.map((n) => tensorOf.get(n)!);
    const out = st.layer.name === outputLayer ? outputName : st.layer.name;
    inputsOf.set(st.layer.name, ins);
    const ctx = {
      e,
      layer: st.layer,
      ins,
      shapes: st.layer.inputShapes,
      out,
      inputsOf,
      indicesOf,
      needIndices,
      layerByTensor,
    };
    EMITTERS[st.layer.type](ctx);
    tensorOf.set(st.layer.name, out);
    layerByTensor.set(out, st.layer);
  }
  if (!layers.length) e.op('Identity', [graphInputs[0]], outputName, {}, true);

  const batch = opts.batch ?? 'N';
  const inputShapes = model.inputShapes;
  const graph: GraphProto = {
    name: model.name,
    node: e.nodes,
    initializer: e.inits,
    input: graphInputs.map((n, k) => valueInfo(n, floatType, [batch, ...inputShapes[k]])),
    output: [valueInfo(outputName, floatType, [batch, ...model.outputShape])],
  } as unknown as GraphProto;
  const proto = create(ModelProtoSchema, {
    irVersion: BigInt(irVersionFor(opset)),
    producerName: 'strata',
    producerVersion: '0.1.0',
    docString: opts.docString ?? '',
    opsetImport: [{ domain: '', version: BigInt(opset) }],
    graph: graph as never,
  });
  return toBinary(ModelProtoSchema, proto);
}

/** Writes a network to an .onnx file (atomically). */
export function saveOnnx(model: Model, path: string, opts: ExportOptions = {}): void {
  writeFileAtomic(path, exportOnnx(model, opts));
}
