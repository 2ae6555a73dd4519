import { readFileSync } from 'node:fs';
import { gunzipSync, constants as zconst } from 'node:zlib';
import { StrataError } from '../core/errors.js';
import { type Dataset, validateDataset } from './dataset.js';

/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a magic number
 * 00 00 TT DD (TT the element type, DD the number of dimensions), DD big-endian 32-bit sizes, then the
 * elements big-endian. Files may be gzipped (recognized by their first bytes, not their name).
 */
export interface IdxArray {
  dims: number[];
  /** 0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. */
  type: number;
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const SIZES: Record<number, number> = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 };

/** zlib's bound on deflate: one input byte never yields more than 1032 output bytes. */
const DEFLATE_MAX_RATIO = 1032;

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Reads a file, gunzipping it when it is gzip data; errors name the file. */
export function readMaybeGzip(path: string, where: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError(
      where,
      code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(e as Error).message}`,
    );
  }
  if (isGzip(buf)) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw new StrataError(where, `${path} is a corrupt gzip file: ${(e as Error).message}`);
    }
  }
  return buf;
}

const tooLarge = (e: unknown) => (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';

/**
 * The first bytes of a gzip stream's output (at least `want`, at most 64 KiB): decompresses the
 * shortest prefix of the input that yields them, so a decompression bomb is never expanded here.
 */
function gunzipHead(buf: Uint8Array, want: number, name: string): Uint8Array {
  const CAP = 65536;
  let lo = 0;
  let hi = buf.length + 1;
  let k = Math.min(buf.length, 4096);
  for (let tries = 0; tries < 64; tries++) {
    let out: Uint8Array | null = null;
    try {
      out = gunzipSync(buf.subarray(0, k), { finishFlush: zconst.Z_SYNC_FLUSH, maxOutputLength: CAP });
    } catch (e) {
      if (tooLarge(e)) {
        hi = k;
        k = Math.floor((lo + hi) / 2);
        if (k <= lo) break;
        continue;
      }
      if (k >= buf.length)
        throw new StrataError('idx', `${name} is a corrupt gzip file: ${(e as Error).message}`);
    }
    if ((out && out.length >= want) || k >= buf.length) return out ?? new Uint8Array(0);
    lo = k;
    k = Math.min(buf.length, hi - 1, k * 2);
    if (k <= lo) break;
  }
  throw new StrataError('idx', `${name}: cannot find the IDX header in the gzip data`);
}

/**
 * IDX bytes, raw or gzipped, parsed. Gzip data is expanded only up to the size its IDX header
 * declares, and a header declaring more than the compressed bytes can expand to is refused before
 * anything is decompressed.
 */
export function decodeIdxBytes(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (!isGzip(bytes)) return parseIdx(bytes, name);
  const head = gunzipHead(bytes, 4 + 4 * 255, name);
  const { need } = idxHeader(head, name, true);
  if (need > DEFLATE_MAX_RATIO * bytes.length || need > MAX_IDX_BYTES)
    throw new StrataError(
      'idx',
      `${name}: the IDX header declares ${need} bytes, more than ${bytes.length} bytes of gzip data can hold`,
    );
  let raw: Uint8Array;
  try {
    raw = gunzipSync(bytes, { maxOutputLength: need });
  } catch (e) {
    if (tooLarge(e))
      throw new StrataError(
        'idx',
        `${name}: the gzip data expands past the ${need} bytes its IDX header declares (trailing data)`,
      );
    throw new StrataError('idx', `${name} is a corrupt gzip file: ${(e as Error).message}`);
  }
  return parseIdx(raw, name);
}

/** The largest IDX data Strata reads (the largest buffer Node can make). */
const MAX_IDX_BYTES = 2 ** 32 - 1;

/**
 * The magic number and dimensions of IDX bytes, and the file size they declare. With `partial`, the
 * bytes may be only the beginning of the file (the data is not checked).
 */
function idxHeader(
  bytes: Uint8Array,
  name: string,
  partial = false,
): { type: number; dims: number[]; es: number; head: number; count: number; need: number } {
  const where = 'idx';
  if (bytes.length < 4)
    throw new StrataError(where, `${name} is too short (${bytes.length} bytes) to be an IDX file`);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new StrataError(
      where,
      `${name} is not an IDX file: its magic number starts with ${bytes[0]}, ${bytes[1]} instead of 0, 0`,
    );
  const type = bytes[2];
  const nd = bytes[3];
  const es = SIZES[type];
  if (!es)
    throw new StrataError(where, `${name}: unknown element type 0x${type.toString(16)} in the magic number`);
  if (nd < 1) throw new StrataError(where, `${name}: the magic number declares 0 dimensions`);
  const head = 4 + 4 * nd;
  if (bytes.length < head)
    throw new StrataError(
      where,
      `${name} is truncated: ${bytes.length} bytes, the header alone needs ${head}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = head + count * es;
  if (!partial && bytes.length !== need)
    throw new StrataError(
      where,
      `${name}: dimensions [${dims}] of ${es}-byte elements need ${need} bytes, the file has ${bytes.length}${bytes.length < need ? ' (truncated)' : ' (trailing data)'}`,
    );
  return { type, dims, es, head, count, need };
}

/** Parses IDX bytes, checking the magic number, the dimensions and that the size matches exactly. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  const { type, dims, es, head, count, need } = idxHeader(bytes, name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let data: IdxArray['data'];
  if (type === 0x08) data = bytes.slice(head, need);
  else if (type === 0x09) data = new Int8Array(bytes.slice(head, need).buffer);
  else {
    const make = { 11: Int16Array, 12: Int32Array, 13: Float32Array, 14: Float64Array }[type]!;
    const out = new make(count);
    for (let i = 0; i < count; i++) {
      const o = head + i * es;
      out[i] =
        type === 0x0b
          ? view.getInt16(o, false)
          : type === 0x0c
            ? view.getInt32(o, false)
            : type === 0x0d
              ? view.getFloat32(o, false)
              : view.getFloat64(o, false);
    }
    data = out;
  }
  return { dims, type, data };
}

export function readIdx(path: string): IdxArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError(
      'idx',
      code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(e as Error).message}`,
    );
  }
  return decodeIdxBytes(bytes, path);
}

/**
 * MNIST-style IDX image and label files (raw or .gz) as a data set: images [N,H,W] of bytes become
 * float32 [N,1,H,W] in [0, 1]; labels [N] must lie in 0..classes−1 (default 10 classes, named '0'…'9',
 * or give `classNames`, as for Fashion-MNIST).
 */
export function loadIdx(
  imagesPath: string,
  labelsPath: string,
  opts: { classNames?: string[] } = {},
): Dataset {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.type !== 0x08 || images.dims.length !== 3)
    throw new StrataError(
      'idx',
      `${imagesPath}: expected unsigned bytes of shape [N,H,W] (magic 0x00000803), got type 0x${images.type.toString(16)} with dimensions [${images.dims}]`,
    );
  if (labels.dims.length !== 1)
    throw new StrataError(
      'idx',
      `${labelsPath}: expected labels of shape [N] (magic 0x00000801), got dimensions [${labels.dims}]`,
    );
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n)
    throw new StrataError(
      'idx',
      `${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.dims[0]} labels`,
    );
  const classNames = opts.classNames ?? ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels.data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < classNames.length))
      throw new StrataError(
        'idx',
        `${labelsPath}: label ${v} at index ${i} is out of range 0..${classNames.length - 1}`,
      );
    y[i] = v;
  }
  const x = new Float32Array(n * h * w);
  const src = images.data as Uint8Array;
  for (let i = 0; i < x.length; i++) x[i] = src[i] / 255;
  return validateDataset({ x, shape: [1, h, w], y, classNames }, 'idx');
}
