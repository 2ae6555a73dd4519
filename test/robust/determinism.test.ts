// Determinism (the full check, digits-cnn on the bundled digits, is tools/soak/determinism.ts): the
// same seed and thread count give bit-identical weights after 500 steps and identical saved files;
// other thread counts stay within the documented tolerance (no kernel splits a summed dimension
// across threads, so today they are identical too — see docs/ROBUSTNESS.md).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  type Dataset,
  digitsCnn,
  fit,
  Generator,
  getThreads,
  LearningRateScheduler,
  oneCycle,
  randomShift,
  saveModel,
  setThreads,
} from '../../src/index.js';
import { compare, TOLERANCE } from '../../tools/soak/determinism.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-determinism-'));
const threadsBefore = getThreads();
after(() => {
  setThreads(threadsBefore);
  rmSync(dir, { recursive: true, force: true });
});

const STEPS = 500;
const g = new Generator(3);
const data: Dataset = {
  x: Float32Array.from({ length: 160 * 144 }, () => g.random()),
  shape: [1, 12, 12],
  y: Int32Array.from({ length: 160 }, (_, i) => i % 10),
  classNames: [...'0123456789'],
};

/** 500 steps (Adam, one-cycle, shifts, dropout, batch norm) at `threads`; the saved files' hashes. */
function run(threads: number, k: number) {
  setThreads(threads);
  const model = digitsCnn({ inputShape: [1, 12, 12], filters: [4, 8], hidden: 16 }).build({ seed: 0 });
  const ac = new AbortController();
  fit(model, data, {
    epochs: Math.ceil(STEPS / 10),
    batchSize: 16,
    seed: 0,
    progress: false,
    augment: randomShift(1),
    callbacks: [
      new LearningRateScheduler(oneCycle(0.005, STEPS), 'batch'),
      { name: 'stop', onBatchEnd: (ctx) => ctx.step === STEPS && ac.abort() },
    ],
    signal: ac.signal,
  });
  const out = join(dir, `run${k}`);
  saveModel(model, out, { metadata: { steps: STEPS } });
  const file = (f: string) =>
    createHash('sha256')
      .update(readFileSync(join(out, f)))
      .digest('hex');
  const weights = new Float32Array(model.parameters().flatMap((p) => Array.from(p.value.data())));
  return { weights, files: [file('model.json'), file('model.safetensors')] };
}

let two: ReturnType<typeof run>;

test('same seed, same threads: bit-identical weights after 500 steps and identical saved files', () => {
  two = run(2, 0);
  const again = run(2, 1);
  assert.deepEqual(again.files, two.files);
  assert.equal(compare(two.weights, again.weights).differing, 0);
});

test(`1 thread vs 2: within the tolerance (max |Δw| ≤ ${TOLERANCE} × max |w|)`, (t) => {
  const one = run(1, 2);
  const c = compare(two.weights, one.weights);
  assert.ok(c.maxRel <= TOLERANCE, `max relative difference ${c.maxRel}`);
  t.diagnostic(
    `${c.differing} of ${one.weights.length} values differ (max |Δw| ${c.maxAbs}); files ${one.files[1] === two.files[1] ? 'identical' : 'differ'}`,
  );
});
