// Shape errors: a wrong input size is refused before any computation (no kernel runs), naming the
// layer (or the model's input and the file), the expected and the actual shape — through fit,
// evaluate, predict and the strata command.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encode as encodePng } from 'fast-png';
import { runCli } from '../../src/cli/program.js';
import {
  type Dataset,
  digitsCnn,
  evaluate,
  fit,
  fromTypedArray,
  getBackend,
  predict,
  saveModel,
  StrataError,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-shapes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Counts kernel runs on the current backend while `fn` runs. */
function kernelsRunBy(fn: () => void): number {
  const b = getBackend();
  const orig = b.kernel;
  let n = 0;
  b.kernel = (op) => {
    n++;
    return orig(op);
  };
  try {
    fn();
  } finally {
    b.kernel = orig;
  }
  return n;
}

function refusedBeforeComputing(fn: () => unknown, re: RegExp): void {
  let err: unknown = null;
  const ran = kernelsRunBy(() => {
    try {
      fn();
    } catch (e) {
      err = e;
    }
  });
  assert.ok(err instanceof StrataError, `a StrataError, got ${err}`);
  assert.match((err as Error).message, re);
  assert.equal(ran, 0, 'no kernel ran');
}

const digits = (n: number, h = 28, w = 28): Dataset => ({
  x: new Float32Array(n * h * w).fill(0.5),
  shape: [1, h, w],
  y: Int32Array.from({ length: n }, (_, i) => i % 10),
  classNames: [...'0123456789'],
});

function sink() {
  let text = '';
  const s = {
    write: (c: string) => {
      text += c;
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { s, text: () => text };
}
function strata(...args: string[]) {
  const out = sink();
  const err = sink();
  const code = runCli(args, { stdout: out.s, stderr: err.s });
  return { code, out: out.text(), err: err.text() };
}

function idxFile(path: string, dims: number[], fill = 0): void {
  const n = dims.reduce((a, b) => a * b, 1);
  const b = new Uint8Array(4 + 4 * dims.length + n).fill(fill);
  b.fill(0, 0, 4 + 4 * dims.length);
  b[2] = 8;
  b[3] = dims.length;
  const v = new DataView(b.buffer);
  for (const [i, d] of dims.entries()) v.setUint32(4 + 4 * i, d, false);
  writeFileSync(path, b);
}

describe('a wrong input size is refused before any computation', () => {
  const model = digitsCnn().build({ seed: 0 });

  test('fit names the first layer, the expected and the actual shape', () => {
    refusedBeforeComputing(
      () => fit(model, digits(8, 28, 29), { epochs: 1, progress: false }),
      /the training data examples have shape \[1,28,29\], the model expects \[1,28,28\] \(its first layer is ImageInput 'input'\): nothing was computed/,
    );
  });

  test('evaluate and predict on a data set do the same', () => {
    refusedBeforeComputing(
      () => evaluate(model, digits(4, 27, 28)),
      /the evaluation data examples have shape \[1,27,28\], the model expects \[1,28,28\] \(its first layer is ImageInput 'input'\)/,
    );
  });

  test('predict on a tensor names the model input, the expected and the actual batch shape', () => {
    const x = fromTypedArray(new Float32Array(2 * 3 * 28 * 28), [2, 3, 28, 28]);
    refusedBeforeComputing(
      () => predict(model, x),
      /input: expected a batch of shape \[N,1,28,28\], got \[2,3,28,28\]/,
    );
    refusedBeforeComputing(() => model.predict(fromTypedArray(new Float32Array(28), [28])), /got \[28\]/);
  });

  test('strata predict: an image of another size names the file, the expected and the actual size', () => {
    const m = join(dir, 'model');
    saveModel(model, m, { classNames: [...'0123456789'] });
    const png = join(dir, 'wide.png');
    writeFileSync(
      png,
      encodePng({ width: 30, height: 28, data: new Uint8Array(30 * 28), channels: 1, depth: 8 }),
    );
    const r = strata('predict', m, png);
    assert.equal(r.code, 1);
    assert.match(r.err, /^strata: image: .*wide\.png is 30×28 pixels, expected 28×28 \(width×height\)\n$/);
    assert.equal(r.out, '');
  });

  test('strata evaluate: IDX images of another size name the layer and both shapes', () => {
    const images = join(dir, 'img.idx');
    const labels = join(dir, 'lab.idx');
    idxFile(images, [5, 29, 29]);
    idxFile(labels, [5]);
    const r = strata('evaluate', join(dir, 'model'), '--idx', images, labels);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /examples have shape \[1,29,29\], the model expects \[1,28,28\] \(its first layer is ImageInput 'input'\)/,
    );
  });

  test('strata train: a model config for 28×28 on 29×29 data is refused before training', () => {
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify(digitsCnn().toConfig()));
    const images = join(dir, 'train.idx');
    const labels = join(dir, 'train-labels.idx');
    idxFile(images, [20, 29, 29], 3);
    const lab = new Uint8Array(8 + 20);
    lab[2] = 8;
    lab[3] = 1;
    new DataView(lab.buffer).setUint32(4, 20, false);
    for (let i = 0; i < 20; i++) lab[8 + i] = i % 10;
    writeFileSync(labels, lab);
    const out = join(dir, 'never');
    const r = strata(
      'train',
      '--model',
      cfg,
      '--idx',
      images,
      labels,
      '--epochs',
      '1',
      '--no-progress',
      '--out',
      out,
    );
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /examples have shape \[1,29,29\], the model expects \[1,28,28\] \(its first layer is ImageInput 'input'\)/,
    );
  });
});
