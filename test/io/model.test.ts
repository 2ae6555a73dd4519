import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  Dense,
  ImageInput,
  loadModel,
  rand,
  ReLU,
  saveModel,
  Sequential,
  Softmax,
  writeFileAtomic,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function small() {
  const m = new Sequential([
    new ImageInput({ shape: [1, 4, 4], normalization: 'zscore' }),
    new Dense({ units: 5 }),
    new ReLU(),
    new Dense({ units: 3 }),
    new Softmax(),
  ]).build({ seed: 3 });
  (m.layers[0] as ImageInput).adapt(rand([20, 1, 4, 4], { seed: 1 }));
  return m;
}

test('save → load → predict gives identical outputs (normalization statistics included)', () => {
  const m = small();
  const out = join(dir, 'm1');
  saveModel(m, out, { classNames: ['a', 'b', 'c'], metadata: { note: 1 } });
  assert.deepEqual(readdirSync(out).sort(), ['model.json', 'model.safetensors']);
  const { model, classNames, metadata } = loadModel(out);
  assert.deepEqual(classNames, ['a', 'b', 'c']);
  assert.deepEqual(metadata, { note: 1 });
  const x = rand([6, 1, 4, 4], { seed: 9 });
  assert.deepEqual(model.predict(x).data(), m.predict(x).data());
  assert.deepEqual(
    model.namedState().get('imageinput.mean')?.value.data(),
    m.namedState().get('imageinput.mean')?.value.data(),
  );
  // Loading via the config path works too.
  assert.ok(loadModel(join(out, 'model.json')).model);
});

test('bad model files give clear errors', () => {
  const m = small();
  const out = join(dir, 'm2');
  saveModel(m, out);
  const w = join(out, 'model.safetensors');
  const c = join(out, 'model.json');
  const good = readFileSync(w);
  writeFileSync(w, good.subarray(0, good.length - 10));
  assert.throws(() => loadModel(out), /model\.safetensors is truncated|the file is truncated/);
  writeFileSync(w, good);
  const cfg = JSON.parse(readFileSync(c, 'utf8'));
  writeFileSync(
    c,
    JSON.stringify({ ...cfg, model: { ...cfg.model, layers: [{ type: 'Evil', config: {} }] } }),
  );
  assert.throws(() => loadModel(out), /unknown layer type 'Evil'/);
  writeFileSync(c, JSON.stringify({ ...cfg, weights: '../../etc/passwd' }));
  assert.throws(() => loadModel(out), /must be a file name in the same folder/);
  writeFileSync(c, JSON.stringify({ ...cfg, weightsSha256: '00' }));
  assert.throws(() => loadModel(out), /SHA-256 differs/);
  writeFileSync(c, '{"format": "other"}');
  assert.throws(() => loadModel(out), /not a Strata model file/);
  writeFileSync(c, '{');
  assert.throws(() => loadModel(out), /not valid JSON/);
  assert.throws(() => loadModel(join(dir, 'nothing')), /no such file or folder/);
  // A weights file from another architecture.
  const other = new Sequential([new ImageInput({ shape: [1, 4, 4] }), new Dense({ units: 2 })]).build();
  saveModel(other, join(dir, 'm3'));
  writeFileSync(c, JSON.stringify({ ...cfg, weightsSha256: undefined }));
  writeFileSync(w, readFileSync(join(dir, 'm3', 'model.safetensors')));
  assert.throws(
    () => loadModel(out),
    /tensor 'dense_1\.weight' is float32 \[2,16\], the model expects float32 \[5,16\]|has no tensor/,
  );
});

test('atomic writes: replace whole, leave no temporary file, and keep the target on failure', () => {
  const f = join(dir, 'atomic', 'x.txt');
  writeFileAtomic(f, 'one');
  writeFileAtomic(f, 'two');
  assert.equal(readFileSync(f, 'utf8'), 'two');
  assert.deepEqual(readdirSync(join(dir, 'atomic')), ['x.txt']);
  // The target is a folder: the rename fails, the error is clear and nothing is left behind.
  const d = join(dir, 'atomic', 'sub');
  mkdirSync(join(d, 'inner'), { recursive: true });
  assert.throws(() => writeFileAtomic(d, 'data'), /cannot write .*sub/);
  assert.deepEqual(readdirSync(join(dir, 'atomic')).sort(), ['sub', 'x.txt']);
  assert.ok(existsSync(join(d, 'inner')));
});
