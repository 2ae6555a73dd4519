/**
 * In a Web Worker: starts the wasm backend with the requested threads, runs a product big enough to
 * be split across threads, then kills pool worker 1 and reports what the calling thread saw (a
 * StrataError, not a hang) and that the next products are right again.
 */
import '../../../src/ops/methods.js';
import { getThreads, initWasm, wasmRuntime } from '../../../src/backends/wasm/index.js';
import { setBackend } from '../../../src/core/backend.js';
import { fromTypedArray } from '../../../src/core/creation.js';
import type { Tensor } from '../../../src/core/tensor.js';

export interface PoolReport {
  error?: string;
  isolated?: boolean;
  threads?: number;
  /** The restarted pool's workers came up. */
  ready?: boolean;
  product?: number[];
  /** Milliseconds of 20 products of 256×256 matrices. */
  ms?: number;
  killed?: string;
  afterKill?: number[];
  afterRestart?: number[];
}

function checksum(t: Tensor): number[] {
  const d = t.data() as Float32Array;
  let s = 0;
  let q = 0;
  for (let i = 0; i < d.length; i++) {
    s += d[i];
    q += d[i] * ((i % 7) - 3);
  }
  return [s, q, d[0], d[d.length - 1]];
}

self.onmessage = async (e: MessageEvent<{ threads: number }>) => {
  const r: PoolReport = { isolated: self.crossOriginIsolated === true };
  try {
    await initWasm({ threads: e.data.threads });
    setBackend('wasm');
    r.threads = getThreads();
    const a = fromTypedArray(
      Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i * 0.37)),
      [256, 256],
    );
    r.product = checksum(a.matmul(a));
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) a.matmul(a).data();
    r.ms = performance.now() - t0;
    if (r.threads > 1) {
      wasmRuntime().killWorkerOnNextJob(1);
      for (let i = 0; i < 50 && !r.killed; i++)
        try {
          a.matmul(a).data();
        } catch (err) {
          r.killed = `${(err as Error).name}: ${(err as Error).message}`;
        }
      // the pool restarts; its new workers start once this thread yields, the op does not wait
      r.afterKill = checksum(a.matmul(a));
      await wasmRuntime().whenReady();
      r.ready = true;
      r.afterRestart = checksum(a.matmul(a));
    }
  } catch (err) {
    r.error = `${(err as Error).name}: ${(err as Error).message}`;
  }
  (self as unknown as Worker).postMessage(r);
};
