/**
 * A reader for the ONNX node tests: single-node ModelProto files and their TensorProto inputs and
 * outputs, decoded with onnx-buf (the ONNX schema compiled for @bufbuild/protobuf).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType as AT,
  ModelProtoSchema,
  type TensorProto,
  TensorProto_DataType as DT,
  TensorProtoSchema,
  type ValueInfoProto,
} from 'onnx-buf';

export { DT };

export type HostData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A decoded TensorProto. Element types without a JS typed array (float16, strings…) have `data` null. */
export interface OnnxTensor {
  name: string;
  /** TensorProto.DataType. */
  dtype: number;
  dims: number[];
  data: HostData | null;
}

export type AttrValue = number | string | number[] | string[] | OnnxTensor | undefined;

export interface OnnxNode {
  opType: string;
  domain: string;
  /** Node input names in order ('' for an omitted optional input). */
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
}

export interface OnnxModel {
  /** The opset version of the node's domain. */
  opset: number;
  nodes: OnnxNode[];
  /** Graph inputs (not initializers), in the order of the input_<i>.pb files. */
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  initializers: Map<string, OnnxTensor>;
}

export interface ValueSummary {
  name: string;
  /** 'tensor', 'sequence', 'optional', 'map', 'sparse' or 'unknown'. */
  kind: string;
  /** Element type for tensors (TensorProto.DataType), 0 otherwise. */
  elemType: number;
}

export const dtypeName = (d: number): string => DT[d] ?? `type ${d}`;

/**
 * Little-endian raw bytes → typed array. The bytes are copied into a fresh buffer first: raw_data may
 * be unaligned, and under Node it may be a view into a larger pooled Buffer (whose `slice` is a view).
 */
function fromRaw(dtype: number, raw: Uint8Array): HostData | null {
  const buf = Uint8Array.prototype.slice.call(raw).buffer;
  switch (dtype) {
    case DT.FLOAT:
      return new Float32Array(buf);
    case DT.DOUBLE:
      return new Float64Array(buf);
    case DT.INT8:
      return new Int8Array(buf);
    case DT.UINT8:
    case DT.BOOL:
      return new Uint8Array(buf);
    case DT.INT16:
      return new Int16Array(buf);
    case DT.UINT16:
      return new Uint16Array(buf);
    case DT.INT32:
      return new Int32Array(buf);
    case DT.UINT32:
      return new Uint32Array(buf);
    case DT.INT64:
      return new BigInt64Array(buf);
    case DT.UINT64:
      return new BigUint64Array(buf);
    default:
      return null;
  }
}

/** From the typed fields (float_data, int32_data, int64_data, …). */
function fromFields(t: TensorProto): HostData | null {
  switch (t.dataType) {
    case DT.FLOAT:
      return Float32Array.from(t.floatData);
    case DT.DOUBLE:
      return Float64Array.from(t.doubleData);
    case DT.INT8:
      return Int8Array.from(t.int32Data);
    case DT.UINT8:
    case DT.BOOL:
      return Uint8Array.from(t.int32Data);
    case DT.INT16:
      return Int16Array.from(t.int32Data);
    case DT.UINT16:
      return Uint16Array.from(t.int32Data);
    case DT.INT32:
      return Int32Array.from(t.int32Data);
    case DT.UINT32:
      return Uint32Array.from(t.uint64Data.map(Number));
    case DT.INT64:
      return BigInt64Array.from(t.int64Data);
    case DT.UINT64:
      return BigUint64Array.from(t.uint64Data);
    default:
      return null;
  }
}

export function decodeTensor(t: TensorProto): OnnxTensor {
  const dims = t.dims.map(Number);
  const data = t.rawData.length > 0 ? fromRaw(t.dataType, t.rawData) : fromFields(t);
  const n = dims.reduce((a, b) => a * b, 1);
  if (data && data.length !== n)
    throw new Error(`tensor '${t.name}' has ${data.length} values for dims [${dims}]`);
  return { name: t.name, dtype: t.dataType, dims, data };
}

/** Reads a serialized TensorProto (input_<i>.pb / output_<i>.pb). */
export function readTensor(path: string): OnnxTensor {
  return decodeTensor(fromBinary(TensorProtoSchema, readFileSync(path)));
}

function attrValue(a: AttributeProto): AttrValue {
  switch (a.type) {
    case AT.FLOAT:
      return a.f;
    case AT.INT:
      return Number(a.i);
    case AT.STRING:
      return new TextDecoder().decode(a.s);
    case AT.TENSOR:
      return a.t ? decodeTensor(a.t) : undefined;
    case AT.FLOATS:
      return [...a.floats];
    case AT.INTS:
      return a.ints.map(Number);
    case AT.STRINGS:
      return a.strings.map((s) => new TextDecoder().decode(s));
    default:
      return undefined;
  }
}

function summarize(v: ValueInfoProto): ValueSummary {
  const tv = v.type?.value;
  const kind =
    tv?.case === 'tensorType'
      ? 'tensor'
      : tv?.case === 'sequenceType'
        ? 'sequence'
        : tv?.case === 'optionalType'
          ? 'optional'
          : tv?.case === 'mapType'
            ? 'map'
            : tv?.case === 'sparseTensorType'
              ? 'sparse'
              : 'unknown';
  const elemType = tv?.case === 'tensorType' ? tv.value.elemType : 0;
  return { name: v.name, kind, elemType };
}

/** Reads a model.onnx. */
export function readModel(path: string): OnnxModel {
  const m = fromBinary(ModelProtoSchema, readFileSync(path));
  const g = m.graph;
  if (!g) throw new Error(`${path} has no graph`);
  const initializers = new Map(g.initializer.map((t) => [t.name, decodeTensor(t)]));
  const nodes = g.node.map((n) => ({
    opType: n.opType,
    domain: n.domain,
    inputs: [...n.input],
    outputs: [...n.output],
    attrs: new Map(n.attribute.map((a) => [a.name, attrValue(a)])),
  }));
  const domain = nodes[0]?.domain ?? '';
  const norm = (d: string) => (d === 'ai.onnx' ? '' : d);
  const opset = Number(m.opsetImport.find((o) => norm(o.domain) === norm(domain))?.version ?? 0n);
  return {
    opset,
    nodes,
    inputs: g.input.filter((v) => !initializers.has(v.name)).map(summarize),
    outputs: g.output.map(summarize),
    initializers,
  };
}

export interface OnnxCase {
  /** Folder name without the `test_` prefix. */
  name: string;
  dir: string;
  model: OnnxModel;
  /** Data sets: inputs and expected outputs, in graph order. */
  dataSets: Array<{ inputs: string[]; outputs: string[] }>;
}

/** Lists the test cases under a node-test folder (test_<name>/model.onnx + test_data_set_<k>/). */
export function listCases(root: string): Array<{ name: string; dir: string }> {
  return readdirSync(root)
    .filter((d) => d.startsWith('test_') && existsSync(join(root, d, 'model.onnx')))
    .sort()
    .map((d) => ({ name: d.slice(5), dir: join(root, d) }));
}

export function loadCase(name: string, dir: string): OnnxCase {
  const model = readModel(join(dir, 'model.onnx'));
  const sets = readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort();
  const dataSets = sets.map((s) => {
    const files = readdirSync(join(dir, s));
    const pick = (prefix: string) =>
      files
        .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
        .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
        .map((f) => join(dir, s, f));
    return { inputs: pick('input_'), outputs: pick('output_') };
  });
  return { name, dir, model, dataSets };
}
