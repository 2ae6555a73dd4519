// Profile of one workload: `npm run profile -- W1 [--threads N] [--seconds S]`. Builds the workload as
// bench/run.ts does (same models, batch, data, step), warms it up with the profiler off, then runs it
// for S seconds (default 2) with the profiler on and prints time per op and per layer, forward and
// backward, in µs per step (training) or per call. `STRATA_PROFILE=1` on any other program (for
// example `STRATA_PROFILE=1 npm run bench -- W1 --threads 1`) prints the same table at exit, warm-up
// and all.
import { conv2d, matmul, noGrad, randn, scope, setThreads } from '../src/index.js';
import { cifarCnn, lenet, trainingStep } from './workloads.js';
import { profileReport, resetProfile, setProfiling } from '../src/core/profile.js';

const setups: Record<string, () => () => void> = {
  W1: () => trainingStep(lenet(), 64, [1, 28, 28]).call,
  W2: () => trainingStep(cifarCnn(), 32, [3, 32, 32]).call,
  W3: () => {
    const x = randn([16, 64, 56, 56], { seed: 3 });
    const w = randn([64, 64, 3, 3], { seed: 4 });
    return () => noGrad(() => conv2d(x, w, { padding: 1 })).dispose();
  },
  W4: () => {
    const model = lenet();
    const x = randn([1, 1, 28, 28], { seed: 6 });
    return () => {
      noGrad(() => scope(() => model.forward(x).data()));
    };
  },
  W5: () => {
    const a = randn([1024, 1024], { seed: 1 });
    const b = randn([1024, 1024], { seed: 2 });
    return () => noGrad(() => matmul(a, b)).dispose();
  },
};

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const id = (args.find((a) => /^W\d$/i.test(a)) ?? 'W1').toUpperCase();
if (!setups[id]) throw new Error(`no workload ${id}; one of ${Object.keys(setups).join(', ')}`);
const threads = opt('--threads', 1);
const seconds = opt('--seconds', 2);
setThreads(threads);
const call = setups[id]();
// Warm-up with the profiler off: the kernels tier up in V8 after the first calls.
const w0 = performance.now();
for (let i = 0; i < 3 || performance.now() - w0 < 500; i++) call();
resetProfile();
setProfiling(true);
const t0 = performance.now();
let n = 0;
do {
  call();
  n++;
} while (performance.now() - t0 < seconds * 1000);
const wall = (performance.now() - t0) / n;
setProfiling(false);
console.log(`${id} on ${threads} thread(s): ${n} calls, ${(wall * 1000).toFixed(0)} µs per call (profiled)`);
console.log(profileReport());
