// Interruption: an aborted fit writes a mid-epoch checkpoint that resumes to exactly the weights of an
// uninterrupted run; Ctrl-C (SIGINT) during `strata train` saves one and `--resume` continues; a crash
// in the middle of a save (fault injection between temporary write and rename, between the two files
// of a model, or SIGKILL at a random moment) never leaves a corrupt model or checkpoint in place.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.js';
import {
  type Dataset,
  digitsCnn,
  fit,
  Generator,
  LearningRateScheduler,
  loadCheckpoint,
  loadModel,
  oneCycle,
  randomShift,
  saveCheckpoint,
  saveModel,
} from '../../src/index.js';
import { fromTypedArray } from '../../src/core/creation.js';
import { base } from './_saver_model.js';

/** IDX ubyte data of `dims`, value i from f(i). */
function idx(dims: number[], f: (i: number) => number): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const b = new Uint8Array(4 + 4 * dims.length + n);
  b[2] = 8;
  b[3] = dims.length;
  for (const [i, d] of dims.entries()) new DataView(b.buffer).setUint32(4 + 4 * i, d, false);
  for (let i = 0; i < n; i++) b[4 + 4 * dims.length + i] = f(i);
  return b;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'strata-interrupt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function smallData(): Dataset {
  const g = new Generator(11);
  const n = 96;
  return {
    x: Float32Array.from({ length: n * 144 }, () => g.random()),
    shape: [1, 12, 12],
    y: Int32Array.from({ length: n }, (_, i) => i % 10),
    classNames: [...'0123456789'],
  };
}
const model = () => digitsCnn({ inputShape: [1, 12, 12], filters: [4, 8], hidden: 16 }).build({ seed: 4 });
const state = (m: ReturnType<typeof model>) =>
  [...m.namedState()].map(([k, p]) => [k, Array.from(p.value.data())]);
const opts = () => ({
  epochs: 3,
  batchSize: 16,
  seed: 9,
  progress: false as const,
  augment: randomShift(1),
  callbacks: [new LearningRateScheduler(oneCycle(0.01, 18), 'batch')],
});

describe('an interrupted fit resumes to exactly the uninterrupted weights', () => {
  const data = smallData();
  const whole = model();
  const full = fit(whole, data, opts());

  for (const at of [8, 6])
    test(`interrupted after step ${at}${at === 6 ? ' (the last batch of an epoch)' : ' (inside an epoch)'}`, () => {
      const ckpt = join(dir, `stop${at}.safetensors`);
      const ac = new AbortController();
      const o = opts();
      const first = fit(model(), data, {
        ...o,
        signal: ac.signal,
        interruptCheckpoint: ckpt,
        callbacks: [...o.callbacks, { name: 'stopper', onBatchEnd: (ctx) => ctx.step === at && ac.abort() }],
      });
      assert.equal(first.interrupted, true);
      assert.equal(first.step, at);
      assert.equal(first.checkpoint, ckpt);
      const resumed = model();
      const r = fit(resumed, data, { ...opts(), resumeFrom: ckpt });
      assert.equal(r.interrupted, false);
      assert.equal(r.step, 18);
      assert.deepEqual(state(resumed), state(whole), 'bit-identical weights, buffers and statistics');
      assert.deepEqual(
        r.history.map((h) => [h.loss, h.accuracy]),
        full.history.map((h) => [h.loss, h.accuracy]),
      );
    });
});

describe('Ctrl-C during strata train', () => {
  test('saves a checkpoint, exits 130, and --resume ends with the uninterrupted model', async () => {
    const out = join(dir, 'cli');
    // small IDX files (the bundled digits take a while to parse): 120 random 12×12 "images"
    const g = new Generator(5);
    const images = join(dir, 'images.idx');
    const labels = join(dir, 'labels.idx');
    writeFileSync(
      images,
      idx([120, 12, 12], () => Math.floor(g.random() * 256)),
    );
    writeFileSync(
      labels,
      idx([120], (i) => i % 10),
    );
    const args = ['train', '--idx', images, labels, '--batch-size', '10', '--epochs', '3'];
    args.push('--no-report', '--no-progress', '--seed', '1');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args, '--out', out],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (/\nmodel: /.test(`\n${stdout}`) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 130, `${stdout}\n${stderr}`);
    assert.match(stderr, /SIGINT: finishing the current batch and saving a checkpoint/);
    const ckpt = join(out, 'checkpoints', 'interrupted.safetensors');
    assert.match(
      stdout,
      /interrupted after step \d+: saved .*interrupted\.safetensors; continue with the same command and --resume/,
    );
    assert.ok(existsSync(ckpt));
    assert.ok(!existsSync(join(out, 'model.json')), 'no model is written on interruption');
    const step = Number(/interrupted after step (\d+)/.exec(stdout)![1]);
    assert.ok(step >= 1 && step < 30, `stopped at step ${step} of 30`);

    const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
    const io = { stdout: quiet, stderr: quiet };
    assert.equal(runCli([...args, '--out', out, '--resume', ckpt], io), 0);
    const straight = join(dir, 'cli-straight');
    assert.equal(runCli([...args, '--out', straight], io), 0);
    assert.deepEqual(
      readFileSync(join(out, 'model.safetensors')),
      readFileSync(join(straight, 'model.safetensors')),
      'the resumed model is the uninterrupted one, byte for byte',
    );
  });
});

// ---------------------------------------------------------------- crashes in the middle of a save

const saver = join(root, 'test/robust/_saver.ts');
const init = base()
  .parameters()
  .map((p) => Float32Array.from(p.value.data()));

/** The generation g whose values a loaded model holds (every parameter is its initial value + g). */
function generationOf(m: { parameters(): Array<{ value: { data(): ArrayLike<number> } }> }): number {
  const ps = m.parameters();
  const g = ps[0].value.data()[0] - init[0][0];
  ps.forEach((p, i) => {
    const d = p.value.data();
    for (let k = 0; k < d.length; k += 97)
      assert.ok(Math.abs(d[k] - init[i][k] - g) < 1e-4, 'one generation');
  });
  return Math.round(g);
}

function saveGeneration(folder: string, g: number): void {
  const m = base();
  m.parameters().forEach((p, i) => {
    p.assign(
      fromTypedArray(
        init[i].map((v) => v + g),
        p.value.shape,
      ),
    );
  });
  saveModel(m, folder, { metadata: { generation: g } });
  saveCheckpoint(join(folder, 'checkpoint.safetensors'), { model: m, state: { generation: g } });
}

describe('a crash in the middle of a save leaves the previous model loadable', () => {
  const cases: Array<[string, string, number, number]> = [
    // fault point, what it interrupts, then the generations of the model and of the checkpoint found
    ['atomic-before-rename@1', 'new weights written, not yet renamed', 1, 1],
    ['save-model-between-files', 'new weights in place, model.json not yet', 1, 1],
    ['atomic-mid-write@2', 'model.json half written', 1, 1],
  ];
  for (const [fault, what, gm, gc] of cases)
    test(`STRATA_FAULT=${fault} (${what})`, () => {
      const folder = join(dir, `fault-${fault.replace(/\W/g, '_')}`);
      saveGeneration(folder, 1);
      const r = spawnSync(process.execPath, ['--import', 'tsx', saver, folder, 'once', '2'], {
        cwd: root,
        env: { ...process.env, STRATA_FAULT: fault },
      });
      assert.equal(r.signal, 'SIGKILL', `the child died at the fault point (${r.stderr})`);
      const { model: m, metadata } = loadModel(folder);
      assert.equal(generationOf(m), gm);
      assert.equal(metadata?.generation, gm);
      const c = loadCheckpoint(join(folder, 'checkpoint.safetensors'));
      assert.equal(generationOf(c.model), gc);
      assert.equal(c.state.generation, gc);
      // and the next save goes through, removing the temporary file the killed one left
      saveGeneration(folder, 3);
      assert.equal(generationOf(loadModel(folder).model), 3);
      const left = readdirSync(folder).filter((f) => f.endsWith('.tmp'));
      assert.deepEqual(left, [], 'no temporary file left behind');
    });

  test('SIGKILL at random moments of saving generation after generation: always one whole generation', async () => {
    const g = new Generator(2026);
    for (let k = 0; k < 2; k++) {
      const folder = join(dir, `kill${k}`);
      const child = spawn(process.execPath, ['--import', 'tsx', saver, folder, 'loop'], { cwd: root });
      const delay = 20 + Math.floor(g.random() * 300);
      await new Promise<void>((resolve) => {
        child.stdout.on('data', () => {
          setTimeout(() => child.kill('SIGKILL'), delay);
        });
        child.on('exit', () => resolve());
      });
      const { model: m, metadata } = loadModel(folder);
      const gm = generationOf(m);
      assert.ok(gm >= 1);
      assert.equal(metadata?.generation, gm);
      const c = loadCheckpoint(join(folder, 'checkpoint.safetensors'));
      assert.equal(c.state.generation, generationOf(c.model));
    }
  });
});
