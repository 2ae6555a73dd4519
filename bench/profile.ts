// Profile of one workload: `npm run profile -- W1 [--threads N] [--seconds S]`. Builds the workload as
// bench/run.ts does (same models, batch, data, step), warms it up with the profiler off, then runs it
// for S seconds (default 2) with the profiler on and prints time per op and per layer, forward and
// backward, in µs per step (training) or per call. `STRATA_PROFILE=1` on any other program (for
// example `STRATA_PROFILE=1 npm run bench -- W1 --threads 1`) prints the same table at exit, warm-up
// and all.
import {
  ClassificationOutput,
  Conv2D,
  conv2d,
  Dense,
  Flatten,
  type Layer,
  MaxPool2D,
  type Model,
  matmul,
  noGrad,
  outputLayerOf,
  ReLU,
  randn,
  SGD,
  Sequential,
  scope,
  setThreads,
  tensor,
  valueAndGradOf,
} from '../src/index.js';
import { profileReport, resetProfile, setProfiling } from '../src/core/profile.js';

function lenet(): Model {
  return new Sequential(
    [
      new Conv2D({ filters: 6, kernelSize: 5, padding: 2 }),
      new ReLU(),
      new MaxPool2D({ kernelSize: 2 }),
      new Conv2D({ filters: 16, kernelSize: 5 }),
      new ReLU(),
      new MaxPool2D({ kernelSize: 2 }),
      new Flatten(),
      new Dense({ units: 120 }),
      new ReLU(),
      new Dense({ units: 84 }),
      new ReLU(),
      new Dense({ units: 10 }),
      new ClassificationOutput(),
    ],
    { inputShape: [1, 28, 28] },
  ).build({ seed: 1 });
}

function cifarCnn(): Model {
  const conv = (f: number): Layer[] => [new Conv2D({ filters: f, kernelSize: 3, padding: 1 }), new ReLU()];
  return new Sequential(
    [
      ...conv(32),
      ...conv(32),
      new MaxPool2D({ kernelSize: 2 }),
      ...conv(64),
      ...conv(64),
      new MaxPool2D({ kernelSize: 2 }),
      new Flatten(),
      new Dense({ units: 256 }),
      new ReLU(),
      new Dense({ units: 10 }),
      new ClassificationOutput(),
    ],
    { inputShape: [3, 32, 32] },
  ).build({ seed: 1 });
}

function trainingStep(model: Model, batch: number, shape: number[]): () => void {
  const out = outputLayerOf(model.layers)!;
  const params = model.parameters();
  const opt = new SGD({ lr: 0.01 });
  const x = randn([batch, ...shape], { seed: 5 });
  const y = tensor(
    Array.from({ length: batch }, (_, i) => i % 10),
    undefined,
    { dtype: 'int32' },
  );
  return () =>
    scope(() => {
      const { value, grads } = valueAndGradOf(
        () => out.loss(model.forward(x, { training: true }), y),
        params.map((p) => p.value),
      );
      opt.step(params, grads);
      return value.item();
    });
}

const setups: Record<string, () => () => void> = {
  W1: () => trainingStep(lenet(), 64, [1, 28, 28]),
  W2: () => trainingStep(cifarCnn(), 32, [3, 32, 32]),
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
