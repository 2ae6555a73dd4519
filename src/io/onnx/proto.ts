/**
 * Reading ONNX protobuf files (ModelProto, TensorProto) with onnx-buf, checked before anything is
 * allocated: every dimension is a non-negative integer, the element count is bounded, the bytes of
 * raw_data / the typed fields / external data match the declared dims exactly, and external data is
 * confined to the model's folder (no absolute path, no `..`, no symbolic link that leaves the folder —
 * checked on the real path). Nothing in a file is ever executed: nodes are only looked up in Strata's
 * op table by name.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType as AT,
  type ModelProto,
  ModelProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType as DT,
  TensorProtoSchema,
  type ValueInfoProto,
} from 'onnx-buf';
import { StrataError } from '../../core/errors.js';

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
export type AttrKind = 'f' | 'i' | 's' | 't' | 'fs' | 'is' | 'ss';

const KIND: Partial<Record<number, AttrKind>> = {
  [AT.FLOAT]: 'f',
  [AT.INT]: 'i',
  [AT.STRING]: 's',
  [AT.TENSOR]: 't',
  [AT.FLOATS]: 'fs',
  [AT.INTS]: 'is',
  [AT.STRINGS]: 'ss',
};

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  /** Node input names in order ('' for an omitted optional input). */
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
  /** The kind of each attribute (what a writer needs to tell 1.0 from 1): 'f', 'i', 's', 't', 'fs', 'is', 'ss'. */
  attrTypes: Map<string, AttrKind>;
  /** Attributes whose kind Strata cannot read (subgraphs, sparse tensors, type protos). */
  unreadAttrs: string[];
}

/** A dimension: a number, or the name of a symbolic (dynamic) dimension, or null when unknown. */
export type Dim = number | string | null;

export interface ValueSummary {
  name: string;
  /** 'tensor', 'sequence', 'optional', 'map', 'sparse' or 'unknown'. */
  kind: string;
  /** Element type for tensors (TensorProto.DataType), 0 otherwise. */
  elemType: number;
  /** The declared shape of a tensor, or null when the file declares none. */
  shape: Dim[] | null;
}

export interface OnnxModel {
  /** The opset version of the default ('' / 'ai.onnx') domain. */
  opset: number;
  /** The opset version of the first node's domain (what a single-node test case exercises). */
  nodeOpset: number;
  /** Every imported opset by domain. */
  opsets: Map<string, number>;
  irVersion: number;
  producer: string;
  graphName: string;
  nodes: OnnxNode[];
  /** Graph inputs (not initializers), in order. */
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  initializers: Map<string, OnnxTensor>;
}

/** Where a tensor's external data may come from: the model's folder, or nowhere (bytes in memory). */
export interface TensorSource {
  /** The folder holding the model file; null refuses external data. */
  baseDir: string | null;
  /** Size in bytes of the file the tensor was read from (a bound on what it can declare). */
  fileBytes: number;
  /** Names the file in messages. */
  file: string;
}

/** At most this many elements in one tensor (2^31 − 1: typed arrays and the wasm heap). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export const dtypeName = (d: number): string => DT[d] ?? `type ${d}`;

/** Bytes per element of the types that have a JS typed array; 0 for the others. */
export function elementBytes(dtype: number): number {
  switch (dtype) {
    case DT.FLOAT:
    case DT.INT32:
    case DT.UINT32:
      return 4;
    case DT.DOUBLE:
    case DT.INT64:
    case DT.UINT64:
      return 8;
    case DT.INT8:
    case DT.UINT8:
    case DT.BOOL:
      return 1;
    case DT.INT16:
    case DT.UINT16:
    case DT.FLOAT16:
    case DT.BFLOAT16:
      return 2;
    default:
      return 0;
  }
}

function fail(src: TensorSource, msg: string): never {
  throw new StrataError('onnx', `${src.file}: ${msg}`);
}

/** A fresh typed array over a copy of `raw` (raw_data may be unaligned or a view into a pooled Buffer). */
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

/** The typed field a data type is stored in, and its length. */
function fieldOf(t: TensorProto): { field: string; length: number } {
  switch (t.dataType) {
    case DT.FLOAT:
      return { field: 'float_data', length: t.floatData.length };
    case DT.DOUBLE:
      return { field: 'double_data', length: t.doubleData.length };
    case DT.INT64:
      return { field: 'int64_data', length: t.int64Data.length };
    case DT.UINT32:
    case DT.UINT64:
      return { field: 'uint64_data', length: t.uint64Data.length };
    case DT.STRING:
      return { field: 'string_data', length: t.stringData.length };
    default:
      return { field: 'int32_data', length: t.int32Data.length };
  }
}

/** From the typed fields (float_data, int32_data, int64_data, …); lengths were checked. */
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

/** Checks dims and returns the element count (before anything is allocated). */
export function checkedCount(dimsIn: readonly bigint[], what: string, src: TensorSource): number {
  let n = 1;
  for (const d of dimsIn) {
    if (d < 0n) fail(src, `${what} has a negative dimension (${d}) in [${dimsIn.join(',')}]`);
    if (d > BigInt(MAX_ELEMENTS))
      fail(src, `${what} has a dimension of ${d}, more than ${MAX_ELEMENTS} elements`);
    n *= Number(d);
    if (n > MAX_ELEMENTS)
      fail(src, `${what} declares dims [${dimsIn.join(',')}]: more than ${MAX_ELEMENTS} elements`);
  }
  return n;
}

/** The real path of an external-data file inside the model's folder, or an error saying why not. */
export function confinedPath(location: string, src: TensorSource, what: string): string {
  if (src.baseDir === null)
    fail(
      src,
      `${what} keeps its data in an external file ('${location}'); external data is refused when a model is read from bytes (load it from a file path)`,
    );
  if (location === '' || location.includes('\0'))
    fail(src, `${what}: external data location ${JSON.stringify(location)} is not a file name`);
  if (isAbsolute(location) || /^[A-Za-z]:/.test(location) || location.startsWith('\\'))
    fail(
      src,
      `${what}: external data location '${location}' is an absolute path; only paths inside the model's folder are allowed`,
    );
  if (location.split(/[\\/]/).some((p) => p === '..'))
    fail(
      src,
      `${what}: external data location '${location}' contains '..'; only paths inside the model's folder are allowed`,
    );
  let base: string;
  let real: string;
  try {
    base = realpathSync(src.baseDir);
  } catch {
    fail(src, `the model's folder ${src.baseDir} cannot be resolved`);
  }
  try {
    real = realpathSync(join(base, location));
  } catch {
    fail(src, `${what}: external data file '${location}' does not exist next to the model`);
  }
  if (!real.startsWith(base + sep))
    fail(
      src,
      `${what}: external data file '${location}' resolves to ${real}, outside the model's folder (a symbolic link?)`,
    );
  return real;
}

function readExternal(t: TensorProto, n: number, what: string, src: TensorSource): HostData | null {
  const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
  const location = kv.get('location');
  if (location === undefined) fail(src, `${what} has external data without a location`);
  const path = confinedPath(location, src, what);
  const int = (k: string): number | undefined => {
    const v = kv.get(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
      fail(src, `${what}: external data ${k} must be a non-negative integer, got '${v}'`);
    return Number(v);
  };
  const offset = int('offset') ?? 0;
  const eb = elementBytes(t.dataType);
  if (eb === 0)
    fail(
      src,
      `${what} has element type ${dtypeName(t.dataType)}, which Strata cannot read from external data`,
    );
  const need = n * eb;
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(src, `${what}: external data '${location}' is not a regular file`);
    const length = int('length') ?? st.size - offset;
    if (offset > st.size || length > st.size - offset)
      fail(
        src,
        `${what}: external data asks for ${length} bytes at offset ${offset} of '${location}', which has ${st.size}`,
      );
    if (length !== need)
      fail(
        src,
        `${what}: dims need ${need} bytes of ${dtypeName(t.dataType)}, external data gives ${length}`,
      );
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const r = readSync(fd, buf, got, length - got, offset + got);
      if (r === 0) fail(src, `${what}: external data '${location}' ended early`);
      got += r;
    }
    return fromRaw(t.dataType, buf);
  } finally {
    closeSync(fd);
  }
}

/** Decodes a TensorProto, checking dims and data lengths before allocating anything. */
export function decodeTensor(t: TensorProto, src: TensorSource): OnnxTensor {
  const what = `tensor '${t.name}'`;
  const n = checkedCount(t.dims, what, src);
  const dims = t.dims.map(Number);
  if (t.segment) fail(src, `${what} is a segment of a larger tensor, which Strata does not read`);
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL)
    return { name: t.name, dtype: t.dataType, dims, data: readExternal(t, n, what, src) };
  if (t.dataLocation !== TensorProto_DataLocation.DEFAULT)
    fail(src, `${what} has an unknown data_location ${t.dataLocation}`);
  const eb = elementBytes(t.dataType);
  if (t.rawData.length > 0) {
    if (eb === 0) return { name: t.name, dtype: t.dataType, dims, data: null };
    if (t.rawData.length !== n * eb)
      fail(
        src,
        `${what}: dims [${dims}] of ${dtypeName(t.dataType)} need ${n * eb} bytes, raw_data has ${t.rawData.length}`,
      );
    return { name: t.name, dtype: t.dataType, dims, data: fromRaw(t.dataType, t.rawData) };
  }
  const { field, length } = fieldOf(t);
  if (length !== n && !(t.dataType === DT.STRING && length === 0))
    fail(src, `${what}: dims [${dims}] need ${n} values, ${field} has ${length}`);
  return { name: t.name, dtype: t.dataType, dims, data: fromFields(t) };
}

function parse<T>(
  schema: Parameters<typeof fromBinary>[0],
  bytes: Uint8Array,
  what: string,
  file: string,
): T {
  try {
    return fromBinary(schema, bytes) as T;
  } catch (e) {
    throw new StrataError('onnx', `${file} is not a valid ONNX ${what}: ${(e as Error).message}`);
  }
}

/** Reads a serialized TensorProto file (input_<i>.pb / output_<i>.pb of the ONNX tests). */
export function readTensor(path: string): OnnxTensor {
  const bytes = readFileSync(path);
  const src: TensorSource = { baseDir: dirname(path), fileBytes: bytes.length, file: path };
  return decodeTensor(parse<TensorProto>(TensorProtoSchema, bytes, 'TensorProto', path), src);
}

function attrValue(a: AttributeProto, src: TensorSource): AttrValue {
  switch (a.type) {
    case AT.FLOAT:
      return a.f;
    case AT.INT:
      return Number(a.i);
    case AT.STRING:
      return new TextDecoder().decode(a.s);
    case AT.TENSOR:
      return a.t ? decodeTensor(a.t, src) : undefined;
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
  const shape =
    tv?.case === 'tensorType' && tv.value.shape
      ? tv.value.shape.dim.map(
          (d): Dim =>
            d.value.case === 'dimValue'
              ? Number(d.value.value)
              : d.value.case === 'dimParam' && d.value.value
                ? d.value.value
                : null,
        )
      : null;
  return { name: v.name, kind, elemType, shape };
}

const normDomain = (d: string) => (d === 'ai.onnx' ? '' : d);

/** Decodes ModelProto bytes. `baseDir` is the model's folder (null: external data is refused). */
export function decodeModel(
  bytes: Uint8Array,
  file = 'ONNX model',
  baseDir: string | null = null,
): OnnxModel {
  const m = parse<ModelProto>(ModelProtoSchema, bytes, 'ModelProto', file);
  const g = m.graph;
  if (!g) throw new StrataError('onnx', `${file} has no graph`);
  const src: TensorSource = { baseDir, fileBytes: bytes.length, file };
  if (g.sparseInitializer.length)
    fail(
      src,
      `sparse initializers (${g.sparseInitializer.map((s) => s.values?.name).join(', ')}) are not supported`,
    );
  const initializers = new Map<string, OnnxTensor>();
  for (const t of g.initializer) {
    if (initializers.has(t.name)) fail(src, `two initializers are named '${t.name}'`);
    initializers.set(t.name, decodeTensor(t, src));
  }
  const nodes = g.node.map((n) => {
    const attrs = new Map<string, AttrValue>();
    const attrTypes = new Map<string, AttrKind>();
    const unreadAttrs: string[] = [];
    for (const a of n.attribute) {
      if (a.refAttrName) unreadAttrs.push(a.name);
      const v = attrValue(a, src);
      const kind = KIND[a.type];
      if (!kind || (v === undefined && a.type !== AT.TENSOR)) unreadAttrs.push(a.name);
      else attrTypes.set(a.name, kind);
      attrs.set(a.name, v);
    }
    return {
      name: n.name,
      opType: n.opType,
      domain: normDomain(n.domain),
      inputs: [...n.input],
      outputs: [...n.output],
      attrs,
      attrTypes,
      unreadAttrs,
    };
  });
  const opsets = new Map<string, number>();
  for (const o of m.opsetImport) opsets.set(normDomain(o.domain), Number(o.version));
  return {
    opset: opsets.get('') ?? 0,
    nodeOpset: opsets.get(nodes[0]?.domain ?? '') ?? 0,
    opsets,
    irVersion: Number(m.irVersion),
    producer: m.producerName,
    graphName: g.name,
    nodes,
    inputs: g.input.filter((v) => !initializers.has(v.name)).map(summarize),
    outputs: g.output.map(summarize),
    initializers,
  };
}

/** Reads a model.onnx; external data may only come from files in its folder. */
export function readModel(path: string): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError(
      'onnx',
      code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(e as Error).message}`,
    );
  }
  return decodeModel(bytes, path, dirname(path));
}
