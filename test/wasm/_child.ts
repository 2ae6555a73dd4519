// Run by threads.test.ts in a child process (files starting with `_` hold no tests): computes a few
// ops at 2 requested threads and prints their sums as JSON, then simply ends — the worker threads
// must not keep the process alive.
import { kernelVariant } from '../../src/backends/wasm/loader.js';
import { conv2d, getThreads, matmul, randn, setThreads, sum } from '../../src/index.js';

setThreads(2);
const a = randn([96, 80], { seed: 1 });
const b = randn([80, 70], { seed: 2 });
const x = randn([2, 3, 17, 15], { seed: 3 });
const w = randn([5, 3, 3, 3], { seed: 4 });
const out = {
  threads: getThreads(),
  matmul: Array.from(matmul(a, b).data()),
  conv: Array.from(conv2d(x, w, { padding: 1, stride: 2 }).data()),
  sum: sum(x).item(),
  variant: kernelVariant(),
};
console.log(JSON.stringify(out));
