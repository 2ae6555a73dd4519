import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { getBackend } from '../../src/core/backend.js';
import { StrataError } from '../../src/core/errors.js';
import { applyPlan, inputSeed, type Plan, planFor } from './mutate.js';
import type { Target } from './targets.js';

/**
 * Mutate-and-classify: every mutated input must either load or be rejected with a StrataError, within
 * the time limit and the memory bound. Anything else — another exception escaping (TypeError,
 * RangeError, a plain Error), a slow input, an input whose loading grew the memory past the bound — is
 * a failure, reported with the input's seed (replayable alone).
 */
export interface FuzzOptions {
  /** Mutated inputs per loader. */
  count: number;
  /** The run's seed; each input's seed derives from it, the loader and the input's index. */
  seed: number;
  /** Per input (default 100 ms); a slow input is timed twice more and judged on its fastest run. */
  timeLimitMs?: number;
  /**
   * Memory growth allowed per input: base + perByte × input size (default 32 MiB + 32 × size), counting
   * the JS heap and array buffers, and the wasm heap beyond one step of its allocator (an eighth).
   */
  memBaseBytes?: number;
  memPerByte?: number;
  /** Called as failures happen. */
  onFailure?(f: Failure): void;
}

export interface Failure {
  loader: string;
  index: number;
  seed: number;
  kind: 'exception' | 'time' | 'memory';
  message: string;
}

export interface LoaderResult {
  loader: string;
  runs: number;
  loaded: number;
  rejected: number;
  failed: number;
  /** Slowest input (ms) and largest memory growth of an input (bytes). */
  maxMs: number;
  maxGrowthBytes: number;
  /** The wasm heap's size after the run (it only grows). */
  wasmHeapBytes: number;
  seconds: number;
  seed: number;
  failures: Failure[];
}

export type Outcome =
  | { kind: 'loaded' }
  | { kind: 'rejected'; message: string }
  | { kind: 'exception'; message: string };

let gcFn: (() => void) | null | undefined;
/** The garbage collector (made reachable at run time), to start from a settled heap now and then. */
export function collect(): void {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
}

/** JS heap and array buffers, and the wasm heap (its size: nothing ever shrinks it). */
function memNow(): { js: number; wasm: number } {
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.arrayBuffers, wasm: getBackend().memory().heapBytes };
}

/** Loads one input and classifies the result. */
export function classify(target: Target, bytes: Uint8Array, plan: Plan): Outcome {
  try {
    target.load(bytes, plan);
    return { kind: 'loaded' };
  } catch (e) {
    if (e instanceof StrataError) return { kind: 'rejected', message: e.message };
    const err = e as Error;
    return {
      kind: 'exception',
      message: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}${err?.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : ''}`,
    };
  }
}

/** The mutated bytes of input `seed` of a target. */
export function inputOf(target: Target, seed: number): { plan: Plan; bytes: Uint8Array } {
  const plan = planFor(seed);
  return { plan, bytes: applyPlan(target.seeds(), plan, target) };
}

/**
 * A watchdog thread: a loader that never returns cannot be interrupted from its own thread, so a
 * second thread watches a heartbeat in shared memory and, past `hangMs`, prints the loader and the
 * seed of the input and ends the process.
 */
export class Watchdog {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly worker: Worker;
  constructor(names: string[], hangMs = 20000) {
    const sab = new SharedArrayBuffer(32);
    this.i32 = new Int32Array(sab, 0, 4);
    this.f64 = new Float64Array(sab, 16, 2);
    const src = `
      const { workerData } = require('node:worker_threads');
      const { writeSync } = require('node:fs');
      const { sab, names, hangMs } = workerData;
      const i32 = new Int32Array(sab, 0, 4);
      const f64 = new Float64Array(sab, 16, 2);
      setInterval(() => {
        if (Atomics.load(i32, 0) !== 1) return;
        if (Date.now() - f64[0] > hangMs) {
          writeSync(2, '\\nfuzz: ' + names[Atomics.load(i32, 1)] + ': the input with seed ' + (f64[1] >>> 0) +
            ' has run for more than ' + hangMs / 1000 + ' s (a hang); stopping\\n');
          process.kill(process.pid, 'SIGTERM');
        }
      }, 250);`;
    this.worker = new Worker(src, { eval: true, workerData: { sab, names, hangMs } });
    this.worker.unref();
  }
  begin(loader: number, seed: number): void {
    this.f64[0] = Date.now();
    this.f64[1] = seed;
    Atomics.store(this.i32, 1, loader);
    Atomics.store(this.i32, 0, 1);
  }
  end(): void {
    Atomics.store(this.i32, 0, 0);
  }
  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Fuzzes one loader. `index` is the loader's position in the run (it enters the input seeds). */
export function fuzzLoader(target: Target, index: number, opts: FuzzOptions, dog?: Watchdog): LoaderResult {
  const limit = opts.timeLimitMs ?? 100;
  const memBase = opts.memBaseBytes ?? 32 * 2 ** 20;
  const perByte = opts.memPerByte ?? 32;
  const t0 = performance.now();
  const res: LoaderResult = {
    loader: target.name,
    runs: 0,
    loaded: 0,
    rejected: 0,
    failed: 0,
    maxMs: 0,
    maxGrowthBytes: 0,
    wasmHeapBytes: 0,
    seconds: 0,
    seed: opts.seed,
    failures: [],
  };
  const fail = (f: Failure) => {
    res.failed++;
    if (res.failures.length < 50) res.failures.push(f);
    opts.onFailure?.(f);
  };
  // Warm-up: every seed loads unmutated (else the harness is broken), thrice, so that timing starts
  // from compiled code and memory from warm caches.
  const seeds = target.seeds();
  for (let r = 0; r < 3; r++)
    seeds.forEach((s, i) => {
      const o = classify(target, s, { seed: i, mutations: [], variant: r });
      if (o.kind !== 'loaded')
        throw new Error(`fuzz: seed file ${i} of ${target.name} does not load: ${o.message}`);
    });
  collect();
  for (let i = 0; i < opts.count; i++) {
    if (i % 250 === 0) collect();
    const seed = inputSeed(opts.seed, index, i);
    const { plan, bytes } = inputOf(target, seed);
    dog?.begin(index, seed);
    const m0 = memNow();
    let s = performance.now();
    let o = classify(target, bytes, plan);
    let ms = performance.now() - s;
    const m1 = memNow();
    // The wasm heap grows by at least an eighth of its size at a time (the caching allocator's step):
    // one such step is the allocator's, not the input's.
    const wasmGrowth = Math.max(0, m1.wasm - m0.wasm - m0.wasm / 8);
    const growth = m1.js - m0.js + wasmGrowth;
    // A slow input is timed again (the machine may be busy): judged on its fastest of three runs.
    for (let k = 0; k < 2 && ms > limit; k++) {
      s = performance.now();
      o = classify(target, bytes, plan);
      ms = Math.min(ms, performance.now() - s);
    }
    dog?.end();
    res.runs++;
    res.maxMs = Math.max(res.maxMs, ms);
    res.maxGrowthBytes = Math.max(res.maxGrowthBytes, growth);
    const base = { loader: target.name, index: i, seed };
    if (o.kind === 'exception') fail({ ...base, kind: 'exception', message: o.message });
    else if (ms > limit)
      fail({ ...base, kind: 'time', message: `took ${ms.toFixed(1)} ms (limit ${limit} ms)` });
    else if (growth > memBase + perByte * bytes.length)
      fail({
        ...base,
        kind: 'memory',
        message: `memory grew by ${(growth / 2 ** 20).toFixed(1)} MiB for a ${bytes.length}-byte input`,
      });
    else if (o.kind === 'loaded') res.loaded++;
    else res.rejected++;
  }
  res.seconds = (performance.now() - t0) / 1000;
  res.wasmHeapBytes = memNow().wasm;
  return res;
}
