/**
 * ONNX → Strata: an ONNX graph becomes a Strata Graph network that runs and trains.
 *
 * Each node becomes a catalog layer where one expresses it (Conv with a constant weight → Conv2D,
 * BatchNormalization → BatchNormalization with its running statistics, Gemm → Dense, …), otherwise an
 * OnnxOp layer running the op through Strata's ops. Initializers become parameters (float ones) or
 * constants in the config (integer, boolean, and the inputs an op reads as lists). Nodes whose inputs
 * are all constants are folded at import (shape arithmetic, Constant, Cast, …). Shapes are inferred by
 * running the network once on zeros (a probe) while it is assembled; the batch axis stays dynamic.
 * A model with unsupported ops is refused with one error listing every such op and its node.
 */
import { fromTypedArray, zeros } from '../../core/creation.js';
import type { DType } from '../../core/dtype.js';
import { noGrad, scope } from '../../core/engine.js';
import { StrataError } from '../../core/errors.js';
import { Generator } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import {
  ELU,
  GELU,
  LeakyReLU,
  PReLU,
  ReLU,
  Sigmoid,
  Softmax,
  Tanh,
  ClippedReLU,
} from '../../layers/activation.js';
import { Add, Concatenation, Multiply } from '../../layers/combine.js';
import {
  Conv1D,
  Conv2D,
  Conv3D,
  ConvTranspose1D,
  ConvTranspose2D,
  ConvTranspose3D,
} from '../../layers/conv.js';
import { Dense, Flatten } from '../../layers/core.js';
import { Crop2D, Crop3D, Resize2D, Resize3D } from '../../layers/crop_resize.js';
import { Dropout } from '../../layers/dropout.js';
import type { Layer } from '../../layers/layer.js';
import {
  BatchNormalization,
  GroupNormalization,
  InstanceNormalization,
  LayerNormalization,
  LocalResponseNormalization,
} from '../../layers/normalization.js';
import {
  AvgPool1D,
  AvgPool2D,
  AvgPool3D,
  GlobalAvgPool1D,
  GlobalAvgPool2D,
  GlobalAvgPool3D,
  GlobalMaxPool1D,
  GlobalMaxPool2D,
  GlobalMaxPool3D,
  MaxPool1D,
  MaxPool2D,
  MaxPool3D,
  MaxUnpool1D,
  MaxUnpool2D,
  MaxUnpool3D,
} from '../../layers/pool.js';
import { Graph, type GraphNode } from '../../models/graph.js';
import { COORDINATE_MODES, NEAREST_MODES } from '../../ops/resize.js';
import { encodeConst, evaluateOnnxOp, type InputSpec, OnnxOp } from './layer.js';
import {
  Args,
  checkAllocation,
  convTransposeGeometry,
  type Operand,
  opEntry,
  resizeGeometry,
  strataDtype,
  toTensor,
  windowPads,
} from './ops.js';
import {
  decodeModel,
  DT,
  dtypeName,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  readModel,
} from './proto.js';

export interface ImportOptions {
  /** The network's name (default: the ONNX graph's name, or 'onnx'). */
  name?: string;
  /** Graph inputs bound to values: they become constants and fold into the network. */
  constants?: Record<string, OnnxTensor>;
  /** Shapes (with the batch axis) for graph inputs whose declared shape has unknown dimensions. */
  inputShapes?: Record<string, number[]>;
  /** The batch size used while inferring shapes when the batch axis is symbolic (default 1). */
  batch?: number;
  /** Map nodes to catalog layers where one fits (default true); false makes every node an OnnxOp. */
  catalog?: boolean;
  /** Example values of graph inputs to infer shapes with (default zeros of the declared shapes). */
  examples?: Record<string, OnnxTensor>;
}

export interface ImportedModel {
  model: Graph;
  /** The network's inputs (the ONNX graph inputs that are not initializers or bound constants). */
  inputs: string[];
  /** For each ONNX graph output, the layer that gives it (`model.activations` reads them all). */
  outputs: Map<string, string>;
  /** The ONNX default-domain opset of the file. */
  opset: number;
  /** Node count by what it became: a catalog layer type, 'OnnxOp(<op>)', or 'folded'. */
  mapping: Map<string, number>;
}

/** Ops the importer handles itself (not in the op table). */
const SPECIAL = new Set(['Constant', 'CastLike']);
const RANDOM = new Set(['Dropout']);

type Edge = { kind: 'edge'; ref: string; dtype: number; probe: Tensor };
type Const = { kind: 'const'; t: OnnxTensor };
type Indices = { kind: 'indices'; pool: Edge; poolInput: number[] };
type V = Edge | Const | Indices;

const FLOAT_TYPES = [DT.FLOAT, DT.DOUBLE];
const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);
const range = (n: number, from = 0) => Array.from({ length: n - from }, (_, i) => i + from);

/** Reads an .onnx file and imports it (external data only from the file's folder). */
export function loadOnnx(path: string, opts: ImportOptions = {}): ImportedModel {
  return importOnnx(readModel(path), opts);
}

/** Imports a decoded model, or ONNX bytes (external data is then refused). */
export function importOnnx(src: OnnxModel | Uint8Array, opts: ImportOptions = {}): ImportedModel {
  const m = src instanceof Uint8Array ? decodeModel(src) : src;
  checkSupported(m);
  return noGrad(() => scope(() => new Importer(m, opts).run()));
}

/** Whether the importer takes an operator of the default ONNX domain. */
export function importerSupports(op: string): boolean {
  return !!opEntry(op) || SPECIAL.has(op);
}

/** Throws one error listing every node whose op the importer cannot take. */
export function checkSupported(m: OnnxModel): void {
  const problems: string[] = [];
  if (!m.opsets.has('')) problems.push('the model imports no opset of the default ONNX domain');
  for (const [i, n] of m.nodes.entries()) {
    const where = `node '${n.name || n.outputs[0] || `#${i}`}'`;
    if (n.domain !== '')
      problems.push(
        `${n.domain}.${n.opType} (${where}): operators outside the default ONNX domain are not supported`,
      );
    else if (!opEntry(n.opType) && !SPECIAL.has(n.opType)) problems.push(`${n.opType} (${where})`);
    else if (n.unreadAttrs.length)
      problems.push(
        `${n.opType} (${where}): attribute(s) ${n.unreadAttrs.join(', ')} hold subgraphs or references Strata cannot read`,
      );
  }
  if (problems.length)
    throw new StrataError(
      'onnx import',
      `the model uses ${problems.length} unsupported operator node(s): ${problems.join('; ')}`,
    );
}

const isEdge = (v: V | null | undefined): v is Edge => v?.kind === 'edge';
const isConst = (v: V | null | undefined): v is Const => v?.kind === 'const';
const isFloatConst = (v: V | null | undefined): v is Const =>
  isConst(v) && FLOAT_TYPES.includes(v.t.dtype) && !!v.t.data;
const scalarOf = (v: V | null | undefined): number | null =>
  isConst(v) && v.t.data && v.t.data.length === 1 ? Number(v.t.data[0]) : null;
const listOf = (v: V | null | undefined): number[] | null =>
  isConst(v) && v.t.data ? Array.from(v.t.data as ArrayLike<number | bigint>, Number) : null;

/** Float data of a constant as a float32 or float64 array. */
function floats(t: OnnxTensor): Float32Array | Float64Array {
  return t.data instanceof Float64Array ? t.data : Float32Array.from(t.data as Float32Array);
}

/** A padding option from begin/end lists: one number per axis when symmetric, else [begin, end] pairs. */
function padOpt(b: number[], e: number[]): number[] | Array<[number, number]> {
  return b.every((v, i) => v === e[i]) ? [...b] : b.map((v, i) => [v, e[i]] as [number, number]);
}

interface Made {
  layer: Layer;
  inputs: V[];
  params?: Record<string, { data: Float32Array | Float64Array; dims: number[] }>;
  dtype?: DType;
}

class Importer {
  private readonly values = new Map<string, V>();
  private readonly nodes: GraphNode[] = [];
  private readonly names = new Set<string>();
  private readonly mapping = new Map<string, number>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly absorbed = new Set<OnnxNode>();
  private readonly gen = new Generator(0);
  private readonly graphOutputs: Set<string>;
  private dynamic = false;
  private readonly opset: number;

  constructor(
    private readonly m: OnnxModel,
    private readonly opts: ImportOptions,
  ) {
    this.opset = m.opset;
    this.graphOutputs = new Set(m.outputs.map((o) => o.name));
  }

  private count(what: string): void {
    this.mapping.set(what, (this.mapping.get(what) ?? 0) + 1);
  }

  run(): ImportedModel {
    const m = this.m;
    for (const [k, t] of m.initializers) this.values.set(k, { kind: 'const', t });
    const inputs: Record<string, number[]> = {};
    const inputNames: string[] = [];
    for (const v of m.inputs) {
      const bound = this.opts.constants?.[v.name];
      if (bound) {
        this.values.set(v.name, { kind: 'const', t: bound });
        continue;
      }
      if (v.kind !== 'tensor')
        throw new StrataError('onnx import', `input '${v.name}' is a ${v.kind}; Strata takes tensors only`);
      const dtype = strataDtype(v.elemType);
      if (!dtype)
        throw new StrataError(
          'onnx import',
          `input '${v.name}' has element type ${dtypeName(v.elemType)}, which Strata cannot hold`,
        );
      const ex = this.opts.examples?.[v.name];
      const shape = ex ? [...ex.dims] : this.inputShape(v.name, v.shape);
      if (shape.length === 0)
        throw new StrataError(
          'onnx import',
          `input '${v.name}' is a scalar; Strata's network inputs have a batch axis (bind it with the \`constants\` option)`,
        );
      checkAllocation(`input '${v.name}'`, shape);
      inputs[v.name] = shape.slice(1);
      inputNames.push(v.name);
      this.names.add(v.name);
      const probe = ex ? toTensor(ex) : zeros(shape, { dtype });
      this.values.set(v.name, { kind: 'edge', ref: v.name, dtype: v.elemType, probe });
    }
    if (inputNames.length === 0)
      throw new StrataError('onnx import', 'the model has no (non-constant) input');

    const needed = this.neededNodes();
    for (const n of m.nodes)
      for (const i of n.inputs) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    for (const n of m.nodes) if (needed.has(n) && !this.absorbed.has(n)) this.node(n);

    const outputs = new Map<string, string>();
    for (const o of m.outputs) {
      const v = this.values.get(o.name);
      if (!v) throw new StrataError('onnx import', `graph output '${o.name}' is not produced by any node`);
      if (v.kind === 'const')
        throw new StrataError(
          'onnx import',
          `graph output '${o.name}' is a constant (it does not depend on the inputs)`,
        );
      if (v.kind === 'indices')
        throw new StrataError(
          'onnx import',
          `graph output '${o.name}' holds max-pool indices, which a Strata network cannot output`,
        );
      let ref = v.ref;
      if (inputNames.includes(ref))
        ref = this.addOnnxOp(
          {
            name: o.name,
            opType: 'Identity',
            domain: '',
            inputs: [ref],
            outputs: [o.name],
            attrs: new Map(),
            attrTypes: new Map(),
            unreadAttrs: [],
          },
          [v],
        )[0];
      outputs.set(o.name, ref);
    }
    if (!m.outputs.length) throw new StrataError('onnx import', 'the graph declares no output');
    const model = new Graph({
      name: this.opts.name ?? (m.graphName || 'onnx'),
      inputs,
      nodes: this.nodes,
      output: outputs.get(m.outputs[0].name),
    });
    return { model, inputs: inputNames, outputs, opset: this.opset, mapping: this.mapping };
  }

  private inputShape(name: string, declared: Array<number | string | null> | null): number[] {
    const given = this.opts.inputShapes?.[name];
    if (given) return [...given];
    if (!declared)
      throw new StrataError(
        'onnx import',
        `input '${name}' declares no shape; give it with the \`inputShapes\` option`,
      );
    return declared.map((d, i) => {
      if (typeof d === 'number' && d >= 0) return d;
      if (i === 0) {
        this.dynamic = true;
        return this.opts.batch ?? 1;
      }
      throw new StrataError(
        'onnx import',
        `input '${name}' has an unknown dimension ${i} (${d ?? '?'}) besides the batch; give its shape with the \`inputShapes\` option`,
      );
    });
  }

  /** The nodes the graph outputs depend on. */
  private neededNodes(): Set<OnnxNode> {
    const producer = new Map<string, OnnxNode>();
    for (const n of this.m.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
    const needed = new Set<OnnxNode>();
    const stack = this.m.outputs.map((o) => o.name);
    while (stack.length) {
      const v = stack.pop()!;
      const n = producer.get(v);
      if (!n || needed.has(n)) continue;
      needed.add(n);
      for (const i of n.inputs) if (i) stack.push(i);
    }
    return needed;
  }

  private isNeeded(name: string): boolean {
    return this.graphOutputs.has(name) || (this.consumers.get(name)?.length ?? 0) > 0;
  }

  private node(node0: OnnxNode): void {
    let n = node0;
    const ins = n.inputs.map((name) => {
      if (!name) return null;
      const v = this.values.get(name);
      if (!v)
        throw new StrataError(
          'onnx import',
          `node '${n.name || n.outputs[0]}' (${n.opType}) uses '${name}', which no earlier node, input or initializer defines (nodes must be in topological order)`,
        );
      return v;
    });
    let op = n.opType;
    let attrs = n.attrs;
    let args = ins;
    if (op === 'Constant') {
      this.values.set(n.outputs[0], { kind: 'const', t: constantValue(n) });
      this.count('folded');
      return;
    }
    if (op === 'CastLike') {
      const like = ins[1];
      const to = like?.kind === 'const' ? like.t.dtype : like?.kind === 'edge' ? like.dtype : DT.INT64;
      op = 'Cast';
      attrs = new Map([['to', to]]);
      n = { ...n, attrTypes: new Map([['to', 'i']]) };
      args = [ins[0]];
    }
    if (op === 'Identity' && ins[0]) {
      this.values.set(n.outputs[0], ins[0]);
      return;
    }
    const node: OnnxNode = { ...n, opType: op, attrs, inputs: n.inputs.slice(0, args.length) };
    if (ins.some((v) => v?.kind === 'indices') && op !== 'MaxUnpool')
      throw new StrataError(
        'onnx import',
        `node '${n.name || n.outputs[0]}' (${op}) takes max-pool indices, which Strata keeps only for MaxUnpool`,
      );
    // Constant folding: every input is known, or only the (static) shape of a computed one is read.
    const allConst = args.every((v) => !v || v.kind === 'const');
    const staticShape = (op === 'Shape' || op === 'Size') && !this.dynamic && isEdge(args[0]);
    if ((allConst && !RANDOM.has(op)) || staticShape) {
      this.fold(node, args as Array<V | null>);
      return;
    }
    if (opEntry(op)!.foldOnly)
      throw new StrataError(
        'onnx import',
        `node '${n.name || n.outputs[0]}' (${op}) is supported only on constant inputs`,
      );
    if (this.opts.catalog !== false) {
      let made: Made | 'added' | null = null;
      try {
        made = this.catalog(node, args as Array<V | null>);
      } catch (e) {
        if (!(e instanceof StrataError)) throw e;
        made = null;
      }
      if (made === 'added') return;
      if (made) {
        this.addLayer(node, made);
        return;
      }
    }
    if (op === 'MaxUnpool' && ins[1]?.kind === 'indices')
      throw new StrataError(
        'onnx import',
        `node '${n.name || n.outputs[0]}' (MaxUnpool): Strata unpools only to the size of the max-pooled input, with the pool's own indices`,
      );
    this.addOnnxOp(node, args as Array<V | null>);
  }

  private fold(n: OnnxNode, ins: Array<V | null>): void {
    const operands: Array<Operand | null> = ins.map((v) => {
      if (!v) return null;
      if (v.kind === 'const') return v.t;
      if (v.kind === 'edge') return v.probe;
      throw new StrataError('onnx import', 'max-pool indices cannot be folded');
    });
    const outs = evaluateOnnxOp(n.opType, this.opset, n.attrs, operands, n.outputs.length, true);
    n.outputs.forEach((name, k) => {
      if (!name) return;
      const t = outs[k];
      if (!t)
        throw new StrataError('onnx import', `node '${n.name || name}' (${n.opType}) gave no output ${k}`);
      this.values.set(name, { kind: 'const', t: toOnnx(t, name, outType(n, ins, k)) });
    });
    this.count('folded');
  }

  private uniqueName(base: string): string {
    let name = base || 'node';
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  private edgeOf(v: V): Edge {
    if (v.kind === 'edge') return v;
    throw new StrataError(
      'onnx import',
      v.kind === 'const' ? 'a constant cannot feed a layer input' : 'max-pool indices feed only MaxUnpool',
    );
  }

  /** Builds a layer for its inputs' shapes, sets its parameters, runs it on the probes. */
  private addLayer(n: OnnxNode, made: Made, outputIndex = 0, outDtype?: number): Edge {
    const { layer } = made;
    const edges = made.inputs.map((v) => this.edgeOf(v));
    layer.name = this.uniqueName(n.outputs[outputIndex]);
    layer.build(
      edges.map((e) => e.probe.shape.slice(1)),
      { generator: this.gen, dtype: made.dtype ?? 'float32' },
    );
    for (const [k, p] of Object.entries(made.params ?? {})) {
      const param = layer.params.get(k);
      if (!param) throw new StrataError('onnx import', `${layer.where} has no parameter '${k}'`);
      param.assign(
        fromTypedArray(p.data, param.shape, { dtype: param.value.dtype, backend: param.value.backend }),
      );
    }
    const probe = layer.call(
      edges.map((e) => e.probe),
      { training: false, generator: this.gen },
    );
    this.nodes.push({ layer, inputs: edges.map((e) => e.ref) });
    const edge: Edge = { kind: 'edge', ref: layer.name, dtype: outDtype ?? edges[0].dtype, probe };
    this.values.set(n.outputs[outputIndex], edge);
    this.count(layer.type);
    return edge;
  }

  /** One OnnxOp layer per needed output of the node; returns their names. */
  addOnnxOp(n: OnnxNode, ins: Array<V | null>): string[] {
    const entry = opEntry(n.opType)!;
    const lists = new Set(entry.lists ?? []);
    const specs: InputSpec[] = [];
    const edges: Edge[] = [];
    const params: Record<string, { data: Float32Array | Float64Array; dims: number[] }> = {};
    const operands: Array<Operand | null> = [];
    ins.forEach((v, i) => {
      if (!v) {
        specs.push(null);
        operands.push(null);
      } else if (v.kind !== 'const') {
        const e = this.edgeOf(v);
        specs.push({ edge: edges.length });
        edges.push(e);
        operands.push(e.probe);
      } else if (!lists.has(i) && FLOAT_TYPES.includes(v.t.dtype) && v.t.data) {
        const name = `in${i}`;
        const dtype: DType = v.t.dtype === DT.DOUBLE ? 'float64' : 'float32';
        specs.push({ param: name, dims: [...v.t.dims], dtype });
        params[name] = { data: floats(v.t), dims: v.t.dims };
        operands.push(toTensor(v.t, edges[0]?.probe.backend));
      } else {
        specs.push({ const: encodeConst(v.t) });
        operands.push(v.t);
      }
    });
    if (edges.length === 0)
      throw new StrataError(
        'onnx import',
        `node '${n.name || n.outputs[0]}' (${n.opType}) has no computed input`,
      );
    const outs = evaluateOnnxOp(n.opType, this.opset, n.attrs, operands, n.outputs.length);
    const attrs: Record<string, unknown> = {};
    for (const [k, a] of n.attrs)
      attrs[k] =
        a && typeof a === 'object' && !Array.isArray(a) ? { tensor: encodeConst(a as OnnxTensor) } : a;
    const made: string[] = [];
    n.outputs.forEach((name, k) => {
      if (!name || !this.isNeeded(name)) return;
      const y = outs[k];
      if (!y)
        throw new StrataError('onnx import', `node '${n.name || name}' (${n.opType}) gave no output ${k}`);
      const layer = new OnnxOp({
        name: this.uniqueName(name),
        op: n.opType,
        opset: this.opset,
        attrs: attrs as Record<string, never>,
        attrTypes: Object.fromEntries(n.attrTypes),
        inputs: specs,
        output: k,
        outputs: n.outputs.length,
        shapes: edges.map((e) => e.probe.shape),
        outShape: y.shape,
      });
      layer.build(
        edges.map((e) => e.probe.shape.slice(1)),
        { generator: this.gen, dtype: 'float32' },
      );
      for (const [p, v] of Object.entries(params))
        layer.params.get(p)!.assign(fromTypedArray(v.data, v.dims, { backend: edges[0].probe.backend }));
      this.nodes.push({ layer, inputs: edges.map((e) => e.ref) });
      this.values.set(name, { kind: 'edge', ref: layer.name, dtype: outType(n, ins, k), probe: y });
      this.count(`OnnxOp(${n.opType})`);
      made.push(layer.name);
    });
    return made;
  }

  // ---------------------------------------------------------------- catalog mappings

  /** A catalog layer for the node, or null when none expresses it exactly. */
  private catalog(n: OnnxNode, ins: Array<V | null>): Made | 'added' | null {
    const a = new Args(
      n,
      this.opset,
      ins.map((v) => (v?.kind === 'const' ? v.t : null)),
    );
    const x = ins[0];
    if (!isEdge(x)) return null;
    const xs = x.probe.shape;
    const rank = xs.length;
    const r = rank - 2;
    const onlyFirstOutput = n.outputs.slice(1).every((o) => !o || !this.isNeeded(o));
    const dtype: DType = x.probe.dtype === 'float64' ? 'float64' : 'float32';
    /** Parameter values: a constant's data, or computed data (dims only name the shape in messages). */
    const p = (t: OnnxTensor | Float32Array | Float64Array, dims?: number[]) =>
      t instanceof Float32Array || t instanceof Float64Array
        ? { data: t, dims: dims ?? [t.length] }
        : { data: floats(t), dims: t.dims };
    if (!FLOAT_TYPES.includes(x.dtype)) return null;
    switch (n.opType) {
      case 'Conv': {
        const [, w, b] = ins;
        if (r < 1 || r > 3 || !isFloatConst(w) || w.t.dims.length !== rank || (b && !isFloatConst(b)))
          return null;
        const K = w.t.dims.slice(2);
        const s = a.ints('strides') ?? K.map(() => 1);
        const d = a.ints('dilations') ?? K.map(() => 1);
        const { padBegin, padEnd } = windowPads(
          a.s('auto_pad', 'NOTSET'),
          a.ints('pads'),
          xs.slice(2),
          K,
          s,
          d,
        );
        const cls = [Conv1D, Conv2D, Conv3D][r - 1];
        const layer = new cls({
          filters: w.t.dims[0],
          kernelSize: K,
          stride: s,
          dilation: d,
          groups: a.i('group', 1),
          padding: padOpt(padBegin, padEnd),
          bias: !!b,
        });
        return {
          layer,
          inputs: [x],
          dtype,
          params: { weight: p(w.t), ...(b ? { bias: p((b as Const).t) } : {}) },
        };
      }
      case 'ConvTranspose': {
        const [, w, b] = ins;
        if (r < 1 || r > 3 || !isFloatConst(w) || w.t.dims.length !== rank || (b && !isFloatConst(b)))
          return null;
        const K = w.t.dims.slice(2);
        const g = convTransposeGeometry(a, xs.slice(2), K);
        const cls = [ConvTranspose1D, ConvTranspose2D, ConvTranspose3D][r - 1];
        const layer = new cls({
          filters: w.t.dims[1] * a.i('group', 1),
          kernelSize: K,
          stride: g.stride,
          dilation: g.dilation,
          groups: a.i('group', 1),
          padding: padOpt(
            g.padding.map((q) => q[0]),
            g.padding.map((q) => q[1]),
          ),
          outputPadding: g.outputPadding,
          bias: !!b,
        });
        return {
          layer,
          inputs: [x],
          dtype,
          params: { weight: p(w.t), ...(b ? { bias: p((b as Const).t) } : {}) },
        };
      }
      case 'Gemm': {
        const [, w, c] = ins;
        if (rank !== 2 || !isFloatConst(w) || w.t.dims.length !== 2 || a.i('transA', 0) !== 0) return null;
        if (a.f('alpha', 1) !== 1 || (c && a.f('beta', 1) !== 1)) return null;
        const transB = a.i('transB', 0) === 1;
        const units = transB ? w.t.dims[0] : w.t.dims[1];
        if (c && (!isFloatConst(c) || prod(c.t.dims) !== units || c.t.dims.length > 2)) return null;
        const weight = transB ? floats(w.t) : transpose2d(floats(w.t), w.t.dims[0], w.t.dims[1]);
        return {
          layer: new Dense({ units, bias: !!c }),
          inputs: [x],
          dtype,
          params: { weight: p(weight, [units, xs[1]]), ...(c ? { bias: p((c as Const).t) } : {}) },
        };
      }
      case 'MatMul': {
        const [, w] = ins;
        if (rank !== 2 || !isFloatConst(w) || w.t.dims.length !== 2) return null;
        const units = w.t.dims[1];
        const weight = transpose2d(floats(w.t), w.t.dims[0], units);
        // MatMul followed by the addition of a constant vector: one Dense layer with a bias.
        const users = this.consumers.get(n.outputs[0]) ?? [];
        const addNode =
          users.length === 1 && users[0].opType === 'Add' && !this.graphOutputs.has(n.outputs[0])
            ? users[0]
            : null;
        const other = addNode
          ? this.values.get(addNode.inputs[addNode.inputs[0] === n.outputs[0] ? 1 : 0])
          : undefined;
        if (
          addNode &&
          isFloatConst(other) &&
          prod(other.t.dims) === units &&
          other.t.dims.length <= 2 &&
          addNode.inputs[0] !== addNode.inputs[1]
        ) {
          this.absorbed.add(addNode);
          const made: Made = {
            layer: new Dense({ units, bias: true }),
            inputs: [x],
            dtype,
            params: { weight: p(weight, [units, xs[1]]), bias: p(other.t) },
          };
          const e = this.addLayer(n, made);
          this.values.set(addNode.outputs[0], e);
          this.count('absorbed Add');
          return 'added';
        }
        return {
          layer: new Dense({ units, bias: false }),
          inputs: [x],
          dtype,
          params: { weight: p(weight, [units, xs[1]]) },
        };
      }
      case 'Relu':
        return { layer: new ReLU(), inputs: [x], dtype };
      case 'Sigmoid':
        return { layer: new Sigmoid(), inputs: [x], dtype };
      case 'Tanh':
        return { layer: new Tanh(), inputs: [x], dtype };
      case 'LeakyRelu':
        return { layer: new LeakyReLU({ alpha: a.f('alpha', 0.01) }), inputs: [x], dtype };
      case 'Elu':
        return { layer: new ELU({ alpha: a.f('alpha', 1) }), inputs: [x], dtype };
      case 'Gelu':
        return {
          layer: new GELU({ approximate: a.s('approximate', 'none') === 'tanh' ? 'tanh' : 'none' }),
          inputs: [x],
          dtype,
        };
      case 'Softmax': {
        if (this.opset < 13 && normAx(a.i('axis', 1), rank) !== rank - 1) return null;
        const ax = normAx(a.i('axis', this.opset < 13 ? 1 : -1), rank);
        if (ax < 1) return null;
        return { layer: new Softmax({ axis: ax - 1 }), inputs: [x], dtype };
      }
      case 'PRelu': {
        const slope = ins[1];
        if (!isFloatConst(slope) || rank < 2) return null;
        const dims = [...slope.t.dims];
        while (dims.length && dims[0] === 1 && dims.length > rank - 1) dims.shift();
        const size = prod(slope.t.dims);
        if (size === 1)
          return {
            layer: new PReLU({ channelShared: true }),
            inputs: [x],
            dtype,
            params: { alpha: p(floats(slope.t), [1]) },
          };
        const perChannel =
          dims.length === rank - 1 && dims[0] === xs[1] && dims.slice(1).every((d) => d === 1);
        if (!perChannel) return null;
        return { layer: new PReLU(), inputs: [x], dtype, params: { alpha: p(floats(slope.t), [xs[1]]) } };
      }
      case 'Clip': {
        const lo = this.opset >= 11 ? (ins[1] ? scalarOf(ins[1]) : null) : a.f('min', Number.NaN);
        const hi =
          this.opset >= 11 ? (ins[2] ? scalarOf(ins[2]) : null) : a.f('max', Number.POSITIVE_INFINITY);
        if (lo !== 0) return null;
        if (hi === null || hi === Number.POSITIVE_INFINITY)
          return ins[2] && hi === null ? null : { layer: new ReLU(), inputs: [x], dtype };
        if (!(hi >= 0) || !Number.isFinite(hi)) return null;
        return { layer: new ClippedReLU({ ceiling: hi }), inputs: [x], dtype };
      }
      case 'MaxPool':
      case 'AveragePool': {
        if (r < 1 || r > 3 || a.i('storage_order', 0) !== 0) return null;
        const K = a.ints('kernel_shape');
        if (!K) throw new StrataError('onnx import', `${n.opType} node '${n.name}' has no kernel_shape`);
        const s = a.ints('strides') ?? K.map(() => 1);
        const d = a.ints('dilations') ?? K.map(() => 1);
        const { padBegin, padEnd } = windowPads(
          a.s('auto_pad', 'NOTSET'),
          a.ints('pads'),
          xs.slice(2),
          K,
          s,
          d,
        );
        const common = {
          kernelSize: K,
          stride: s,
          padding: padOpt(padBegin, padEnd),
          ceilMode: a.i('ceil_mode', 0) === 1,
        };
        if (n.opType === 'AveragePool') {
          if (d.some((v) => v !== 1) || !onlyFirstOutput) return null;
          const cls = [AvgPool1D, AvgPool2D, AvgPool3D][r - 1];
          return {
            layer: new cls({ ...common, countIncludePad: a.i('count_include_pad', 0) === 1 }),
            inputs: [x],
            dtype,
          };
        }
        const idxName = n.outputs[1];
        const withIndices = !!idxName && this.isNeeded(idxName);
        if (withIndices) {
          const users = this.consumers.get(idxName) ?? [];
          if (
            this.graphOutputs.has(idxName) ||
            users.some((u) => u.opType !== 'MaxUnpool' || u.inputs[1] !== idxName)
          )
            return null;
        }
        const cls = [MaxPool1D, MaxPool2D, MaxPool3D][r - 1];
        const made: Made = {
          layer: new cls({ ...common, dilation: d, returnIndices: withIndices }),
          inputs: [x],
          dtype,
        };
        if (!withIndices) return made;
        const e = this.addLayer(n, made);
        this.values.set(idxName, { kind: 'indices', pool: e, poolInput: xs.slice(2) });
        return 'added';
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        if (r < 1 || r > 3) return null;
        const cls =
          n.opType === 'GlobalAveragePool'
            ? [GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D][r - 1]
            : [GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D][r - 1];
        return { layer: new cls({ keepDims: true }), inputs: [x], dtype };
      }
      case 'MaxUnpool': {
        const idx = ins[1];
        if (idx?.kind !== 'indices' || r < 1 || r > 3) return null;
        const K = a.ints('kernel_shape');
        if (!K) throw new StrataError('onnx import', `${n.opType} node '${n.name}' has no kernel_shape`);
        const s = a.ints('strides') ?? K.map(() => 1);
        const pads = a.ints('pads') ?? new Array<number>(2 * r).fill(0);
        const inferred = xs.slice(2).map((o, i) => (o - 1) * s[i] - pads[i] - pads[i + r] + K[i]);
        // The output size: a constant, or computed (Shape of the pooled input): read from the probe.
        const given = ins[2]
          ? (listOf(ins[2]) ?? (isEdge(ins[2]) ? Array.from(ins[2].probe.data()) : null))
          : null;
        if (ins[2] && !given) return null;
        const size = given ? given.slice(-r) : inferred;
        if (size.some((v, i) => v !== idx.poolInput[i])) return null;
        if (idx.pool.probe.shape.some((v, i) => v !== xs[i])) return null;
        const cls = [MaxUnpool1D, MaxUnpool2D, MaxUnpool3D][r - 1];
        return { layer: new cls({ outputSize: size }), inputs: [x, idx.pool], dtype };
      }
      case 'BatchNormalization': {
        const stats = ins.slice(1, 5);
        if (a.i('training_mode', 0) !== 0 || !onlyFirstOutput || rank < 2 || rank > 5) return null;
        if (stats.length !== 4 || !stats.every((v) => isFloatConst(v) && prod(v.t.dims) === xs[1]))
          return null;
        const [w, b, mean, variance] = stats as Const[];
        const momentum = Math.min(Math.max(1 - a.f('momentum', 0.9), 0), 1);
        return {
          layer: new BatchNormalization({ epsilon: a.f('epsilon', 1e-5), momentum }),
          inputs: [x],
          dtype,
          params: { weight: p(w.t), bias: p(b.t), runningMean: p(mean.t), runningVar: p(variance.t) },
        };
      }
      case 'InstanceNormalization': {
        const [, w, b] = ins;
        if (r < 1 || r > 3 || !isFloatConst(w) || !isFloatConst(b)) return null;
        return {
          layer: new InstanceNormalization({ epsilon: a.f('epsilon', 1e-5) }),
          inputs: [x],
          dtype,
          params: { weight: p(w.t), bias: p(b.t) },
        };
      }
      case 'LayerNormalization': {
        const [, w, b] = ins;
        const ax = normAx(a.i('axis', -1), rank);
        if (!onlyFirstOutput || ax < 1 || !isFloatConst(w) || (b && !isFloatConst(b))) return null;
        const shape = xs.slice(ax);
        if (prod(w.t.dims) !== prod(shape) || (b && prod((b as Const).t.dims) !== prod(shape))) return null;
        return {
          layer: new LayerNormalization({ epsilon: a.f('epsilon', 1e-5), axes: range(rank - 1, ax - 1) }),
          inputs: [x],
          dtype,
          params: {
            weight: p(floats(w.t), shape),
            bias: b ? p(floats((b as Const).t), shape) : p(new Float32Array(prod(shape)), shape),
          },
        };
      }
      case 'GroupNormalization': {
        const [, w, b] = ins;
        const g = a.i('num_groups', 1);
        const C = xs[1];
        if (r < 1 || r > 3 || !isFloatConst(w) || !isFloatConst(b) || C % g !== 0) return null;
        const expand = (t: OnnxTensor) => {
          const f = floats(t);
          if (f.length === C) return f;
          if (f.length !== g)
            throw new StrataError('onnx import', `GroupNormalization scale has ${f.length} values`);
          return Float32Array.from({ length: C }, (_, c) => f[Math.floor(c / (C / g))]);
        };
        return {
          layer: new GroupNormalization({ groups: g, epsilon: a.f('epsilon', 1e-5) }),
          inputs: [x],
          dtype,
          params: { weight: p(expand(w.t), [C]), bias: p(expand(b.t), [C]) },
        };
      }
      case 'LRN':
        if (rank < 2 || rank > 5) return null;
        return {
          layer: new LocalResponseNormalization({
            size: a.i('size', 1),
            alpha: a.f('alpha', 1e-4),
            beta: a.f('beta', 0.75),
            k: a.f('bias', 1),
          }),
          inputs: [x],
          dtype,
        };
      case 'Dropout': {
        if (!onlyFirstOutput) return null;
        if (ins[2] && scalarOf(ins[2]) !== 0) return null;
        const ratio = this.opset >= 12 ? (ins[1] ? scalarOf(ins[1]) : 0.5) : a.f('ratio', 0.5);
        if (ratio === null || !(ratio >= 0 && ratio < 1)) return null;
        return { layer: new Dropout({ probability: ratio }), inputs: [x], dtype };
      }
      case 'Flatten':
        if (normAx(a.i('axis', 1), rank) !== 1 || rank < 2) return null;
        return { layer: new Flatten(), inputs: [x], dtype };
      case 'Add':
      case 'Sum':
      case 'Mul': {
        if (ins.length < 2 || !ins.every((v) => isEdge(v) && sameShape(v.probe.shape, xs))) return null;
        return { layer: n.opType === 'Mul' ? new Multiply() : new Add(), inputs: ins as Edge[], dtype };
      }
      case 'Concat': {
        const ax = normAx(a.i('axis', 0), rank);
        if (ax < 1 || ins.length < 2 || !ins.every((v) => isEdge(v) && v.probe.rank === rank)) return null;
        return { layer: new Concatenation({ axis: ax - 1 }), inputs: ins as Edge[], dtype };
      }
      case 'Resize':
      case 'Upsample': {
        const old = n.opType === 'Upsample' || this.opset < 11;
        if ((r !== 2 && r !== 3) || ins.slice(1).some((v) => v && !isConst(v))) return null;
        if (a.i('antialias', 0) !== 0 || a.s('keep_aspect_ratio_policy', 'stretch') !== 'stretch')
          return null;
        const mode = a.s('mode', 'nearest');
        if (!['nearest', 'linear', 'bilinear'].includes(mode)) return null;
        const coordinateMode = old ? 'asymmetric' : a.s('coordinate_transformation_mode', 'half_pixel');
        const nearestMode = old ? 'floor' : a.s('nearest_mode', 'round_prefer_floor');
        if (!(COORDINATE_MODES as readonly string[]).includes(coordinateMode)) return null;
        if (!(NEAREST_MODES as readonly string[]).includes(nearestMode)) return null;
        const g = resizeGeometry(a, xs, old);
        if (g.out[0] !== xs[0] || g.out[1] !== xs[1]) return null;
        const cls = r === 2 ? Resize2D : Resize3D;
        const cfg = {
          mode: (mode === 'nearest' ? 'nearest' : 'linear') as 'nearest' | 'linear',
          coordinateMode: coordinateMode as never,
          nearestMode: nearestMode as never,
        };
        const layer = g.fromSizes
          ? new cls({ ...cfg, size: g.out.slice(2) })
          : new cls({ ...cfg, scale: g.scales.slice(2) });
        return { layer, inputs: [x], dtype };
      }
      case 'Slice': {
        if ((r !== 2 && r !== 3) || this.opset < 10) return null;
        const [starts, ends, axesIn, steps] = [1, 2, 3, 4].map((i) => (ins[i] ? listOf(ins[i]) : null));
        if (!starts || !ends || (ins[3] && !axesIn) || (ins[4] && !steps)) return null;
        if (steps?.some((s) => s !== 1)) return null;
        const axes = (axesIn ?? starts.map((_, i) => i)).map((v) => normAx(v, rank));
        if (axes.some((v) => v < 2)) return null;
        const S = xs.slice(2);
        const offset = S.map(() => 0);
        const size = [...S];
        axes.forEach((ax, k) => {
          const dim = xs[ax];
          const c = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
          offset[ax - 2] = c(starts[k]);
          size[ax - 2] = Math.max(c(ends[k]) - offset[ax - 2], 0);
        });
        if (size.some((v) => v < 1)) return null;
        const cls = r === 2 ? Crop2D : Crop3D;
        return { layer: new cls({ size, offset }), inputs: [x], dtype };
      }
      default:
        return null;
    }
  }
}

/** The value of a Constant node. */
function constantValue(n: OnnxNode): OnnxTensor {
  const name = n.outputs[0];
  const t = n.attrs.get('value');
  if (t && typeof t === 'object' && !Array.isArray(t)) return { ...(t as OnnxTensor), name };
  const f = n.attrs.get('value_float');
  if (typeof f === 'number') return { name, dtype: DT.FLOAT, dims: [], data: Float32Array.of(f) };
  const fs = n.attrs.get('value_floats');
  if (Array.isArray(fs))
    return { name, dtype: DT.FLOAT, dims: [fs.length], data: Float32Array.from(fs as number[]) };
  const i = n.attrs.get('value_int');
  if (typeof i === 'number') return { name, dtype: DT.INT64, dims: [], data: BigInt64Array.of(BigInt(i)) };
  const is = n.attrs.get('value_ints');
  if (Array.isArray(is))
    return {
      name,
      dtype: DT.INT64,
      dims: [is.length],
      data: BigInt64Array.from(is as number[], (v) => BigInt(v)),
    };
  throw new StrataError(
    'onnx import',
    `Constant node '${n.name || name}' has no value Strata can read (strings and sparse values are not supported)`,
  );
}

const normAx = (a: number, r: number) => (a < 0 ? a + r : a);
const sameShape = (p: readonly number[], q: readonly number[]) =>
  p.length === q.length && p.every((d, i) => d === q[i]);

function transpose2d(
  d: Float32Array | Float64Array,
  rows: number,
  cols: number,
): Float32Array | Float64Array {
  const out = new (d.constructor as Float32ArrayConstructor)(d.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = d[i * cols + j];
  return out;
}

/** The ONNX element type of output k of a node. */
function outType(n: OnnxNode, ins: Array<V | null>, k: number): number {
  const typeOf = (v: V | null | undefined) =>
    !v ? DT.FLOAT : v.kind === 'const' ? v.t.dtype : v.kind === 'edge' ? v.dtype : DT.INT64;
  switch (n.opType) {
    case 'Shape':
    case 'Size':
    case 'ArgMax':
    case 'ArgMin':
      return DT.INT64;
    case 'Cast':
      return Number(n.attrs.get('to') ?? DT.FLOAT);
    case 'Equal':
    case 'Less':
    case 'LessOrEqual':
    case 'Greater':
    case 'GreaterOrEqual':
    case 'Not':
    case 'And':
    case 'Or':
    case 'Xor':
    case 'IsNaN':
    case 'IsInf':
      return DT.BOOL;
    case 'ConstantOfShape': {
      const v = n.attrs.get('value') as OnnxTensor | undefined;
      return v?.dtype ?? DT.FLOAT;
    }
    case 'Where':
      return typeOf(ins[1]);
    case 'MaxPool':
      return k === 1 ? DT.INT64 : typeOf(ins[0]);
    case 'Dropout':
      return k === 1 ? DT.BOOL : typeOf(ins[0]);
    default:
      return typeOf(ins[0]);
  }
}

/** A (folded) tensor as an ONNX constant of the given element type. */
function toOnnx(t: Tensor, name: string, dtype: number): OnnxTensor {
  const d = t.data();
  const dims = [...t.shape];
  let data: OnnxTensor['data'];
  const int = (v: number) => (Number.isFinite(v) ? Math.trunc(v) : 0);
  switch (dtype) {
    case DT.FLOAT:
      data = Float32Array.from(d);
      break;
    case DT.DOUBLE:
      data = Float64Array.from(d);
      break;
    case DT.BOOL:
      data = Uint8Array.from(d, (v) => (v !== 0 ? 1 : 0));
      break;
    case DT.INT64:
      data = BigInt64Array.from(d, (v) => BigInt(int(v)));
      break;
    case DT.UINT64:
      data = BigUint64Array.from(d, (v) => BigInt(Math.max(0, int(v))));
      break;
    case DT.INT32:
      data = Int32Array.from(d, int);
      break;
    case DT.UINT32:
      data = Uint32Array.from(d, int);
      break;
    case DT.INT16:
      data = Int16Array.from(d, int);
      break;
    case DT.UINT16:
      data = Uint16Array.from(d, int);
      break;
    case DT.INT8:
      data = Int8Array.from(d, int);
      break;
    case DT.UINT8:
      data = Uint8Array.from(d, int);
      break;
    default:
      throw new StrataError('onnx import', `cannot hold a constant of type ${dtypeName(dtype)} ('${name}')`);
  }
  return { name, dtype, dims, data };
}
