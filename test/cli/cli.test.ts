import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import { runCli } from '../../src/cli/program.js';
import { loadMnistPackage } from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'strata-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The real command in a child process (exit code and streams as a user sees them). */
function spawnStrata(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same command in this process (fast), output captured. */
function strata(...args: string[]) {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    ({
      write: (s: string) => {
        f(s);
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const code = runCli(args, { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) });
  return { code, out, err };
}

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

const model = join(dir, 'model');
const digits: string[] = [];

before(() => {
  // Two real digits as PNG files, and small IDX files made of real digits.
  const d = loadMnistPackage();
  const take = Array.from({ length: 60 }, (_, i) => i * 166);
  const px = new Uint8Array(take.length * 784);
  take.forEach((j, i) => {
    for (let k = 0; k < 784; k++) px[i * 784 + k] = Math.round(d.x[j * 784 + k] * 255);
  });
  for (const i of [0, 30]) {
    const f = join(dir, `digit${d.y[take[i]]}.png`);
    writeFileSync(
      f,
      encodePng({ width: 28, height: 28, data: px.slice(i * 784, (i + 1) * 784), channels: 1, depth: 8 }),
    );
    digits.push(f);
  }
  writeFileSync(join(dir, 'img.idx'), idxBytes(8, [60, 28, 28], px));
  writeFileSync(
    join(dir, 'lab.idx'),
    idxBytes(
      8,
      [60],
      take.map((j) => d.y[j]),
    ),
  );
});

test('train on a small subset with --json: one JSON line, model.json + model.safetensors saved', () => {
  const r = spawnStrata(
    'train',
    '--limit',
    '200',
    '--epochs',
    '1',
    '--out',
    model,
    '--json',
    '--no-progress',
  );
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 1, r.out);
  const j = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(j), ['testAccuracy', 'epochs', 'seconds']);
  assert.equal(j.epochs, 1);
  assert.ok(j.testAccuracy > 0.1 && j.testAccuracy <= 1);
  assert.match(r.err, /held-out accuracy: .* \(\d+\/2000\)/);
  assert.match(r.err, /confusion matrix/);
  assert.ok(existsSync(join(model, 'model.json')) && existsSync(join(model, 'model.safetensors')));
  const meta = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
  assert.equal(meta.metadata.testAccuracy, j.testAccuracy);
});

test('evaluate, predict and summary on the saved model', () => {
  const e = strata('evaluate', model, '--json');
  assert.equal(e.code, 0, e.err);
  const ej = JSON.parse(e.out);
  assert.equal(ej.examples, 2000);
  assert.equal(ej.confusion.length, 10);
  const p = strata('predict', model, ...digits, '--json');
  assert.equal(p.code, 0, p.err);
  const pj = JSON.parse(p.out);
  assert.equal(pj.length, 2);
  assert.equal(Object.keys(pj[0].probabilities).length, 10);
  const sum = Object.values(pj[0].probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4);
  const pt = strata('predict', model, digits[0]);
  assert.match(pt.out, /digit\d\.png: \d \(\d+\.\d+ %\)/);
  const s = strata('summary', 'digits-cnn');
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /conv1 +Conv2D +\[16,28,28\] +144/);
  assert.match(s.out, /total: 105,914 parameters/);
  assert.match(
    strata('evaluate', model, '--idx', join(dir, 'img.idx'), join(dir, 'lab.idx')).out,
    /on 60 examples/,
  );
});

test('--help on every command', () => {
  for (const c of [[], ['train'], ['evaluate'], ['predict'], ['summary'], ['demo']]) {
    const r = strata(...c, '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: strata/);
  }
});

test('bad input: clear error, non-zero exit, no output written', () => {
  const out = join(dir, 'never');
  const fails = (args: string[], msg: RegExp) => {
    const r = strata(...args, '--out', out, '--no-progress');
    assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
    assert.match(r.err, msg);
    assert.equal(existsSync(out), false, 'no output folder');
  };
  const r = spawnStrata('train', '--idx', join(dir, 'missing.idx'), join(dir, 'lab.idx'), '--out', out);
  assert.equal(r.code, 1);
  assert.equal(r.err, `strata: idx: no such file: ${join(dir, 'missing.idx')}\n`);
  assert.equal(existsSync(out), false);
  fails(['train', '--images', join(dir, 'nofolder')], /no such folder/);
  writeFileSync(
    join(dir, 'lab10.idx'),
    idxBytes(
      8,
      [60],
      Array.from({ length: 60 }, (_, i) => (i === 7 ? 10 : 1)),
    ),
  );
  fails(
    ['train', '--idx', join(dir, 'img.idx'), join(dir, 'lab10.idx')],
    /label 10 at index 7 is out of range 0\.\.9/,
  );
  writeFileSync(join(dir, 'trunc.idx'), readFileSync(join(dir, 'img.idx')).subarray(0, 1000));
  fails(['train', '--idx', join(dir, 'trunc.idx'), join(dir, 'lab.idx')], /truncated/);
  const folder = join(dir, 'pngs');
  mkdirSync(join(folder, 'a'), { recursive: true });
  mkdirSync(join(folder, 'b'), { recursive: true });
  writeFileSync(join(folder, 'a', 'ok.png'), readFileSync(digits[0]));
  writeFileSync(join(folder, 'b', 'broken.png'), readFileSync(digits[1]).subarray(0, 40));
  fails(['train', '--images', folder], /broken\.png is not a valid PNG file/);
  writeFileSync(
    join(folder, 'b', 'broken.png'),
    encodePng({ width: 27, height: 28, data: new Uint8Array(27 * 28), channels: 1, depth: 8 }),
  );
  fails(['train', '--images', folder], /broken\.png is 27×28 pixels, expected 28×28/);
  fails(['train', '--epochs', 'x'], /--epochs: must be an integer >= 1/);
  fails(['train', '--model', join(dir, 'nomodel.json')], /neither a built-in model/);
  // predict: a wrong image size; evaluate: truncated weights.
  const p = strata('predict', model, join(folder, 'b', 'broken.png'));
  assert.notEqual(p.code, 0);
  assert.match(p.err, /broken\.png is 27×28 pixels/);
  const copy = join(dir, 'model-copy');
  mkdirSync(copy);
  writeFileSync(join(copy, 'model.json'), readFileSync(join(model, 'model.json')));
  const w = readFileSync(join(model, 'model.safetensors'));
  writeFileSync(join(copy, 'model.safetensors'), w.subarray(0, w.length - 100));
  const e = strata('evaluate', copy);
  assert.notEqual(e.code, 0);
  assert.match(e.err, /model\.safetensors is truncated|file is truncated/);
});
