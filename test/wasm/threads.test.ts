// The thread pool: identical results at any thread count, a dying worker surfaces as a StrataError
// (never a hang) and the pool comes back, a trapping kernel is an error on any thread, the one-thread
// mode without shared memory gives the same results, and workers never keep a process alive.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getThreads, setThreads, wasmRuntime } from '../../src/backends/wasm/index.js';
import { conv2d, matmul, randn, StrataError, setBackend } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function child(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, '_child.ts')], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `child exited with ${r.status} (signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('thread pool', () => {
  test('results are bitwise identical at 1 and 2 threads', () => {
    setBackend('wasm');
    const a = randn([300, 257], { seed: 1 });
    const b = randn([257, 190], { seed: 2 });
    const x = randn([3, 16, 20, 19], { seed: 3 });
    const w = randn([24, 16, 3, 3], { seed: 4 });
    const big = randn([262, 600], { seed: 9 });
    const bigB = randn([600, 250], { seed: 10 });
    const xd = randn([2, 8, 12, 32], { seed: 7 });
    const wd = randn([12, 8, 3, 3], { seed: 8 });
    const row = randn([1, 1031], { seed: 5 });
    const wt = randn([517, 1031], { seed: 6 });
    const run = () => [
      matmul(a, b).data(),
      // large enough for the packed-once B block shared by the threads
      matmul(big, bigB).data(),
      matmul(bigB, big, { transA: true, transB: true }).data(),
      // one row (a Dense layer at batch 1), large enough to be split: the unpacked path
      matmul(row, wt, { transB: true }).data(),
      matmul(row, wt.transpose()).data(),
      conv2d(x, w, { padding: 1 }).data(),
      conv2d(x.slice([0], [1]), w).data(),
      // the direct forward path, split by images and (one image) by output rows
      conv2d(xd, wd, { padding: 1 }).data(),
      conv2d(xd.slice([0], [1]), wd, { padding: 1 }).data(),
    ];
    setThreads(1);
    const one = run();
    setThreads(2);
    assert.equal(getThreads(), 2);
    const two = run();
    one.forEach((o, i) => {
      assert.deepEqual(Array.from(two[i]), Array.from(o), `output ${i}`);
    });
  });

  test('a worker that dies is a StrataError, and the pool restarts', () => {
    setBackend('wasm');
    setThreads(2);
    const a = randn([256, 256], { seed: 5 });
    const want = Array.from(matmul(a, a).data());
    wasmRuntime().killWorkerOnNextJob(1);
    // the worker dies when it claims a share; the calling thread may take the share of a worker that
    // is slow to wake, so the death can surface an op or two later
    let error: unknown = null;
    for (let i = 0; i < 50 && !error; i++)
      try {
        matmul(a, a);
      } catch (e) {
        error = e;
      }
    assert.ok(error instanceof StrataError && /worker thread 1 died/.test(error.message), String(error));
    // the next op runs on a fresh pool, on both threads again
    assert.equal(getThreads(), 2);
    assert.deepEqual(Array.from(matmul(a, a).data()), want);
  });

  test('a kernel that traps is a StrataError on the calling thread and on a worker', () => {
    setThreads(2);
    assert.throws(() => wasmRuntime().trapTest(1), /trapped/);
    // the trapping share runs on the worker, or on the calling thread when it takes it over
    assert.throws(() => wasmRuntime().trapTest(2), /trapped/);
    // and the pool still works
    const a = randn([200, 200], { seed: 6 });
    assert.equal(matmul(a, a).shape[0], 200);
  });

  test('without shared memory: one thread, same results', () => {
    const shared = child({ STRATA_THREADS: '2' });
    const single = child({ STRATA_WASM_SHARED: '0', STRATA_THREADS: '2' });
    assert.equal(shared.threads, 2);
    assert.equal(single.threads, 1);
    assert.deepEqual(single.matmul, shared.matmul);
    assert.deepEqual(single.conv, shared.conv);
    assert.equal(single.sum, shared.sum);
  });

  test('the fused multiply-add build where the engine takes it; STRATA_WASM_FMA=0 the plain one', () => {
    const fma = child({ STRATA_THREADS: '2', STRATA_WASM_FMA: '1' });
    const plain = child({ STRATA_THREADS: '2', STRATA_WASM_FMA: '0' });
    // Node 20 compiles relaxed SIMD once its flag is on, which the loader does
    assert.equal(fma.variant, 'fma');
    assert.equal(plain.variant, 'simd');
    // only the rounding of the products' sums differs
    const close = (x: number[], y: number[]) => {
      for (let i = 0; i < x.length; i++)
        assert.ok(Math.abs(x[i] - y[i]) <= 1e-4 * (1 + Math.abs(x[i])), `${x[i]} vs ${y[i]}`);
    };
    close(fma.matmul, plain.matmul);
    close(fma.conv, plain.conv);
    assert.equal(fma.sum, plain.sum);
  });

  test('setThreads validates its argument', () => {
    assert.throws(() => setThreads(0), /setThreads: the thread count must be a positive integer/);
    assert.throws(() => setThreads(1.5), /positive integer/);
  });
});
