import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import '../../src/backends/reference/index.js';
import '../../src/backends/wasm/index.js';
import '../../src/ops/methods.js';
import { decodeIdxBytes } from '../../src/data/idx.js';
import { decodeImage } from '../../src/data/images.js';
import { once } from '../../src/core/once.js';
import { loadMnistPackage } from '../../src/data/mnist.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.js';
import { loadModel, saveModel, stateTensors } from '../../src/io/model.js';
import { exportOnnx } from '../../src/io/onnx/export.js';
import { importOnnx } from '../../src/io/onnx/import.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Add, Concatenation } from '../../src/layers/combine.js';
import { Conv2D } from '../../src/layers/conv.js';
import { Dense, Flatten, ImageInput } from '../../src/layers/core.js';
import { ReLU } from '../../src/layers/activation.js';
import { ClassificationOutput } from '../../src/layers/output.js';
import { Graph } from '../../src/models/graph.js';
import { Sequential } from '../../src/models/sequential.js';
import { Adam } from '../../src/optim/adam.js';
import { digitsCnn } from '../../src/train/zoo.js';
import type { Field, Format, JsonView, Plan } from './mutate.js';

/** One loader under fuzzing: its valid seed files, their structure, and the call that loads bytes. */
export interface Target extends Format {
  name: string;
  /** Valid files the mutations start from (made once, deterministically). */
  seeds(): Uint8Array[];
  /** Loads the bytes made by `plan` (its seed index, its free `variant`). Throws StrataError on bad input. */
  load(bytes: Uint8Array, plan: Plan): unknown;
  /** Called once after the run. */
  teardown?(): void;
}

const digits = once(() => loadMnistPackage());

/** Real digits (grey levels 0–255) for the image and IDX seeds. */
function digitBytes(count: number): Uint8Array {
  const d = digits();
  const out = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++)
    for (let p = 0; p < 784; p++) out[i * 784 + p] = Math.round(d.x[i * 997 * 784 + p] * 255);
  return out;
}

// ---------------------------------------------------------------- safetensors

function u64le(b: Uint8Array, at: number): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true));
}

/** The header JSON of a safetensors file as a view (rebuilding fixes the length field). */
function safetensorsHeaderView(b: Uint8Array): JsonView[] {
  if (b.length < 8) return [];
  const n = u64le(b, 0);
  if (n > b.length - 8) return [];
  const text = new TextDecoder().decode(b.subarray(8, 8 + n));
  const rest = b.subarray(8 + n);
  return [
    {
      text,
      rebuild(t: string) {
        const h = new TextEncoder().encode(t);
        const out = new Uint8Array(8 + h.length + rest.length);
        new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
        out.set(h, 8);
        out.set(rest, 8 + h.length);
        return out;
      },
    },
  ];
}

const safetensorsFormat: Format = {
  fields: () => [
    { offset: 0, size: 8, littleEndian: true },
    { offset: 4, size: 4, littleEndian: true },
  ],
  jsonViews: safetensorsHeaderView,
};

const smallModel = once(() => {
  const m = new Sequential(
    [
      new ImageInput({ name: 'input', shape: [1, 6, 6], normalization: 'zscore' }),
      new Conv2D({ name: 'conv', filters: 2, kernelSize: 3 }),
      new ReLU({ name: 'relu' }),
      new Flatten({ name: 'flat' }),
      new Dense({ name: 'fc', units: 3 }),
      new ClassificationOutput({ name: 'out' }),
    ],
    { name: 'small' },
  );
  return m.build({ seed: 1 });
});

export const safetensorsTarget: Target = {
  name: 'safetensors',
  ...safetensorsFormat,
  seeds: once(() => [
    encodeSafetensors(
      {
        a: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        b: { dtype: 'int32', shape: [4], data: Int32Array.from([-1, 0, 1, 2 ** 31 - 1]) },
        c: { dtype: 'float64', shape: [1], data: Float64Array.from([Math.PI]) },
      },
      { format: 'strata-model', note: 'seed' },
    ),
    encodeSafetensors({ e: { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) } }),
    encodeSafetensors(stateTensors(smallModel())),
    encodeSafetensors(stateTensors(digitsCnn().build({ seed: 0 })), { format: 'strata-model' }),
  ]),
  load: (bytes) => decodeSafetensors(bytes, 'fuzz.safetensors'),
};

// ---------------------------------------------------------------- model.json (+ weights)

function graphModel() {
  return new Graph({
    name: 'g',
    inputs: { x: [4] },
    nodes: [
      { layer: new Dense({ name: 'a', units: 3 }), inputs: ['x'] },
      { layer: new Dense({ name: 'b', units: 3 }), inputs: ['x'] },
      { layer: new Add({ name: 'sum' }), inputs: ['a', 'b'] },
      { layer: new Concatenation({ name: 'cat', axis: 0 }), inputs: ['sum', 'a'] },
      { layer: new Dense({ name: 'o', units: 2 }), inputs: ['cat'] },
    ],
  }).build({ seed: 2 });
}

/**
 * Each seed is a model.json whose weights file lies in a folder of its own; a mutated model.json is
 * written next to those (unchanged) weights and loaded with loadModel.
 */
function modelJsonTarget(): Target {
  let root: string | null = null;
  const models = once(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-fuzz-model-'));
    const made = [
      { model: smallModel(), info: { classNames: ['a', 'b', 'c'], metadata: { note: 'seed' } } },
      { model: graphModel(), info: {} },
      { model: digitsCnn().build({ seed: 0 }), info: { classNames: [...'0123456789'] } },
    ];
    return made.map((m, i) => {
      const dir = join(root!, `seed${i}`);
      const { config } = saveModel(m.model, dir, m.info);
      return { dir, json: new Uint8Array(readFileSync(config)) };
    });
  });
  return {
    name: 'model-json',
    jsonViews: (b) => [{ text: new TextDecoder().decode(b), rebuild: (t) => new TextEncoder().encode(t) }],
    seeds: () => models().map((m) => m.json),
    load(bytes, plan) {
      // next to the weights of the seed the mutated model.json came from
      const all = models();
      const m = all[plan.seed % all.length];
      const dir = join(m.dir, 'try');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.json'), bytes);
      writeFileSync(join(dir, 'model.safetensors'), weightsOf(m.dir));
      return loadModel(dir);
    },
    teardown() {
      if (root) rmSync(root, { recursive: true, force: true });
    },
  };
}

const weightsCache = new Map<string, Buffer>();
function weightsOf(dir: string): Buffer {
  let w = weightsCache.get(dir);
  if (!w) weightsCache.set(dir, (w = readFileSync(join(dir, 'model.safetensors'))));
  return w;
}

export const modelTarget = modelJsonTarget();

// ---------------------------------------------------------------- checkpoint

function checkpointTarget(): Target {
  let root: string | null = null;
  const file = once(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-fuzz-ckpt-'));
    return join(root, 'c.safetensors');
  });
  const seeds = once(() => {
    const model = smallModel();
    const opt = new Adam({ lr: 0.01 });
    // one optimizer step so the optimizer has state tensors
    const grads = model.parameters().map((p) => p.value.mul(0).add(0.1));
    opt.step(model.parameters(), grads);
    saveCheckpoint(file(), {
      model,
      optimizer: opt,
      classNames: ['a', 'b', 'c'],
      state: { epoch: 2, seed: 7, batchSize: 4, history: [{ epoch: 1, loss: 1.5 }] },
    });
    return [new Uint8Array(readFileSync(file()))];
  });
  return {
    name: 'checkpoint',
    fields: safetensorsFormat.fields,
    jsonViews(b) {
      const [outer] = safetensorsHeaderView(b);
      if (!outer) return [];
      const views: JsonView[] = [outer];
      // the training state: a JSON text inside the header's metadata
      try {
        const h = JSON.parse(outer.text);
        const inner = h?.__metadata__?.strata;
        if (typeof inner === 'string')
          views.push({
            text: inner,
            rebuild: (t) =>
              outer.rebuild(JSON.stringify({ ...h, __metadata__: { ...h.__metadata__, strata: t } })),
          });
      } catch {}
      return views;
    },
    seeds,
    load(bytes) {
      writeFileSync(file(), bytes);
      return loadCheckpoint(file());
    },
    teardown() {
      if (root) rmSync(root, { recursive: true, force: true });
    },
  };
}

export const checkpointFuzzTarget = checkpointTarget();

// ---------------------------------------------------------------- IDX

function idx(type: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  for (const [i, d] of dims.entries()) v.setUint32(4 + 4 * i, d, false);
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function bigEndian(a: Int16Array | Int32Array | Float32Array | Float64Array): Uint8Array {
  const es = a.BYTES_PER_ELEMENT;
  const out = new Uint8Array(a.length * es);
  const v = new DataView(out.buffer);
  a.forEach((x: number, i: number) => {
    if (a instanceof Int16Array) v.setInt16(i * es, x, false);
    else if (a instanceof Int32Array) v.setInt32(i * es, x, false);
    else if (a instanceof Float32Array) v.setFloat32(i * es, x, false);
    else v.setFloat64(i * es, x, false);
  });
  return out;
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

export const idxTarget: Target = {
  name: 'idx',
  seeds: once(() => {
    const images = idx(0x08, [12, 28, 28], digitBytes(12));
    return [
      images,
      idx(0x08, [12], Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])),
      idx(0x09, [7], Uint8Array.from([0, 1, 255, 128, 127, 3, 4])),
      idx(0x0b, [5], bigEndian(Int16Array.from([1, -2, 300, -32768, 32767]))),
      idx(0x0c, [2, 2], bigEndian(Int32Array.from([1, -1, 2 ** 31 - 1, -(2 ** 31)]))),
      idx(0x0d, [3, 4], bigEndian(Float32Array.from({ length: 12 }, (_, i) => i / 3))),
      idx(0x0e, [3], bigEndian(Float64Array.from([Math.PI, -0, 1e300]))),
      new Uint8Array(gzipSync(images)),
      new Uint8Array(gzipSync(idx(0x08, [12], Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])))),
    ];
  }),
  fields(b) {
    if (isGzip(b))
      // the gzip trailer's size field
      return b.length >= 18 ? [{ offset: b.length - 4, size: 4, littleEndian: true }] : [];
    const fs: Field[] = [
      { offset: 2, size: 1, littleEndian: false },
      { offset: 3, size: 1, littleEndian: false },
    ];
    const nd = b[3] ?? 0;
    for (let i = 0; i < Math.min(nd, 8); i++) fs.push({ offset: 4 + 4 * i, size: 4, littleEndian: false });
    return fs;
  },
  load: (bytes) => decodeIdxBytes(bytes, 'fuzz.idx'),
};

// ---------------------------------------------------------------- PNG / JPEG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** PNG chunks: [offset of the length field, data length] while they fit. */
function pngChunks(b: Uint8Array): Array<{ at: number; len: number; type: string }> {
  const out: Array<{ at: number; len: number; type: string }> = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 8;
  while (at + 12 <= b.length && out.length < 64) {
    const len = v.getUint32(at, false);
    const type = String.fromCharCode(...b.subarray(at + 4, at + 8));
    out.push({ at, len, type });
    if (at + 12 + len > b.length) break;
    at += 12 + len;
  }
  return out;
}

function isPng(b: Uint8Array) {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50;
}

/** JPEG segments with a length: [offset of the marker, marker]. */
function jpegSegments(b: Uint8Array): Array<{ at: number; marker: number }> {
  const out: Array<{ at: number; marker: number }> = [];
  let at = 2;
  while (at + 4 <= b.length && out.length < 64) {
    if (b[at] !== 0xff) break;
    const marker = b[at + 1];
    if (marker === 0xda) {
      out.push({ at, marker });
      break;
    }
    out.push({ at, marker });
    at += 2 + ((b[at + 2] << 8) | b[at + 3]);
  }
  return out;
}

function grey(w: number, h: number): Uint8Array {
  const src = digitBytes(1);
  const out = new Uint8Array(w * h);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[i * w + j] = src[(i % 28) * 28 + (j % 28)];
  return out;
}

function interleave(planes: Uint8Array[], depthMax = 255): Uint8Array {
  const n = planes[0].length;
  const out = new Uint8Array(n * planes.length);
  for (let p = 0; p < n; p++)
    for (let c = 0; c < planes.length; c++) out[p * planes.length + c] = planes[c][p] & depthMax;
  return out;
}

export const imageTarget: Target = {
  name: 'image',
  seeds: once(() => {
    const g = grey(28, 28);
    const inv = g.map((v) => 255 - v);
    const half = g.map((v) => v >> 1);
    const rgb = interleave([g, inv, half]);
    const png = (data: Uint8Array | Uint16Array, channels: number, depth: 1 | 2 | 4 | 8 | 16, extra = {}) =>
      encodePng({ width: 28, height: 28, data, channels, depth, ...extra });
    // 1-bit grey: packed rows of 28 bits (4 bytes each)
    const bits = new Uint8Array(28 * 4);
    for (let i = 0; i < 28; i++)
      for (let j = 0; j < 28; j++) if (g[i * 28 + j] > 127) bits[i * 4 + (j >> 3)] |= 0x80 >> (j & 7);
    const palette: Array<[number, number, number]> = Array.from({ length: 16 }, (_, i) => [
      i * 17,
      255 - i * 17,
      0,
    ]);
    const idx4 = new Uint8Array(28 * 14);
    for (let i = 0; i < 28; i++)
      for (let j = 0; j < 28; j++) idx4[i * 14 + (j >> 1)] |= (g[i * 28 + j] >> 4) << (j & 1 ? 0 : 4);
    const jpegRgba = new Uint8Array(28 * 28 * 4);
    for (let p = 0; p < 784; p++) {
      jpegRgba[p * 4] = g[p];
      jpegRgba[p * 4 + 1] = inv[p];
      jpegRgba[p * 4 + 2] = half[p];
      jpegRgba[p * 4 + 3] = 255;
    }
    return [
      png(g, 1, 8),
      png(rgb, 3, 8),
      png(interleave([g, inv, half, g]), 4, 8),
      png(interleave([g, inv]), 2, 8),
      png(
        Uint16Array.from(g, (v) => v * 257),
        1,
        16,
      ),
      png(bits, 1, 1),
      png(idx4, 1, 4, { palette }),
      new Uint8Array(jpeg.encode({ width: 28, height: 28, data: jpegRgba }, 90).data),
      new Uint8Array(jpeg.encode({ width: 28, height: 28, data: jpegRgba }, 20).data),
    ];
  }),
  fields(b) {
    const fs: Field[] = [];
    if (isPng(b)) {
      for (const c of pngChunks(b)) {
        fs.push({ offset: c.at, size: 4, littleEndian: false });
        if (c.type === 'IHDR') {
          fs.push({ offset: c.at + 8, size: 4, littleEndian: false }); // width
          fs.push({ offset: c.at + 12, size: 4, littleEndian: false }); // height
          fs.push({ offset: c.at + 16, size: 1, littleEndian: false }); // bit depth
          fs.push({ offset: c.at + 17, size: 1, littleEndian: false }); // colour type
          fs.push({ offset: c.at + 20, size: 1, littleEndian: false }); // interlace
        }
      }
    } else
      for (const s of jpegSegments(b)) {
        fs.push({ offset: s.at + 2, size: 2, littleEndian: false });
        if (s.marker >= 0xc0 && s.marker <= 0xc2) {
          fs.push({ offset: s.at + 5, size: 2, littleEndian: false }); // height
          fs.push({ offset: s.at + 7, size: 2, littleEndian: false }); // width
          fs.push({ offset: s.at + 9, size: 1, littleEndian: false }); // components
          fs.push({ offset: s.at + 11, size: 1, littleEndian: false }); // sampling
        }
      }
    return fs;
  },
  fixup(b) {
    if (!isPng(b)) return b;
    const out = Uint8Array.from(b);
    const v = new DataView(out.buffer);
    for (const c of pngChunks(out))
      if (c.at + 12 + c.len <= out.length)
        v.setUint32(c.at + 8 + c.len, crc32(out.subarray(c.at + 4, c.at + 8 + c.len)), false);
    return out;
  },
  load: (bytes, plan) => decodeImage(bytes, 'fuzz.img', [undefined, 1, 3][plan.variant % 3]),
};

// ---------------------------------------------------------------- ONNX

const ONNX_FIXTURES = fileURLToPath(new URL('../../test/fixtures/onnx/', import.meta.url));

/** The ModelProto as protobuf JSON (int64 as strings, bytes as base64): edits are re-encoded. */
function onnxJsonView(b: Uint8Array): JsonView[] {
  const m = fromBinary(ModelProtoSchema, b);
  return [
    {
      text: JSON.stringify(toJson(ModelProtoSchema, m)),
      rebuild: (t) => toBinary(ModelProtoSchema, fromJson(ModelProtoSchema, JSON.parse(t))),
    },
  ];
}

export const onnxTarget: Target = {
  name: 'onnx',
  jsonViews: onnxJsonView,
  seeds: once(() => [
    new Uint8Array(readFileSync(join(ONNX_FIXTURES, 'hostile', 'valid.onnx'))),
    new Uint8Array(readFileSync(join(ONNX_FIXTURES, 'pytorch', 'residual.onnx'))),
    new Uint8Array(readFileSync(join(ONNX_FIXTURES, 'pytorch', 'lenet.onnx'))),
    exportOnnx(smallModel()),
  ]),
  // from bytes: external data is refused, so nothing outside the input is read
  load: (bytes) => importOnnx(bytes),
};

export const targets: Target[] = [
  safetensorsTarget,
  modelTarget,
  checkpointFuzzTarget,
  idxTarget,
  imageTarget,
  onnxTarget,
];

export { isGzip };
