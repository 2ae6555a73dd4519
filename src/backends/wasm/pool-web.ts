import { StrataError } from '../../core/errors.js';
import {
  DEAD,
  DEAD_CODE,
  DONE,
  type PoolOptions,
  READY,
  type Supervisor,
  ThreadPool,
  workerLoopSrc,
} from './pool.js';

/**
 * The thread pool in a browser: the same control block, job loop and share claiming as the Node pool
 * (pool.ts), with dedicated Web Workers instead of worker_threads.
 *
 * The calling thread must itself be a worker (it blocks in Atomics.wait while the others finish their
 * shares; a page's main thread may not) and the page cross-origin isolated (shared WebAssembly
 * memory). It starts a supervisor worker, which starts the N − 1 pool workers and hears their 'error'
 * events: the calling thread is blocked while a job runs, the supervisor's event loop is free, so a
 * dying worker is written into the control block as "dead" and the job ends in a StrataError rather
 * than a hang. The workers are Blob-URL classic workers built from source strings (the job loop is the
 * Node one), so no bundler has to find a worker file; the compiled WebAssembly.Module and the shared
 * Memory travel by postMessage.
 *
 * Web Workers start asynchronously, and only once the thread that created them returns to its event
 * loop: an op never waits for a worker that has not started (the calling thread takes every share
 * nobody claimed), and `whenReady()` resolves once all are up — `await initWasm()` awaits it.
 */

const READY_TIMEOUT_MS = 20000;
/** The most threads a page gets by default (navigator.hardwareConcurrency beyond it buys little). */
const MAX_DEFAULT = 8;

const WEB_WORKER_SRC = `
self.onmessage = (e) => {
  self.onmessage = null;
  const { module, memory, ctl, tid, scratch, scratchBytes } = e.data;
  const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('abort'); } } });
  const run = inst.exports.run;
  inst.exports.setScratch(scratch, scratchBytes);
  ${workerLoopSrc("throw new Error('killed by the testing hook')")}
  self.close();
};
`;

const WEB_SUPERVISOR_SRC = `
let workers = [];
self.onmessage = (e) => {
  const m = e.data;
  if (m && typeof m.terminate === 'number') { workers[m.terminate - 1]?.terminate(); return; }
  if (m && m.close) { for (const w of workers) w.terminate(); self.close(); return; }
  const { module, memory, ctl, n, scratch, scratchBytes, workerSrc } = m;
  const I = new Int32Array(memory.buffer);
  const b = ctl >> 2;
  const url = URL.createObjectURL(new Blob([workerSrc], { type: 'text/javascript' }));
  const dead = (w, code) => {
    if (Atomics.compareExchange(I, b + ${DEAD}, 0, w) === 0) Atomics.store(I, b + ${DEAD_CODE}, code);
    Atomics.notify(I, b + ${DONE});
    Atomics.notify(I, b + ${READY});
  };
  for (let w = 1; w <= n; w++) {
    let wk;
    try {
      wk = new Worker(url, { name: 'strata-pool-' + w });
    } catch (err) {
      dead(w, -2);
      break;
    }
    wk.onerror = (ev) => { ev.preventDefault(); dead(w, -1); };
    wk.onmessageerror = () => dead(w, -3);
    wk.postMessage({ module, memory, ctl, tid: w, scratch: scratch[w - 1], scratchBytes });
    workers.push(wk);
  }
};
`;

let supervisorUrl: string | null = null;

/**
 * Whether this thread can run a Web Worker pool: a dedicated worker (Atomics.wait allowed) that can
 * start workers, in a cross-origin isolated context.
 */
export function webThreadsAvailable(): boolean {
  const g = globalThis as {
    crossOriginIsolated?: boolean;
    WorkerGlobalScope?: unknown;
    Worker?: unknown;
    Blob?: unknown;
    URL?: { createObjectURL?: unknown };
  };
  return (
    g.crossOriginIsolated === true &&
    typeof g.WorkerGlobalScope !== 'undefined' &&
    typeof g.Worker === 'function' &&
    typeof g.Blob === 'function' &&
    typeof g.URL?.createObjectURL === 'function'
  );
}

/** The default thread count in a browser worker: navigator.hardwareConcurrency, at most 8. */
export function webDefaultThreads(): number {
  if (!webThreadsAvailable()) return 1;
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(MAX_DEFAULT, Number.isInteger(n) ? (n as number) : 1));
}

export class WebThreadPool extends ThreadPool {
  protected override spawn(o: PoolOptions): Supervisor {
    supervisorUrl ??= URL.createObjectURL(new Blob([WEB_SUPERVISOR_SRC], { type: 'text/javascript' }));
    let sup: Worker;
    try {
      sup = new Worker(supervisorUrl, { name: 'strata-pool-supervisor' });
    } catch (e) {
      throw new StrataError(
        'wasm',
        `cannot start the thread pool's workers (${(e as Error).message}); use setThreads(1)`,
      );
    }
    const I = new Int32Array(o.memory.buffer, o.ctl, 16);
    sup.onerror = (ev) => {
      ev.preventDefault();
      if (Atomics.compareExchange(I, DEAD, 0, 1) === 0) Atomics.store(I, DEAD_CODE, -4);
      Atomics.notify(I, READY);
    };
    sup.postMessage({
      module: o.module,
      memory: o.memory,
      ctl: o.ctl,
      n: o.workers,
      scratch: o.scratch,
      scratchBytes: o.scratchBytes,
      workerSrc: WEB_WORKER_SRC,
    });
    return {
      terminate() {
        sup.postMessage({ close: true });
        sup.terminate();
        return undefined;
      },
      unref() {},
      postMessage: (m) => sup.postMessage(m),
    };
  }

  /**
   * Never blocks (the workers may be waiting for this thread's event loop to start): only reports a
   * worker that died. Ops run with whichever workers are up.
   */
  override waitReady(): void {
    if (this.ready) return;
    const I = this.i32();
    if (Atomics.load(I, DEAD)) this.fail('starting', I);
    if (Atomics.load(I, READY) >= this.workers) this.ready = true;
  }

  /** Resolves once every worker has instantiated the module; rejects with a StrataError if one died. */
  async whenReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const t0 = performance.now();
    for (;;) {
      const I = this.i32();
      if (Atomics.load(I, DEAD)) this.fail('starting', I);
      const r = Atomics.load(I, READY);
      if (r >= this.workers) break;
      if (performance.now() - t0 > timeoutMs)
        throw new StrataError(
          'wasm',
          `only ${r} of ${this.workers} worker threads started within ${timeoutMs} ms; use setThreads(1)`,
        );
      await new Promise((ok) => setTimeout(ok, 5));
    }
    this.ready = true;
  }
}
