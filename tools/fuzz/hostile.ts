/**
 * The hostile files: each a regression case, each to be refused with a specific StrataError before any
 * large allocation. `node --import tsx tools/fuzz/hostile.ts` (re)writes the files of this set into
 * test/fixtures/hostile/; the ONNX cases reuse the ONNX engineer's files in test/fixtures/onnx/hostile
 * (written by tools/golden/onnx_hostile.py). test/robust/hostile.test.ts loads every case and checks
 * the message, the time and the memory growth.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';

export type Loader = 'safetensors' | 'model' | 'checkpoint' | 'idx' | 'image' | 'onnx';

export interface HostileCase {
  /** Path under test/fixtures (a file, or a model folder for 'model'). */
  path: string;
  loader: Loader;
  /** What the file does. */
  what: string;
  /** The message it must be refused with. */
  expect: RegExp;
  /** The files to write (relative to test/fixtures/hostile); absent for the ONNX engineer's files. */
  files?: () => Record<string, Uint8Array | string>;
  /** Set up before loading (for example a symbolic link), given the fixtures root and a scratch folder. */
  symlink?: boolean;
}

export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

// ---------------------------------------------------------------- safetensors

/** A safetensors file from a header (object or raw text), data, and optionally a forged length field. */
export function safetensors(
  header: string | object,
  data: Uint8Array = new Uint8Array(0),
  length?: bigint,
): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const st = (name: string, header: string | object, data?: Uint8Array, length?: bigint) => ({
  [name]: safetensors(header, data, length),
});

// ---------------------------------------------------------------- model folders

const tiny = {
  type: 'Sequential',
  name: 'tiny',
  layers: [
    { type: 'Input', name: 'input', config: { shape: [2] } },
    { type: 'Dense', name: 'fc', config: { units: 1 } },
  ],
};
const tinyWeights = () =>
  safetensors(
    {
      'fc.bias': { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      'fc.weight': { dtype: 'F32', shape: [1, 2], data_offsets: [4, 12] },
    },
    f32(0.5, 1, 2),
  );
function modelDir(dir: string, model: unknown, extra: Record<string, unknown> = {}) {
  return {
    [`${dir}/model.json`]: JSON.stringify({
      format: 'strata-model',
      version: 1,
      model,
      weights: 'model.safetensors',
      ...extra,
    }),
    [`${dir}/model.safetensors`]: tinyWeights(),
  };
}

// ---------------------------------------------------------------- IDX

function idx(type: number, dims: number[], data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  for (const [i, d] of dims.entries()) v.setUint32(4 + 4 * i, d, false);
  out.set(data, 4 + 4 * dims.length);
  return out;
}

// ---------------------------------------------------------------- images

function pngWithSize(w: number, h: number): Uint8Array {
  const png = encodePng({ width: 4, height: 4, data: new Uint8Array(16), channels: 1, depth: 8 });
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  v.setUint32(16, w, false);
  v.setUint32(20, h, false);
  // a correct CRC for the forged IHDR, so the size is what is judged
  v.setUint32(29, crc32(png.subarray(12, 29)), false);
  return png;
}

function jpegWithSize(w: number, h: number): Uint8Array {
  const rgba = new Uint8Array(16 * 16 * 4).fill(128);
  const b = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: rgba }, 50).data);
  for (let at = 2; at + 9 < b.length; ) {
    const m = b[at + 1];
    if (m === 0xc0) {
      b[at + 5] = h >> 8;
      b[at + 6] = h & 255;
      b[at + 7] = w >> 8;
      b[at + 8] = w & 255;
      break;
    }
    at += 2 + ((b[at + 2] << 8) | b[at + 3]);
  }
  return b;
}

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- the set

const H = 'hostile';

export const hostileCases: HostileCase[] = [
  // --- safetensors: declared sizes against the data
  {
    path: `${H}/shape_far_larger.safetensors`,
    loader: 'safetensors',
    what: 'a tensor declares shape [1000000,1000000] over 16 bytes of data',
    expect: /tensor 'w': shape \[1000000,1000000\] of F32 needs 4000000000000 bytes, its offsets span 16/,
    files: () =>
      st(
        'shape_far_larger.safetensors',
        { w: { dtype: 'F32', shape: [1e6, 1e6], data_offsets: [0, 16] } },
        f32(1, 2, 3, 4),
      ),
  },
  {
    path: `${H}/offsets_beyond_file.safetensors`,
    loader: 'safetensors',
    what: 'shape and offsets agree on 400 MB, the file holds 16 bytes',
    expect:
      /the tensors end at byte 400000000 of the data but 16 bytes follow the header \(the file is truncated\)/,
    files: () =>
      st(
        'offsets_beyond_file.safetensors',
        { w: { dtype: 'F32', shape: [1e8], data_offsets: [0, 4e8] } },
        f32(1, 2, 3, 4),
      ),
  },
  {
    path: `${H}/shape_overflow.safetensors`,
    loader: 'safetensors',
    what: 'a shape whose element count overflows 2^53',
    expect: /shape \[1099511627776,1099511627776\] is too large/,
    files: () =>
      st(
        'shape_overflow.safetensors',
        { w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 16] } },
        f32(1, 2, 3, 4),
      ),
  },
  {
    path: `${H}/overlapping_offsets.safetensors`,
    loader: 'safetensors',
    what: 'two tensors share bytes 8–16',
    expect: /tensor 'b' starts at byte 8, expected 16 \(it overlaps the previous tensor\)/,
    files: () =>
      st(
        'overlapping_offsets.safetensors',
        {
          a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
          b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
        },
        f32(1, 2, 3, 4, 5, 6),
      ),
  },
  {
    path: `${H}/negative_offset.safetensors`,
    loader: 'safetensors',
    what: 'data_offsets [-8, 8]',
    expect: /data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[-8,8\]/,
    files: () =>
      st(
        'negative_offset.safetensors',
        { a: { dtype: 'F32', shape: [4], data_offsets: [-8, 8] } },
        f32(1, 2, 3, 4),
      ),
  },
  {
    path: `${H}/reversed_offsets.safetensors`,
    loader: 'safetensors',
    what: 'data_offsets [16, 0]',
    expect: /data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[16,0\]/,
    files: () =>
      st(
        'reversed_offsets.safetensors',
        { a: { dtype: 'F32', shape: [4], data_offsets: [16, 0] } },
        f32(1, 2, 3, 4),
      ),
  },
  {
    path: `${H}/gap_between_tensors.safetensors`,
    loader: 'safetensors',
    what: 'four unclaimed bytes between two tensors',
    expect: /tensor 'b' starts at byte 8, expected 4 \(a gap precedes it\)/,
    files: () =>
      st(
        'gap_between_tensors.safetensors',
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        f32(1, 2, 3),
      ),
  },
  {
    path: `${H}/header_length_2p64.safetensors`,
    loader: 'safetensors',
    what: 'the 8-byte header length is 2^64 − 16',
    expect: /header length 18446744073709551600 exceeds the limit of 100000000 bytes/,
    files: () => st('header_length_2p64.safetensors', '{}', undefined, 2n ** 64n - 16n),
  },
  {
    path: `${H}/header_over_100MB.safetensors`,
    loader: 'safetensors',
    what: 'the header length is 100,000,001 bytes',
    expect: /header length 100000001 exceeds the limit of 100000000 bytes/,
    files: () => st('header_over_100MB.safetensors', '{}', undefined, 100_000_001n),
  },
  {
    path: `${H}/header_beyond_file.safetensors`,
    loader: 'safetensors',
    what: 'the header length (99,999,999) is within the limit but past the end of the file',
    expect: /is truncated: the header needs 99999999 bytes, only 2 follow/,
    files: () => st('header_beyond_file.safetensors', '{}', undefined, 99_999_999n),
  },
  {
    path: `${H}/duplicate_names.safetensors`,
    loader: 'safetensors',
    what: "the tensor name 'w' twice (JSON.parse would keep the last)",
    expect: /the name 'w' appears twice in the header/,
    files: () =>
      st(
        'duplicate_names.safetensors',
        '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
        f32(1, 2),
      ),
  },
  {
    path: `${H}/negative_dims.safetensors`,
    loader: 'safetensors',
    what: 'shape [-1, 4]',
    expect: /shape must be a list of non-negative integers, got \[-1,4\]/,
    files: () =>
      st(
        'negative_dims.safetensors',
        { w: { dtype: 'F32', shape: [-1, 4], data_offsets: [0, 16] } },
        f32(1, 2, 3, 4),
      ),
  },
  {
    path: `${H}/fractional_dims.safetensors`,
    loader: 'safetensors',
    what: 'shape [2.5]',
    expect: /shape must be a list of non-negative integers, got \[2\.5\]/,
    files: () =>
      st(
        'fractional_dims.safetensors',
        { w: { dtype: 'F32', shape: [2.5], data_offsets: [0, 10] } },
        f32(1, 2, 3),
      ),
  },
  {
    path: `${H}/deep_header.safetensors`,
    loader: 'safetensors',
    what: 'a shape nested 20,000 lists deep (stack overflow in a message before)',
    expect: /the header nests JSON more than 64 levels deep/,
    files: () =>
      st(
        'deep_header.safetensors',
        `{"w":{"dtype":"F32","shape":${'['.repeat(20000)}${']'.repeat(20000)},"data_offsets":[0,4]}}`,
        f32(1),
      ),
  },
  {
    path: `${H}/unsupported_dtype.safetensors`,
    loader: 'safetensors',
    what: 'dtype F16 (a real safetensors type Strata cannot hold)',
    expect: /has dtype F16, which Strata does not support/,
    files: () =>
      st('unsupported_dtype.safetensors', { w: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, f32(1)),
  },
  {
    path: `${H}/header_not_utf8.safetensors`,
    loader: 'safetensors',
    what: 'a header with invalid UTF-8',
    expect: /the header is not valid UTF-8/,
    files: () => {
      const b = safetensors('{"..":1}');
      b.set([0xff, 0xfe], 10);
      return { 'header_not_utf8.safetensors': b };
    },
  },
  // --- model folders (model.json + weights)
  {
    path: `${H}/model_weights_dotdot`,
    loader: 'model',
    what: 'model.json names its weights "../secret.safetensors"',
    expect: /"weights" must be a file name in the same folder, got "\.\.\/secret\.safetensors"/,
    files: () => modelDir('model_weights_dotdot', tiny, { weights: '../secret.safetensors' }),
  },
  {
    path: `${H}/model_weights_absolute`,
    loader: 'model',
    what: 'model.json names its weights "/etc/passwd"',
    expect: /"weights" must be a file name in the same folder, got "\/etc\/passwd"/,
    files: () => modelDir('model_weights_absolute', tiny, { weights: '/etc/passwd' }),
  },
  {
    path: `${H}/model_dense_1e9`,
    loader: 'model',
    what: 'the config declares a Dense layer of 10^9 units over a 12-byte weights file',
    expect: /tensor 'fc\.weight' is float32 \[1,2\], the model expects float32 \[1000000000,2\]/,
    files: () =>
      modelDir('model_dense_1e9', {
        ...tiny,
        layers: [tiny.layers[0], { type: 'Dense', name: 'fc', config: { units: 1e9 } }],
      }),
  },
  {
    path: `${H}/model_huge_input`,
    loader: 'model',
    what: 'the input declares [100000,100000,100000] values per example',
    expect: /an input of shape \[100000,100000,100000\] would hold 1000000000000000 values per example/,
    files: () =>
      modelDir('model_huge_input', {
        ...tiny,
        layers: [
          { type: 'Input', name: 'input', config: { shape: [1e5, 1e5, 1e5] } },
          { type: 'Flatten', name: 'flat' },
          { type: 'Dense', name: 'fc', config: { units: 1 } },
        ],
      }),
  },
  {
    path: `${H}/model_unknown_layer`,
    loader: 'model',
    what: "a layer of type '__proto__' (nothing from a file is looked up outside the registry)",
    expect: /unknown layer type '__proto__'/,
    files: () =>
      modelDir('model_unknown_layer', {
        ...tiny,
        layers: [tiny.layers[0], { type: '__proto__', name: 'x' }],
      }),
  },
  {
    path: `${H}/model_deep_json`,
    loader: 'model',
    what: 'a layer config nested 20,000 levels deep',
    expect: /nests JSON more than 64 levels deep/,
    files: () => ({
      'model_deep_json/model.json': `{"format":"strata-model","version":1,"weights":"model.safetensors","model":{"type":"Sequential","layers":[{"type":"Dense","config":{"units":${'['.repeat(20000)}${']'.repeat(20000)}}}]}}`,
      'model_deep_json/model.safetensors': tinyWeights(),
    }),
  },
  {
    path: `${H}/model_graph_bad_input`,
    loader: 'model',
    what: 'a Graph whose input shape is a number (TypeError in build before)',
    expect: /input 'x': the shape must be a list of positive integers, got -899322018/,
    files: () =>
      modelDir('model_graph_bad_input', {
        type: 'Graph',
        inputs: { x: -899322018 },
        layers: [{ type: 'Dense', name: 'fc', config: { units: 1 }, inputs: ['x'] }],
      }),
  },
  {
    path: `${H}/model_sha_mismatch`,
    loader: 'model',
    what: 'weights from another save (SHA-256 differs)',
    expect: /does not match .*model\.json \(SHA-256 differs\)/,
    files: () => modelDir('model_sha_mismatch', tiny, { weightsSha256: '0'.repeat(64) }),
  },
  // --- IDX
  {
    path: `${H}/idx_dims_far_larger.idx`,
    loader: 'idx',
    what: 'dims [4294967295,28,28] over 12 bytes',
    expect:
      /dimensions \[4294967295,28,28\] of 1-byte elements need \d+ bytes, the file has 28 \(truncated\)/,
    files: () => ({ 'idx_dims_far_larger.idx': idx(0x08, [2 ** 32 - 1, 28, 28], new Uint8Array(12)) }),
  },
  {
    path: `${H}/idx_gzip_declares_huge.idx.gz`,
    loader: 'idx',
    what: 'a gzipped IDX whose header declares 1 GB, more than its bytes can expand to',
    expect: /the IDX header declares 1000000016 bytes, more than \d+ bytes of gzip data can hold/,
    files: () => ({
      'idx_gzip_declares_huge.idx.gz': new Uint8Array(
        gzipSync(idx(0x08, [100000, 100, 100], new Uint8Array(16))),
      ),
    }),
  },
  {
    path: `${H}/idx_gzip_bomb.idx.gz`,
    loader: 'idx',
    what: 'a 64 KB gzip that expands to 64 MB behind a header declaring 10 bytes',
    expect: /the gzip data expands past the 18 bytes its IDX header declares/,
    files: () => {
      const raw = new Uint8Array(4 + 4 + 64 * 2 ** 20);
      raw.set(idx(0x08, [10]));
      return { 'idx_gzip_bomb.idx.gz': new Uint8Array(gzipSync(raw, { level: 9 })) };
    },
  },
  {
    path: `${H}/idx_zero_dims.idx`,
    loader: 'idx',
    what: 'magic number declaring 0 dimensions',
    expect: /the magic number declares 0 dimensions/,
    files: () => ({ 'idx_zero_dims.idx': idx(0x08, []) }),
  },
  // --- images
  {
    path: `${H}/png_65535x65535.png`,
    loader: 'image',
    what: 'a 80-byte PNG declaring 65535×65535 pixels',
    expect: /declares 65535×65535 pixels, more than the 100 million Strata decodes/,
    files: () => ({ 'png_65535x65535.png': pngWithSize(65535, 65535) }),
  },
  {
    path: `${H}/png_9000x9000.png`,
    loader: 'image',
    what: 'a PNG declaring 9000×9000 pixels (81 M, under the cap) over a few bytes of image data',
    expect:
      /declares 9000×9000 pixels \(81009000 bytes of samples\), more than its \d+ bytes of image data can hold/,
    files: () => ({ 'png_9000x9000.png': pngWithSize(9000, 9000) }),
  },
  {
    path: `${H}/jpeg_8000x8000.jpg`,
    loader: 'image',
    what: 'a JPEG of a few hundred bytes declaring 8000×8000 pixels',
    expect: /declares 8000×8000 pixels, more than its \d+ bytes of JPEG data can encode/,
    files: () => ({ 'jpeg_8000x8000.jpg': jpegWithSize(8000, 8000) }),
  },
  {
    path: `${H}/not_an_image.png`,
    loader: 'image',
    what: 'a text file named .png',
    expect: /is neither a PNG nor a JPEG file/,
    files: () => ({ 'not_an_image.png': 'not an image\n' }),
  },
  // --- ONNX: the ONNX engineer's files (test/fixtures/onnx/hostile), in this regression list too
  ...(
    [
      ['negative_dim.onnx', 'a dim of −4', /tensor 'b' has a negative dimension \(-4\)/],
      [
        'raw_length_mismatch.onnx',
        'raw_data shorter than its dims',
        /dims \[4,4\] of FLOAT need 64 bytes, raw_data has 16/,
      ],
      ['float_data_count.onnx', 'float_data count off by one', /dims \[4\] need 4 values, float_data has 3/],
      ['huge_dims.onnx', 'a dim of 2^40', /has a dimension of 1099511627776, more than 2147483647 elements/],
      [
        'dims_product_overflow.onnx',
        'dims whose product overflows',
        /declares dims \[65536,65536,65536\]: more than 2147483647 elements/,
      ],
      [
        'external_beyond_file.onnx',
        'external data shorter than its dims',
        /dims need 4000000000 bytes of FLOAT, external data gives 16/,
      ],
      [
        'external_offset_beyond.onnx',
        'external offset past the file',
        /asks for 16 bytes at offset 4096 of 'data\.bin', which has 16/,
      ],
      [
        'external_bad_offset.onnx',
        'external offset −8',
        /external data offset must be a non-negative integer, got '-8'/,
      ],
      [
        'external_dotdot.onnx',
        "external data '../pytorch/lenet.onnx'",
        /location '\.\.\/pytorch\/lenet\.onnx' contains '\.\.'/,
      ],
      [
        'external_dotdot_hidden.onnx',
        "external data 'sub/../../…'",
        /location 'sub\/\.\.\/\.\.\/pytorch\/lenet\.onnx' contains '\.\.'/,
      ],
      [
        'external_absolute.onnx',
        "external data '/etc/passwd'",
        /location '\/etc\/passwd' is an absolute path/,
      ],
      [
        'constant_length.onnx',
        'a Constant whose raw_data is short',
        /tensor 'c': dims \[8\] of FLOAT need 32 bytes, raw_data has 16/,
      ],
      [
        'huge_input.onnx',
        'an input of 10^10 elements',
        /input 'x': shape \[1,100000,100000\] has 10000000000 elements/,
      ],
      [
        'constant_of_shape_huge.onnx',
        'ConstantOfShape of 10^12 elements',
        /ConstantOfShape: shape \[1000000,1000000\] has 1000000000000 elements/,
      ],
      [
        'prototype_ops.onnx',
        "ops named 'constructor', '__proto__', 'toString'",
        /constructor \(node 'a'\); __proto__ \(node 'b'\); toString \(node 'y'\)/,
      ],
    ] as Array<[string, string, RegExp]>
  ).map(([f, what, expect]) => ({ path: `onnx/hostile/${f}`, loader: 'onnx' as const, what, expect })),
  {
    path: 'onnx/hostile/external_symlink.onnx',
    loader: 'onnx',
    what: 'external data through a symbolic link that leaves the model folder',
    expect: /'link\.bin' resolves to .*outside\.bin, outside the model's folder/,
    symlink: true,
  },
];

/** Writes the files of this set (not the ONNX engineer's). */
export function writeHostileFixtures(root = join(FIXTURES, H)): string[] {
  rmSync(root, { recursive: true, force: true });
  const written: string[] = [];
  for (const c of hostileCases)
    for (const [name, data] of Object.entries(c.files?.() ?? {})) {
      const p = join(root, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
      written.push(p);
    }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  console.log(`wrote ${writeHostileFixtures().length} files into test/fixtures/${H}`);
