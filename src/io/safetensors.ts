import { arrayFor, type DType, type TypedArray } from '../core/dtype.js';
import { StrataError } from '../core/errors.js';
import { brief, parseJson } from './json.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors): 8 bytes of little-endian header
 * length N, N bytes of JSON header `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, …,
 * "__metadata__": {string: string}}`, then the tensor bytes (little-endian, row-major). The reader
 * validates as the reference implementation does — header at most 100,000,000 bytes, valid UTF-8 JSON
 * starting with '{', known dtypes, offsets contiguous from 0 with no gap or overlap, each tensor's byte
 * size equal to its shape's, the buffer ending exactly at the last tensor — and also rejects duplicate
 * names. Nothing in a file is ever evaluated.
 */
export type SafeDType = 'F32' | 'F64' | 'I32';

export interface RawTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export const MAX_HEADER_BYTES = 100_000_000;

const TO_SAFE: Record<DType, SafeDType> = { float32: 'F32', float64: 'F64', int32: 'I32' };
const FROM_SAFE: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32' };
const BYTES: Record<SafeDType, number> = { F32: 4, F64: 8, I32: 4 };
/** Types of the format this reader knows but Strata cannot hold. */
const OTHER = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'U32', 'I64', 'U64'];

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error('strata: safetensors I/O assumes a little-endian host');

/** Encodes tensors (and string metadata) as a safetensors file. */
export function encodeSafetensors(
  tensors: Record<string, RawTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new StrataError('safetensors', `metadata '${k}' must be a string`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__')
      throw new StrataError('safetensors', "a tensor cannot be named '__metadata__'");
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new StrataError(
        'safetensors',
        `tensor '${name}': shape [${t.shape}] needs ${count} values, got ${t.data.length}`,
      );
    const dtype = TO_SAFE[t.dtype];
    const end = offset + count * BYTES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const raw = new TextEncoder().encode(json);
  json += ' '.repeat((8 - ((8 + raw.length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let pos = 8 + head.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/** Top-level keys of a JSON object text, in order, with repeats (JSON.parse silently keeps the last). */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < json.length) {
    const ch = json[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, j + 1)));
      expectKey = false;
      i = j + 1;
      continue;
    }
    if (ch === '{' || ch === '[') {
      depth++;
      expectKey = ch === '{' && depth === 1;
    } else if (ch === '}' || ch === ']') depth--;
    else if (ch === ',' && depth === 1) expectKey = true;
    i++;
  }
  return keys;
}

function fail(where: string, msg: string): never {
  throw new StrataError(where, msg);
}

/**
 * Parses and validates safetensors bytes. `name` (a file name) appears in every error. Returns the
 * tensors (copied out, so they are aligned) and the metadata.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  name = 'safetensors data',
): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  const where = 'safetensors';
  if (bytes.length < 8) fail(where, `${name} is too small (${bytes.length} bytes) to hold a header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    fail(where, `${name}: header length ${n64} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(n64);
  if (8 + n > bytes.length)
    fail(where, `${name} is truncated: the header needs ${n} bytes, only ${bytes.length - 8} follow`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail(where, `${name}: the header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) fail(where, `${name}: the header does not start with '{'`);
  const header = parseJson(text, where, `${name}: the header`);
  if (!header || typeof header !== 'object' || Array.isArray(header))
    fail(where, `${name}: the header must be a JSON object`);
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) fail(where, `${name}: the name '${k}' appears twice in the header`);
    seen.add(k);
  }
  const h = header as Record<string, unknown>;
  const metadata: Record<string, string> = {};
  if ('__metadata__' in h) {
    const m = h.__metadata__;
    if (!m || typeof m !== 'object' || Array.isArray(m))
      fail(where, `${name}: __metadata__ must be an object`);
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(where, `${name}: __metadata__ value '${k}' must be a string`);
      metadata[k] = v;
    }
  }
  const dataLen = bytes.length - 8 - n;
  const infos: Array<{ key: string; dtype: SafeDType; shape: number[]; begin: number; end: number }> = [];
  for (const [key, info] of Object.entries(h)) {
    if (key === '__metadata__') continue;
    const at = `${name}: tensor '${key}'`;
    if (!info || typeof info !== 'object' || Array.isArray(info))
      fail(where, `${at} must be described by an object`);
    const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(where, `${at} has no dtype`);
    if (!(dtype in BYTES))
      fail(
        where,
        OTHER.includes(dtype)
          ? `${at} has dtype ${dtype}, which Strata does not support (F32, F64, I32)`
          : `${at} has unknown dtype '${dtype}'`,
      );
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(where, `${at}: shape must be a list of non-negative integers, got ${brief(shape)}`);
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      off[0] > off[1]
    )
      fail(where, `${at}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${brief(off)}`);
    infos.push({ key, dtype: dtype as SafeDType, shape: shape as number[], begin: off[0], end: off[1] });
  }
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const t of infos) {
    const at = `${name}: tensor '${t.key}'`;
    if (t.begin !== expected)
      fail(
        where,
        `${at} starts at byte ${t.begin}, expected ${expected} (${t.begin < expected ? 'it overlaps the previous tensor' : 'a gap precedes it'})`,
      );
    let count = 1;
    for (const d of t.shape) {
      count *= d;
      if (!Number.isSafeInteger(count)) fail(where, `${at}: shape [${t.shape}] is too large`);
    }
    if (count * BYTES[t.dtype] !== t.end - t.begin)
      fail(
        where,
        `${at}: shape [${t.shape}] of ${t.dtype} needs ${count * BYTES[t.dtype]} bytes, its offsets span ${t.end - t.begin}`,
      );
    expected = t.end;
  }
  if (expected !== dataLen)
    fail(
      where,
      `${name}: the tensors end at byte ${expected} of the data but ${dataLen} bytes follow the header${dataLen < expected ? ' (the file is truncated)' : ''}`,
    );
  const tensors = new Map<string, RawTensor>();
  const base = 8 + n;
  for (const t of infos) {
    const dtype = FROM_SAFE[t.dtype];
    const data = arrayFor(dtype, (t.end - t.begin) / BYTES[t.dtype]);
    new Uint8Array(data.buffer).set(bytes.subarray(base + t.begin, base + t.end));
    tensors.set(t.key, { dtype, shape: [...t.shape], data });
  }
  return { tensors, metadata };
}
