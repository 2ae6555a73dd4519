import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeSafetensors, encodeSafetensors } from '../../src/index.js';

function file(
  header: string | object,
  data: Uint8Array = new Uint8Array(0),
  lengthOverride?: bigint,
): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('reads the example of the format description (I32 [2,2] + metadata)', () => {
  const data = new Uint8Array(new Int32Array([1, 2, 3, 4]).buffer);
  const { tensors, metadata } = decodeSafetensors(
    file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"foo":"bar"}}', data),
  );
  assert.deepEqual([...tensors.get('test')!.data], [1, 2, 3, 4]);
  assert.equal(tensors.get('test')!.dtype, 'int32');
  assert.deepEqual(metadata, { foo: 'bar' });
});

test('write → read round trip of F32, F64, I32 and empty tensors; data 8-byte aligned', () => {
  const bytes = encodeSafetensors(
    {
      a: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) },
      b: { dtype: 'float64', shape: [1], data: Float64Array.from([Math.PI]) },
      c: { dtype: 'int32', shape: [0, 4], data: new Int32Array(0) },
      'd.weight': { dtype: 'int32', shape: [], data: Int32Array.from([-7]) },
    },
    { note: 'hi "there"' },
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual([...tensors.get('a')!.data], [1, 2, 3, 4, 5, 6.5]);
  assert.equal(tensors.get('b')!.data[0], Math.PI);
  assert.deepEqual(tensors.get('c')!.shape, [0, 4]);
  assert.deepEqual(tensors.get('d.weight')!.shape, []);
  assert.equal(metadata.note, 'hi "there"');
});

test('round trip holds for random tensors (property)', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'),
        fc.array(fc.float({ noNaN: true }), { maxLength: 12 }),
        { maxKeys: 5 },
      ),
      (dict) => {
        const ts = Object.fromEntries(
          Object.entries(dict).map(([k, v]) => [
            k,
            { dtype: 'float32' as const, shape: [v.length], data: Float32Array.from(v) },
          ]),
        );
        const back = decodeSafetensors(encodeSafetensors(ts)).tensors;
        assert.equal(back.size, Object.keys(ts).length);
        for (const [k, t] of Object.entries(ts)) assert.deepEqual(back.get(k)!.data, t.data);
      },
    ),
    { numRuns: 100 },
  );
});

const f32 = (n: number) => new Uint8Array(4 * n);
const hostile: Array<[string, Uint8Array, RegExp]> = [
  ['fewer than 8 bytes', new Uint8Array(5), /too small \(5 bytes\)/],
  [
    'header length above 100,000,000',
    file('{}', f32(0), 100_000_001n),
    /exceeds the limit of 100000000 bytes/,
  ],
  ['header length past the end', file('{}', f32(0), 1000n), /truncated: the header needs 1000 bytes/],
  ['header length 2^64-1', file('{}', f32(0), 2n ** 64n - 1n), /exceeds the limit/],
  ['invalid UTF-8', file('{"\xff"}').map((b, i) => (i === 10 ? 0xff : b)), /not valid UTF-8/],
  ['not starting with {', file(' {}'), /does not start with '\{'/],
  ['invalid JSON', file('{"a":'), /not valid JSON/],
  ['a JSON array', file('[1]'), /does not start with/],
  [
    'duplicate names',
    file(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
      f32(1),
    ),
    /'a' appears twice/,
  ],
  [
    'unknown dtype',
    file({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, f32(1)),
    /unknown dtype 'Q7'/,
  ],
  [
    'unsupported dtype',
    file({ a: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, f32(1)),
    /BF16, which Strata does not support/,
  ],
  [
    'negative dimension',
    file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)),
    /non-negative integers/,
  ],
  [
    'fractional dimension',
    file({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1)),
    /non-negative integers/,
  ],
  [
    'begin after end',
    file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)),
    /0 <= begin <= end/,
  ],
  [
    'offsets not numbers',
    file({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', 4] } }, f32(1)),
    /data_offsets/,
  ],
  [
    'size does not match shape',
    file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)),
    /needs 8 bytes, its offsets span 4/,
  ],
  [
    'first tensor not at 0',
    file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)),
    /starts at byte 4, expected 0 \(a gap/,
  ],
  [
    'gap between tensors',
    file(
      {
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      },
      f32(3),
    ),
    /'b' starts at byte 8, expected 4/,
  ],
  [
    'overlapping tensors',
    file(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      },
      f32(2),
    ),
    /overlaps/,
  ],
  [
    'data past the last tensor',
    file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)),
    /end at byte 4 of the data but 8 bytes follow/,
  ],
  ['truncated data', file({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), /truncated/],
  [
    'huge shape',
    file({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, f32(1)),
    /too large/,
  ],
  ['metadata value not a string', file({ __metadata__: { a: 1 } }), /must be a string/],
  ['metadata not an object', file({ __metadata__: [] }), /must be an object/],
  ['tensor entry not an object', file({ a: 3 }), /must be described by an object/],
];
for (const [name, bytes, msg] of hostile)
  test(`rejects a hostile file: ${name}`, () => {
    assert.throws(
      () => decodeSafetensors(bytes, 'evil.safetensors'),
      (e: Error) => {
        assert.match(e.message, msg);
        assert.match(e.message, /evil\.safetensors/);
        return true;
      },
    );
  });

test('random byte corruption never crashes with anything but a StrataError (property)', () => {
  const good = encodeSafetensors({
    w: { dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    b: { dtype: 'float32', shape: [3], data: Float32Array.from([7, 8, 9]) },
  });
  fc.assert(
    fc.property(
      fc.nat(good.length - 1),
      fc.integer({ min: 0, max: 255 }),
      fc.nat(good.length),
      (i, v, cut) => {
        const bad = good.slice(0, Math.max(cut, i + 1));
        bad[i] = v;
        try {
          decodeSafetensors(bad);
        } catch (e) {
          assert.equal((e as Error).name, 'StrataError', String(e));
        }
      },
    ),
    { numRuns: 300 },
  );
});
