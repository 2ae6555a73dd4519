/**
 * node --import tsx tools/soak/determinism.ts [--steps 500] [--batch-size 64] [--threads 1,1,2,2,3,4] [--json]
 *
 * Determinism: trains the default CNN (digits-cnn on the bundled digits, the main job's setup: Adam,
 * one-cycle schedule, random shifts, dropout, batch normalization) for `steps` steps with seed 0 in a
 * fresh process per run, at the thread counts listed, and saves each model with saveModel. Runs at the
 * same thread count must give bit-identical weights and identical files (model.json and
 * model.safetensors, compared by SHA-256); runs at different thread counts are compared element by
 * element (max |Δw| and max |Δw| / max |w|) against the documented tolerance. Exit status 1 on a failure.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Across thread counts: max |Δw| ≤ TOLERANCE × max |w| (documented in docs/ROBUSTNESS.md). */
export const TOLERANCE = 1e-5;

async function child(threads: number, steps: number, batchSize: number, out: string): Promise<void> {
  const { setThreads, getThreads } = await import('../../src/backends/wasm/index.js');
  await import('../../src/index.js');
  const { stratifiedSplit } = await import('../../src/data/dataset.js');
  const { loadMnistPackage } = await import('../../src/data/mnist.js');
  const { randomShift } = await import('../../src/data/transforms.js');
  const { oneCycle } = await import('../../src/optim/schedules.js');
  const { LearningRateScheduler } = await import('../../src/train/callbacks.js');
  const { fit } = await import('../../src/train/fit.js');
  const { digitsCnn } = await import('../../src/train/zoo.js');
  const { saveModel } = await import('../../src/io/model.js');
  setThreads(threads);
  if (getThreads() !== threads) throw new Error(`asked for ${threads} threads, got ${getThreads()}`);
  const { train } = stratifiedSplit(loadMnistPackage(), 2000, 0);
  const model = digitsCnn().build({ seed: 0 });
  const ac = new AbortController();
  const t0 = performance.now();
  fit(model, train, {
    epochs: Math.ceil(steps / Math.ceil(train.y.length / batchSize)),
    batchSize,
    seed: 0,
    progress: false,
    augment: randomShift(2),
    callbacks: [
      new LearningRateScheduler(oneCycle(0.002, steps), 'batch'),
      { name: 'stop', onBatchEnd: (ctx) => ctx.step === steps && ac.abort() },
    ],
    signal: ac.signal,
  });
  saveModel(model, out, { classNames: train.classNames, metadata: { steps, seed: 0 } });
  process.stdout.write(`${JSON.stringify({ threads, seconds: (performance.now() - t0) / 1000 })}\n`);
}

export interface Run {
  threads: number;
  seconds: number;
  weightsSha256: string;
  configSha256: string;
  weights: Float32Array;
}

function sha(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

/** The float32 values of a model.safetensors, all tensors in file order (names sorted by the writer). */
function values(p: string): Float32Array {
  const b = readFileSync(p);
  const n = Number(b.readBigUInt64LE(0));
  const data = b.subarray(8 + n);
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export function compare(
  a: Float32Array,
  b: Float32Array,
): { maxAbs: number; maxRel: number; differing: number } {
  let maxAbs = 0;
  let maxW = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) differing++;
    maxAbs = Math.max(maxAbs, d);
    maxW = Math.max(maxW, Math.abs(a[i]));
  }
  return { maxAbs, maxRel: maxW ? maxAbs / maxW : 0, differing };
}

async function main(): Promise<void> {
  const arg = (n: string, d: string) => {
    const i = process.argv.indexOf(`--${n}`);
    return i >= 0 ? process.argv[i + 1] : d;
  };
  const steps = Number(arg('steps', '500'));
  const batchSize = Number(arg('batch-size', '64'));
  if (process.argv.includes('--child')) {
    await child(Number(arg('child', '1')), steps, batchSize, arg('out', ''));
    return;
  }
  const json = process.argv.includes('--json');
  const say = (s: string) => (json ? process.stderr : process.stdout).write(`${s}\n`);
  const threadList = arg('threads', '1,1,2,2,3,4').split(',').map(Number);
  const root = mkdtempSync(join(tmpdir(), 'strata-determinism-'));
  const me = fileURLToPath(import.meta.url);
  const runs: Run[] = [];
  try {
    for (const [k, t] of threadList.entries()) {
      const out = join(root, `run${k}`);
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          me,
          '--child',
          String(t),
          '--steps',
          String(steps),
          '--batch-size',
          String(batchSize),
          '--out',
          out,
        ],
        { encoding: 'utf8', env: { ...process.env, STRATA_THREADS: String(t) } },
      );
      if (r.status !== 0) throw new Error(`run ${k} (${t} threads) failed: ${r.stderr}`);
      const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
      runs.push({
        threads: t,
        seconds: info.seconds,
        weightsSha256: sha(join(out, 'model.safetensors')),
        configSha256: sha(join(out, 'model.json')),
        weights: values(join(out, 'model.safetensors')),
      });
      const last = runs[runs.length - 1];
      say(
        `run ${k}: ${t} thread(s), ${steps} steps of batch ${batchSize} in ${info.seconds.toFixed(1)} s; model.safetensors ${last.weightsSha256.slice(0, 16)}…, model.json ${last.configSha256.slice(0, 16)}…`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  let ok = true;
  const sameThreads: Array<{ threads: number; identical: boolean }> = [];
  const across: Array<{ threads: [number, number]; maxAbs: number; maxRel: number; differing: number }> = [];
  for (const t of [...new Set(threadList)]) {
    const rs = runs.filter((r) => r.threads === t);
    if (rs.length < 2) continue;
    const identical = rs.every(
      (r) => r.weightsSha256 === rs[0].weightsSha256 && r.configSha256 === rs[0].configSha256,
    );
    ok &&= identical;
    sameThreads.push({ threads: t, identical });
    say(`${identical ? 'PASS' : 'FAIL'} ${t} thread(s), ${rs.length} runs: identical files (SHA-256)`);
  }
  const first = runs[0];
  for (const r of runs.filter(
    (x) => x.threads !== first.threads && x === runs.find((y) => y.threads === x.threads),
  )) {
    const c = compare(first.weights, r.weights);
    const pass = c.maxRel <= TOLERANCE;
    ok &&= pass;
    across.push({ threads: [first.threads, r.threads], ...c });
    say(
      `${pass ? 'PASS' : 'FAIL'} ${first.threads} vs ${r.threads} threads: ${c.differing} of ${first.weights.length} values differ, max |Δw| ${c.maxAbs}, relative ${c.maxRel} (tolerance ${TOLERANCE})`,
    );
  }
  if (json)
    process.stdout.write(
      `${JSON.stringify({
        steps,
        batchSize,
        runs: runs.map(({ weights: _w, ...r }) => r),
        sameThreads,
        across,
        tolerance: TOLERANCE,
        pass: ok,
      })}\n`,
    );
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
