/**
 * npm run soak [-- --steps 10000] [--batch-size 64] [--limit n] [--warmup 2] [--json]
 *
 * The memory soak: trains the default CNN (digits-cnn on the bundled digits, the main job's setup:
 * 8,000 training digits, Adam with a one-cycle schedule, random shifts of ±2 px) for `steps` steps and
 * never calls dispose. Checks: the live tensor count is the same at every epoch end after the warm-up
 * epochs; the wasm heap does not grow after them; the resident set size at the last step is at most
 * 5 % above the one at step 1,000 (each read after a garbage collection; the raw readings are printed
 * too; a lower RSS passes: the process gave memory back).
 * Ends with `PASS`/`FAIL` lines, or with --json one JSON line of the figures. Exit status 1 on a failure.
 */
import { fileURLToPath } from 'node:url';
import '../../src/index.js';
import { getThreads } from '../../src/backends/wasm/index.js';
import { stratifiedSplit } from '../../src/data/dataset.js';
import { loadMnistPackage } from '../../src/data/mnist.js';
import { randomShift } from '../../src/data/transforms.js';
import { memoryInfo } from '../../src/core/meminfo.js';
import { oneCycle } from '../../src/optim/schedules.js';
import { LearningRateScheduler } from '../../src/train/callbacks.js';
import { fit } from '../../src/train/fit.js';
import { digitsCnn } from '../../src/train/zoo.js';
import { collect } from '../fuzz/harness.js';

export interface SoakOptions {
  steps: number;
  batchSize: number;
  /** Train on this many of the 8,000 training digits (stratified), for a short soak. */
  limit?: number;
  /** Epochs whose end is not checked (allocator and JIT warm-up). */
  warmupEpochs: number;
  /** The step whose RSS is the reference (1,000; a short soak uses a third of its steps). */
  referenceStep: number;
  /** Allowed RSS growth between the reference step and the last (default 5 %). */
  rssTolerance?: number;
  log?: (line: string) => void;
}

export interface EpochMemory {
  epoch: number;
  step: number;
  liveTensors: number;
  liveStorages: number;
  wasmHeapBytes: number;
  wasmBytesInUse: number;
  rssBytes: number;
  jsHeapUsedBytes: number;
}

export interface SoakResult {
  steps: number;
  batchSize: number;
  trainExamples: number;
  epochs: number;
  threads: number;
  seconds: number;
  epochEnds: EpochMemory[];
  liveTensorsAfterWarmup: number[];
  wasmHeapAfterWarmup: number[];
  rssAtReference: { step: number; bytes: number; rawBytes: number };
  rssAtEnd: { step: number; bytes: number; rawBytes: number };
  rssChange: number;
  /** RSS at epoch ends after warm-up: lowest and highest. */
  rssRangeAfterWarmup: [number, number];
  checks: { liveTensorsConstant: boolean; wasmHeapStopsGrowing: boolean; rssWithinTolerance: boolean };
  pass: boolean;
}

function rssAfterGc(): { bytes: number; rawBytes: number } {
  const rawBytes = process.memoryUsage.rss();
  collect();
  return { bytes: process.memoryUsage.rss(), rawBytes };
}

export function runSoak(o: SoakOptions): SoakResult {
  const log = o.log ?? (() => {});
  const { train: all } = stratifiedSplit(loadMnistPackage(), 2000, 0);
  const data = o.limit && o.limit < all.y.length ? stratifiedSplit(all, o.limit, 0).test : all;
  const model = digitsCnn().build({ seed: 0 });
  const stepsPerEpoch = Math.ceil(data.y.length / o.batchSize);
  const epochs = Math.ceil(o.steps / stepsPerEpoch);
  const epochEnds: EpochMemory[] = [];
  let reference = { step: o.referenceStep, bytes: 0, rawBytes: 0 };
  let end = { step: o.steps, bytes: 0, rawBytes: 0 };
  const ac = new AbortController();
  const t0 = performance.now();
  log(
    `soak: digits-cnn, ${o.steps} steps of batch ${o.batchSize} on ${data.y.length} digits (${epochs} epochs), ${getThreads()} thread(s), no dispose`,
  );
  fit(model, data, {
    epochs,
    batchSize: o.batchSize,
    seed: 0,
    progress: false,
    augment: randomShift(2),
    optimizer: 'adam',
    callbacks: [
      new LearningRateScheduler(oneCycle(0.002, Math.max(2, o.steps)), 'batch'),
      {
        name: 'soak',
        onBatchEnd(ctx) {
          if (ctx.step === o.referenceStep) reference = { step: ctx.step, ...rssAfterGc() };
          if (ctx.step === o.steps) {
            end = { step: ctx.step, ...rssAfterGc() };
            ac.abort();
          }
        },
        onEpochEnd(ctx, logs) {
          const m = memoryInfo();
          const e: EpochMemory = {
            epoch: logs.epoch,
            step: ctx.step,
            liveTensors: m.liveTensors,
            liveStorages: m.liveStorages,
            wasmHeapBytes: m.heapBytes,
            wasmBytesInUse: m.bytesInUse,
            rssBytes: process.memoryUsage.rss(),
            jsHeapUsedBytes: process.memoryUsage().heapUsed,
          };
          epochEnds.push(e);
          log(
            `epoch ${e.epoch} (step ${e.step}): loss ${logs.loss.toFixed(4)}, ${e.liveTensors} live tensors, wasm heap ${(e.wasmHeapBytes / 2 ** 20).toFixed(1)} MiB (${(e.wasmBytesInUse / 2 ** 20).toFixed(1)} in use), RSS ${(e.rssBytes / 2 ** 20).toFixed(1)} MiB`,
          );
        },
      },
    ],
    signal: ac.signal,
  });
  const after = epochEnds.filter((e) => e.epoch > o.warmupEpochs);
  const live = after.map((e) => e.liveTensors);
  const heap = after.map((e) => e.wasmHeapBytes);
  const rssChange = (end.bytes - reference.bytes) / reference.bytes;
  const checks = {
    liveTensorsConstant: live.length > 0 && live.every((v) => v === live[0]),
    wasmHeapStopsGrowing: heap.length > 0 && heap.every((v) => v === heap[0]),
    // growth is what a leak looks like; the process giving memory back to the system is not one
    rssWithinTolerance: rssChange <= (o.rssTolerance ?? 0.05),
  };
  return {
    steps: o.steps,
    batchSize: o.batchSize,
    trainExamples: data.y.length,
    epochs: epochEnds.length,
    threads: getThreads(),
    seconds: (performance.now() - t0) / 1000,
    epochEnds,
    liveTensorsAfterWarmup: [...new Set(live)],
    wasmHeapAfterWarmup: [...new Set(heap)],
    rssAtReference: reference,
    rssAtEnd: end,
    rssChange,
    rssRangeAfterWarmup: [
      Math.min(...after.map((e) => e.rssBytes)),
      Math.max(...after.map((e) => e.rssBytes)),
    ],
    checks,
    pass: checks.liveTensorsConstant && checks.wasmHeapStopsGrowing && checks.rssWithinTolerance,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (n: string, d: string) => {
    const i = process.argv.indexOf(`--${n}`);
    return i >= 0 ? process.argv[i + 1] : d;
  };
  const json = process.argv.includes('--json');
  const say = (s: string) => (json ? process.stderr : process.stdout).write(`${s}\n`);
  const steps = Number(arg('steps', '10000'));
  const limit = process.argv.includes('--limit') ? Number(arg('limit', '0')) : undefined;
  const r = runSoak({
    steps,
    batchSize: Number(arg('batch-size', '64')),
    limit,
    warmupEpochs: Number(arg('warmup', '2')),
    referenceStep: Math.min(1000, Math.floor(steps / 3)),
    log: say,
  });
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  say(
    `${r.checks.liveTensorsConstant ? 'PASS' : 'FAIL'} live tensors at epoch ends after warm-up: ${r.liveTensorsAfterWarmup.join(', ')}`,
  );
  say(
    `${r.checks.wasmHeapStopsGrowing ? 'PASS' : 'FAIL'} wasm heap after warm-up: ${r.wasmHeapAfterWarmup.map(mib).join(', ')}`,
  );
  say(
    `${r.checks.rssWithinTolerance ? 'PASS' : 'FAIL'} RSS at step ${r.rssAtEnd.step}: ${mib(r.rssAtEnd.bytes)} vs ${mib(r.rssAtReference.bytes)} at step ${r.rssAtReference.step} (${(100 * r.rssChange).toFixed(2)} %, at most +5 %; raw ${mib(r.rssAtEnd.rawBytes)} vs ${mib(r.rssAtReference.rawBytes)}; after warm-up between ${mib(r.rssRangeAfterWarmup[0])} and ${mib(r.rssRangeAfterWarmup[1])})`,
  );
  say(`${r.steps} steps in ${r.seconds.toFixed(0)} s`);
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exitCode = r.pass ? 0 : 1;
}
