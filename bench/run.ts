// Strata benchmark workloads (shared/WORKLOADS.md): `npm run bench -- [W1..W5] [--threads N] [--json]`.
// Each workload is warmed up (V8 tiers the kernels up after the first calls), then timed in at least
// five repetitions of at least 0.2 s; the median, min and max rates are reported. Without --threads
// every workload runs on 1 thread and on all cores.
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { kernelVariant } from '../src/backends/wasm/loader.js';
import { conv2d, getThreads, matmul, noGrad, randn, scope, setThreads, type Tensor } from '../src/index.js';
import { cifarCnn, lenet, trainingStep } from './workloads.js';

interface Result {
  workload: string;
  threads: number;
  unit: string;
  median: number;
  min: number;
  max: number;
}

/** Rates per CPU-second, for the table: on a busy machine they show what the cores did when they ran. */
const cpuRates = new Map<Result, number>();

interface Workload {
  id: string;
  title: string;
  unit: string;
  /** Builds the inputs; returns one call of the work and the units of work it does. */
  setup?: () => { call: () => void; work: number };
  /** Latency workloads: the unit is time per call, not a rate. */
  latency?: boolean;
}

const W3_FLOP = 2 * 16 * 64 * 64 * 9 * 56 * 56;
const W5_N = 1024;

const workloads: Workload[] = [
  {
    id: 'W1',
    title: 'LeNet-5 training, batch 64, SGD',
    unit: 'img/s',
    setup: () => trainingStep(lenet(), 64, [1, 28, 28]),
  },
  {
    id: 'W2',
    title: 'CIFAR-size CNN training, batch 32, SGD',
    unit: 'img/s',
    setup: () => trainingStep(cifarCnn(), 32, [3, 32, 32]),
  },
  {
    id: 'W3',
    title: 'conv2d forward 16×64×56×56, 64 filters 3×3, pad 1',
    unit: 'GFLOP/s',
    setup: () => {
      const x = randn([16, 64, 56, 56], { seed: 3 });
      const w = randn([64, 64, 3, 3], { seed: 4 });
      return {
        call: () => {
          noGrad(() => conv2d(x, w, { padding: 1 })).dispose();
        },
        work: W3_FLOP / 1e9,
      };
    },
  },
  {
    id: 'W4',
    title: 'LeNet-5 batch-1 inference latency (10 outputs read back)',
    unit: 'µs',
    latency: true,
    setup: () => {
      const model = lenet();
      const x = randn([1, 1, 28, 28], { seed: 6 });
      return {
        call: () => {
          noGrad(() => scope(() => model.forward(x).data()));
        },
        work: 1,
      };
    },
  },
  {
    id: 'W5',
    title: 'sgemm 1024×1024×1024',
    unit: 'GFLOP/s',
    setup: () => {
      const a = randn([W5_N, W5_N], { seed: 1 });
      const b = randn([W5_N, W5_N], { seed: 2 });
      return {
        call: () => {
          noGrad(() => matmul(a, b)).dispose();
        },
        work: (2 * W5_N ** 3) / 1e9,
      };
    },
  },
];

/** Repetitions of ≥ minSeconds each: the median single-call latency of each, in µs. */
function measureLatency(call: () => void, reps = 5, minSeconds = 0.2): number[] {
  const w0 = performance.now();
  for (let i = 0; i < 10 || performance.now() - w0 < 300; i++) call();
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const times: number[] = [];
    const t0 = performance.now();
    do {
      const c0 = performance.now();
      call();
      times.push((performance.now() - c0) * 1000);
    } while (performance.now() - t0 < minSeconds * 1000);
    out.push(median(times));
  }
  return out;
}

/** Rate per second of this process's CPU time in the last `measure` (the table's "per CPU-s"). */
let lastCpuRate = 0;

/** Repetitions of ≥ minSeconds each: rates in work units per second. */
function measure(call: () => void, work: number, reps = 5, minSeconds = 0.2): number[] {
  // warm-up: a few calls and at least 0.3 s
  const w0 = performance.now();
  for (let i = 0; i < 3 || performance.now() - w0 < 300; i++) call();
  const rates: number[] = [];
  const cpu0 = process.cpuUsage();
  let total = 0;
  for (let r = 0; r < reps; r++) {
    let n = 0;
    const t0 = performance.now();
    let dt = 0;
    do {
      call();
      n++;
      dt = (performance.now() - t0) / 1000;
    } while (dt < minSeconds);
    rates.push((n * work) / dt);
    total += n * work;
  }
  const c = process.cpuUsage(cpu0);
  lastCpuRate = total / ((c.user + c.system) / 1e6);
  return rates;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Collects the garbage the previous workload left (its model, optimizer state and tensors, freed
 * through the FinalizationRegistry) before the next one is measured, so that the collector's work on
 * one workload's leftovers does not land in another's timing (with two threads on two cores, a
 * concurrent marking thread takes a core from the kernels).
 */
async function settle(): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  await new Promise((r) => setTimeout(r, 20));
  gc();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const ti = args.indexOf('--threads');
  const threadList = ti >= 0 ? [Number(args[ti + 1])] : [...new Set([1, availableParallelism()])];
  if (threadList.some((t) => !Number.isInteger(t) || t < 1))
    throw new Error('--threads needs a positive integer');
  const ids = args
    .filter((a, i) => /^W\d$/i.test(a) && args[i - 1] !== '--threads')
    .map((a) => a.toUpperCase());
  const chosen = ids.length ? workloads.filter((w) => ids.includes(w.id)) : workloads;
  const results: Result[] = [];
  for (const w of chosen) {
    if (!w.setup) {
      if (json) console.log(JSON.stringify({ workload: w.id, unit: w.unit, error: 'not yet implemented' }));
      else console.log(`${w.id}  ${w.title}: not yet implemented`);
      continue;
    }
    await settle();
    const { call, work } = w.setup();
    for (const t of threadList) {
      setThreads(t);
      const rates = w.latency ? measureLatency(call) : measure(call, work);
      const r: Result = {
        workload: w.id,
        threads: getThreads(),
        unit: w.unit,
        median: round(median(rates)),
        min: round(Math.min(...rates)),
        max: round(Math.max(...rates)),
      };
      results.push(r);
      if (!w.latency) cpuRates.set(r, lastCpuRate);
      if (json) console.log(JSON.stringify(r));
    }
  }
  if (!json && results.length) {
    console.log('');
    console.log('workload  threads  unit        median      min      max  per CPU-s');
    for (const r of results) {
      const c = cpuRates.get(r);
      console.log(
        `${r.workload.padEnd(8)}  ${String(r.threads).padStart(7)}  ${r.unit.padEnd(8)}  ${fmt(r.median)}  ${fmt(r.min)}  ${fmt(r.max)}  ${c === undefined ? '' : fmt(c)}`,
      );
    }
    console.log('(per CPU-s: work per second of CPU time of this process, all its threads together)');
    console.log(
      `(wasm kernels: the ${kernelVariant() === 'fma' ? 'fused multiply-add' : 'plain SIMD'} build)`,
    );
  }
}

const round = (v: number) => Math.round(v * 100) / 100;
const fmt = (v: number) => v.toFixed(1).padStart(7);

await main();

export type { Tensor };
