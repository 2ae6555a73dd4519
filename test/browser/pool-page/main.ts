/**
 * The browser pool test page: runs pool-worker.ts in a Web Worker with ?threads=N and puts its report
 * on `window.poolResult` (test/browser/pool.test.ts reads it).
 */
import type { PoolReport } from './worker.js';

const threads = Number(new URLSearchParams(location.search).get('threads') ?? 2);
const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
w.onmessage = (e: MessageEvent<PoolReport>) => {
  (window as unknown as { poolResult: PoolReport }).poolResult = e.data;
};
w.onerror = (e) => {
  (window as unknown as { poolResult: PoolReport }).poolResult = { error: `worker error: ${e.message}` };
};
w.postMessage({ threads });
