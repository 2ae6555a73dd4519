import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import {
  arrayDataset,
  batches,
  compose,
  Generator,
  loadIdx,
  loadImageFolder,
  loadMnistPackage,
  parseIdx,
  randomCrop,
  randomFlip,
  randomRotation,
  randomShift,
  readImage,
  stratifiedSplit,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function idxBytes(type: number, dims: number[], values: ArrayLike<number>): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(head.buffer);
  head[2] = type;
  head[3] = dims.length;
  for (const [i, d] of dims.entries()) v.setUint32(4 + 4 * i, d, false);
  const out = new Uint8Array(head.length + values.length);
  out.set(head);
  out.set(Uint8Array.from(values), head.length);
  return out;
}

test('the bundled mnist package: 10,000 digits [1,28,28] in [0,1], labels 0-9', () => {
  const d = loadMnistPackage();
  assert.equal(d.y.length, 10000);
  assert.deepEqual(d.shape, [1, 28, 28]);
  assert.equal(d.x.length, 10000 * 784);
  const counts = new Array(10).fill(0);
  for (const v of d.y) counts[v]++;
  assert.deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  let max = 0;
  for (const v of d.x) max = Math.max(max, v);
  assert.equal(max, 1);
});

test('stratified split: exact sizes, class proportions, disjoint, seeded', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => (i < 700 ? 0 : i < 900 ? 1 : 2));
  const d = arrayDataset(
    Float32Array.from(labels, (_, i) => i),
    [1],
    labels,
  );
  const a = stratifiedSplit(d, 200, 7);
  const b = stratifiedSplit(d, 200, 7);
  const c = stratifiedSplit(d, 200, 8);
  assert.equal(a.test.y.length, 200);
  assert.equal(a.train.y.length, 800);
  assert.deepEqual(
    [0, 1, 2].map((k) => a.test.y.filter((v) => v === k).length),
    [140, 40, 20],
  );
  assert.deepEqual(a.testIndices, b.testIndices);
  assert.notDeepEqual(a.testIndices, c.testIndices);
  const all = new Set([...a.trainIndices, ...a.testIndices]);
  assert.equal(all.size, 1000);
  // Data follows the indices.
  assert.equal(a.test.x[0], a.testIndices[0]);
  assert.throws(() => stratifiedSplit(d, 1000), /held-out part must be 1\.\.999/);
});

test('batches: sizes, order, int32 labels, last partial batch', () => {
  const d = arrayDataset(
    [
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ],
    [2],
    [0, 1, 0, 1, 1],
  );
  const bs = [...batches(d, { batchSize: 2, order: [4, 3, 2, 1, 0] })];
  assert.deepEqual(
    bs.map((b) => b.size),
    [2, 2, 1],
  );
  assert.deepEqual(bs[0].x.toArray(), [
    [9, 10],
    [7, 8],
  ]);
  assert.equal(bs[0].y.dtype, 'int32');
  assert.deepEqual([...bs[2].labels], [0]);
  assert.equal([...batches(d, { batchSize: 2, dropLast: true })].length, 2);
  assert.throws(() => arrayDataset([1, 2], [1], [0, 1.5]), /not an integer/);
  assert.throws(() => arrayDataset([1, 2, 3], [2], [0, 1]), /2 labels need 4 values/);
});

test('IDX: raw and gzipped files load; bad files give clear errors', () => {
  const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
  writeFileSync(join(dir, 'img.idx'), idxBytes(8, [3, 2, 2], pixels));
  writeFileSync(join(dir, 'img.idx.gz'), gzipSync(idxBytes(8, [3, 2, 2], pixels)));
  writeFileSync(join(dir, 'lab.idx'), idxBytes(8, [3], [2, 0, 9]));
  for (const f of ['img.idx', 'img.idx.gz']) {
    const d = loadIdx(join(dir, f), join(dir, 'lab.idx'));
    assert.deepEqual(d.shape, [1, 2, 2]);
    assert.deepEqual([...d.y], [2, 0, 9]);
    assert.ok(Math.abs(d.x[5] - 100 / 255) < 1e-7);
  }
  const bad = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  const lab = join(dir, 'lab.idx');
  assert.throws(() => loadIdx(join(dir, 'missing.idx'), lab), /no such file: .*missing\.idx/);
  assert.throws(() => loadIdx(bad('magic', Uint8Array.from([1, 2, 8, 3, 0, 0])), lab), /not an IDX file/);
  assert.throws(
    () => loadIdx(bad('trunc', idxBytes(8, [3, 2, 2], pixels).slice(0, 20)), lab),
    /need 28 bytes, the file has 20 \(truncated\)/,
  );
  assert.throws(() => loadIdx(bad('trail', idxBytes(8, [3, 2, 2], [...pixels, 1])), lab), /trailing data/);
  assert.throws(() => loadIdx(bad('head', Uint8Array.from([0, 0, 8, 3, 0])), lab), /header alone needs 16/);
  assert.throws(() => loadIdx(bad('type', idxBytes(7, [1], [0])), lab), /unknown element type 0x7/);
  assert.throws(
    () => loadIdx(join(dir, 'img.idx'), bad('lab2', idxBytes(8, [2], [0, 1]))),
    /holds 3 images but .* holds 2 labels/,
  );
  assert.throws(
    () => loadIdx(join(dir, 'img.idx'), bad('lab3', idxBytes(8, [3], [0, 10, 1]))),
    /label 10 at index 1 is out of range 0\.\.9/,
  );
  assert.throws(() => loadIdx(bad('gz', Uint8Array.from([0x1f, 0x8b, 1, 2, 3])), lab), /corrupt gzip/);
  assert.equal(parseIdx(idxBytes(8, [2], [7, 8])).data[1], 8);
});

test('image folder: PNG and JPEG, grey and colour, class names from sub-folders', () => {
  const root = join(dir, 'imgs');
  for (const c of ['cat', 'dog']) mkdirSync(join(root, c), { recursive: true });
  const grey = new Uint8Array(4 * 3).map((_, i) => i * 10);
  writeFileSync(
    join(root, 'cat', 'a.png'),
    encodePng({ width: 4, height: 3, data: grey, channels: 1, depth: 8 }),
  );
  const rgba = new Uint8Array(4 * 3 * 4).fill(255);
  writeFileSync(
    join(root, 'dog', 'b.png'),
    encodePng({ width: 4, height: 3, data: rgba, channels: 4, depth: 8 }),
  );
  const rgbaJ = new Uint8Array(4 * 3 * 4).fill(128);
  writeFileSync(join(root, 'dog', 'c.jpg'), jpeg.encode({ width: 4, height: 3, data: rgbaJ }, 95).data);
  writeFileSync(join(root, 'dog', 'notes.txt'), 'ignored');
  const d = loadImageFolder(root);
  assert.deepEqual(d.classNames, ['cat', 'dog']);
  assert.deepEqual(d.shape, [1, 3, 4]);
  assert.deepEqual([...d.y], [0, 1, 1]);
  assert.ok(Math.abs(d.x[1] - 10 / 255) < 1e-6);
  assert.ok(Math.abs(d.x[12] - 1) < 1e-6);
  assert.ok(Math.abs(d.x[24] - 128 / 255) < 0.02);
  assert.deepEqual(readImage(join(root, 'dog', 'b.png'), [3, 3, 4]).channels, 3);
  // Wrong size: the error names the file.
  writeFileSync(
    join(root, 'dog', 'd.png'),
    encodePng({ width: 5, height: 3, data: new Uint8Array(15), channels: 1, depth: 8 }),
  );
  assert.throws(() => loadImageFolder(root), /d\.png is 5×3 pixels, expected 4×3/);
  rmSync(join(root, 'dog', 'd.png'));
  // Corrupt PNG.
  const png = encodePng({ width: 4, height: 3, data: grey, channels: 1, depth: 8 });
  writeFileSync(join(root, 'cat', 'e.png'), png.slice(0, 30));
  assert.throws(() => loadImageFolder(root), /e\.png is not a valid PNG file/);
  writeFileSync(join(root, 'cat', 'e.png'), 'hello');
  assert.throws(() => loadImageFolder(root), /e\.png is neither a PNG nor a JPEG/);
  assert.throws(() => loadImageFolder(join(dir, 'nope')), /no such folder/);
});

test('PNG of 1-bit depth and palette decode', () => {
  const bits = Uint8Array.from([0b10100000, 0b01000000]); // 3×2: row0 1 0 1, row1 0 1 0
  const f = join(dir, 'bits.png');
  writeFileSync(f, encodePng({ width: 3, height: 2, data: bits, channels: 1, depth: 1 }));
  assert.deepEqual([...readImage(f).data], [1, 0, 1, 0, 1, 0]);
});

test('augmentation: shift moves pixels, crop/rotation/flip keep the shape and are seeded', () => {
  const shape = [1, 5, 5];
  const x = new Float32Array(25);
  x[12] = 1; // centre
  const outs = new Set<number>();
  const g = new Generator(3);
  for (let i = 0; i < 50; i++) {
    const y = randomShift(2)(x.slice(), shape, g);
    assert.equal(
      y.reduce((a, b) => a + b, 0),
      1,
    );
    outs.add(y.indexOf(1));
  }
  assert.equal(outs.size, 25);
  const t = compose(randomCrop(2), randomRotation(15), randomFlip({ horizontal: true, vertical: true }));
  const a = t(x.slice(), shape, new Generator(1));
  const b = t(x.slice(), shape, new Generator(1));
  assert.deepEqual(a, b);
  assert.equal(a.length, 25);
  const r = randomRotation(0)(x.slice(), shape, new Generator(0));
  assert.ok(Math.abs(r[12] - 1) < 1e-6);
  assert.throws(() => randomShift(1)(x, [25], g), /needs image examples/);
});
