import type { DType } from '../../core/dtype.js';
import { StrataError } from '../../core/errors.js';
import type { Generator } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import { type CallContext, Layer, type LayerConfig } from '../../layers/layer.js';
import { registerLayer } from '../../layers/registry.js';
import { Args, type Operand, opEntry } from './ops.js';
import { type AttrKind, DT, type OnnxTensor } from './proto.js';

/** A constant in a layer config: element type (TensorProto.DataType), dims, values (±Infinity, NaN as strings). */
export interface ConstJson {
  dtype: number;
  dims: number[];
  values: Array<number | string>;
}
export type AttrJson = number | string | number[] | string[] | { tensor: ConstJson };

/** Where each node input comes from: an input of the layer, a parameter, a constant, or nothing. */
export type InputSpec =
  | { edge: number }
  | { param: string; dims: number[]; dtype?: DType }
  | { const: ConstJson }
  | null;

export interface OnnxOpConfig extends LayerConfig {
  /** The ONNX operator (default domain). */
  op: string;
  /** The opset its attributes follow. */
  opset: number;
  attrs?: Record<string, AttrJson>;
  /** The ONNX kind of each attribute ('f', 'i', 's', 't', 'fs', 'is', 'ss'), for writing it back. */
  attrTypes?: Record<string, AttrKind>;
  /** One entry per node input, in the node's order. */
  inputs: InputSpec[];
  /** Which of the node's outputs this layer gives (default 0), and how many the node has. */
  output?: number;
  outputs?: number;
  /** Shapes (with the leading axis) of the layer's inputs when it was imported. */
  shapes: number[][];
  /** Shape (with the leading axis) of its output for those inputs. */
  outShape: number[];
}

const INT64_MAX = 2n ** 63n - 1n;

export function encodeConst(t: OnnxTensor): ConstJson {
  if (!t.data) throw new StrataError('onnx', `constant '${t.name}' has an element type Strata cannot hold`);
  return {
    dtype: t.dtype,
    dims: [...t.dims],
    values: Array.from(t.data as ArrayLike<number | bigint>, (v) =>
      typeof v === 'bigint' ? Number(v) : Number.isFinite(v) ? v : String(v),
    ),
  };
}

export function decodeConst(c: ConstJson, name = ''): OnnxTensor {
  const num = (v: number | string) => (typeof v === 'number' ? v : Number(v));
  const n = c.dims.reduce((a, b) => a * b, 1);
  if (!Array.isArray(c.values) || c.values.length !== n)
    throw new StrataError('OnnxOp', `constant of dims [${c.dims}] has ${c.values?.length} values`);
  let data: OnnxTensor['data'];
  switch (c.dtype) {
    case DT.FLOAT:
      data = Float32Array.from(c.values, num);
      break;
    case DT.DOUBLE:
      data = Float64Array.from(c.values, num);
      break;
    case DT.INT64:
      data = BigInt64Array.from(c.values, (v) => {
        const x = num(v);
        return x >= 2 ** 63 ? INT64_MAX : x <= -(2 ** 63) ? -INT64_MAX - 1n : BigInt(Math.trunc(x));
      });
      break;
    case DT.INT32:
      data = Int32Array.from(c.values, num);
      break;
    case DT.BOOL:
    case DT.UINT8:
      data = Uint8Array.from(c.values, num);
      break;
    case DT.INT8:
      data = Int8Array.from(c.values, num);
      break;
    case DT.INT16:
      data = Int16Array.from(c.values, num);
      break;
    case DT.UINT16:
      data = Uint16Array.from(c.values, num);
      break;
    case DT.UINT32:
      data = Uint32Array.from(c.values, num);
      break;
    case DT.UINT64:
      data = BigUint64Array.from(c.values, (v) => BigInt(Math.max(0, Math.trunc(num(v)))));
      break;
    default:
      throw new StrataError('OnnxOp', `constant element type ${c.dtype} is not supported`);
  }
  return { name, dtype: c.dtype, dims: [...c.dims], data };
}

function isConstJson(v: unknown): v is { tensor: ConstJson } {
  return !!v && typeof v === 'object' && !Array.isArray(v) && 'tensor' in v;
}

/** Runs an ONNX op on its operands, all outputs. */
export function evaluateOnnxOp(
  op: string,
  opset: number,
  attrs: ReadonlyMap<string, unknown>,
  values: ReadonlyArray<Operand | null>,
  outputs: number,
  folding = false,
): Array<Tensor | null> {
  const entry = opEntry(op);
  if (!entry) throw new StrataError('OnnxOp', `ONNX op '${op}' is not supported`);
  const names = Array.from({ length: outputs }, (_, i) => `out${i}`);
  const r = entry.run(new Args({ opType: op, attrs, outputs: names }, opset, values, folding));
  return Array.isArray(r) ? [...(r as Array<Tensor | null>)] : [r as Tensor];
}

/**
 * A layer that runs one ONNX operator through Strata's ops (src/io/onnx/ops.ts): the importer makes one
 * for each node that no catalog layer expresses (element-wise arithmetic with constants, reshapes,
 * transposes, reductions, …). Float initializers among its inputs are its parameters (trainable);
 * integer and boolean constants, and the inputs an op reads as lists (shapes, axes, scales), are kept
 * in the config. Saved and loaded like any layer; exported back as the same ONNX node.
 * Shape: the output shape recorded at import (`outShape`), for the recorded input shapes.
 */
export class OnnxOp extends Layer {
  static override readonly type: string = 'OnnxOp';
  override readonly minInputs: number;
  override readonly maxInputs: number;
  readonly op: string;
  readonly opset: number;
  readonly attrs: Record<string, AttrJson>;
  readonly attrTypes: Record<string, AttrKind>;
  readonly inputSpecs: InputSpec[];
  readonly output: number;
  readonly outputs: number;
  readonly shapes: number[][];
  readonly outShape: number[];
  private readonly attrMap: Map<string, unknown>;
  private readonly consts: Array<OnnxTensor | null>;

  constructor(c: OnnxOpConfig) {
    super(c);
    if (!c || typeof c.op !== 'string' || !opEntry(c.op))
      throw new StrataError(
        `OnnxOp${c?.name ? ` '${c.name}'` : ''}`,
        `op must be an ONNX operator Strata supports, got ${JSON.stringify(c?.op)}`,
      );
    this.op = c.op;
    this.opset = Number.isInteger(c.opset) ? c.opset : 17;
    this.attrs = { ...(c.attrs ?? {}) };
    this.attrTypes = { ...(c.attrTypes ?? {}) };
    if (!Array.isArray(c.inputs))
      throw new StrataError(this.where, 'needs `inputs` (one entry per node input)');
    this.inputSpecs = c.inputs.map((s) => (s ? { ...s } : null)) as InputSpec[];
    const edges = this.inputSpecs.filter((s) => s && 'edge' in s).length;
    if (edges < 1) throw new StrataError(this.where, 'needs at least one input from the network');
    this.minInputs = edges;
    this.maxInputs = edges;
    this.output = c.output ?? 0;
    this.outputs = c.outputs ?? this.output + 1;
    if (!Array.isArray(c.shapes) || c.shapes.length !== edges || !Array.isArray(c.outShape))
      throw new StrataError(this.where, 'needs `shapes` (one per input) and `outShape`');
    this.shapes = c.shapes.map((s) => [...s]);
    this.outShape = [...c.outShape];
    this.attrMap = new Map(
      Object.entries(this.attrs).map(([k, v]) => [k, isConstJson(v) ? decodeConst(v.tensor, k) : v]),
    );
    this.consts = this.inputSpecs.map((s, i) => (s && 'const' in s ? decodeConst(s.const, `in${i}`) : null));
  }

  override get where(): string {
    return `OnnxOp(${this.op ?? '?'})${this.name ? ` '${this.name}'` : ''}`;
  }

  computeOutputShape(inputShapes: number[][]): number[] {
    inputShapes.forEach((s, i) => {
      const want = this.shapes[i].slice(1);
      if (s.length !== want.length || s.some((d, j) => d !== want[j]))
        throw new StrataError(
          this.where,
          `was imported for input ${i} of shape [${want}] (without the leading axis), got [${s}]`,
        );
    });
    return this.outShape.slice(1);
  }

  protected override createParams(_s: number[][], gen: Generator, dtype: DType): void {
    for (const s of this.inputSpecs)
      if (s && 'param' in s) this.addParam(s.param, s.dims, 'zeros', gen, s.dtype ?? dtype);
  }

  /** The node's operands for these layer inputs. */
  operands(inputs: Tensor[]): Array<Operand | null> {
    return this.inputSpecs.map((s, i) => {
      if (!s) return null;
      if ('edge' in s) return inputs[s.edge];
      if ('param' in s) return this.p(s.param);
      return this.consts[i];
    });
  }

  forward(inputs: Tensor[], _ctx: CallContext): Tensor {
    const outs = evaluateOnnxOp(this.op, this.opset, this.attrMap, this.operands(inputs), this.outputs);
    const y = outs[this.output];
    if (!y) throw new StrataError(this.where, `gave no output ${this.output}`);
    return y;
  }

  getConfig() {
    const c: Record<string, unknown> = {
      op: this.op,
      opset: this.opset,
      attrs: this.attrs,
      attrTypes: this.attrTypes,
      inputs: this.inputSpecs,
      shapes: this.shapes,
      outShape: this.outShape,
    };
    if (this.output !== 0 || this.outputs !== 1) {
      c.output = this.output;
      c.outputs = this.outputs;
    }
    return c;
  }
}

registerLayer(OnnxOp);
