import { StrataError } from '../../core/errors.js';
import { nodeModule } from './loader.js';

/**
 * The persistent thread pool: worker_threads that instantiate the kernel module on the one shared
 * memory and wait for jobs. The calling thread posts a job (job code, parameter block, thread count)
 * into a control block in that memory, wakes the workers with Atomics.notify, runs its own share
 * (tid 0) and waits for the others with Atomics.wait — a synchronous call, as every Strata op is.
 * Workers spin ~100 µs on the job counter before sleeping, so back-to-back ops wake them in
 * nanoseconds rather than the ~60 µs of a futex wake-up. A job is cut into shares (more than there
 * are threads for the large ones) that every thread claims with a compare-and-swap until none is
 * left: a worker that is slow to wake, or a core taken by another process, costs parallelism, never
 * a wait, and uneven shares balance themselves.
 *
 * The workers are started by a supervisor thread whose event loop stays free while the calling
 * thread is blocked: it is the one that hears a worker's 'exit' event and writes "dead" into the
 * control block, so a dying worker turns the wait into a StrataError instead of a hang. Everything
 * is unref'd: the pool never keeps a process alive.
 */

// Control block layout (int32 slots from ctl/4).
const SEQ = 0;
const JOB = 1;
const PARAMS = 2;
const NT = 3;
export const DONE = 4;
export const DEAD = 5;
export const DEAD_CODE = 6;
const ERROR = 7;
export const READY = 8;
/** The next share to claim, tagged with the job: (seq & 0xfffff) << 12 | share. */
const NEXT = 9;
/** Shares of the current job. */
const SHARES = 10;
/**
 * Per worker tid ≥ 1: [BUSY, FIN, KILL, pad] at WSLOT + 4·(tid-1): the sequence number of the last
 * job the worker started and finished (KILL: testing hook).
 */
const WSLOT = 16;
export const CTL_BYTES = 64 + 16 * 256;
const SHARE_BITS = 12;
export const MAX_SHARES = 1 << SHARE_BITS;

const SPIN_MS = 0.1;
const READY_TIMEOUT_MS = 20000;

/**
 * Claims the next share of job `seq`: -1 when they are all taken or the job is over. The tag makes
 * a worker that wakes late for a finished job claim nothing of the next one.
 */
const CLAIM_SRC = `function claim(I, b, seq) {
  const tag = (seq & 0xfffff) << ${SHARE_BITS};
  const shares = Atomics.load(I, b + ${SHARES});
  for (;;) {
    const cur = Atomics.load(I, b + ${NEXT});
    if ((cur & ~${MAX_SHARES - 1}) !== tag) return -1;
    const i = cur & ${MAX_SHARES - 1};
    if (i >= shares) return -1;
    if (Atomics.compareExchange(I, b + ${NEXT}, cur, cur + 1) === cur) return i;
  }
}`;

/**
 * A worker's job loop (Node worker_threads and browser Web Workers alike), given `memory`, `ctl`,
 * `tid` and the instance's `run` in scope; `die` is what the KILL testing hook does.
 */
export const workerLoopSrc = (die: string): string => `
const I = new Int32Array(memory.buffer);
const b = ctl >> 2;
const slot = b + ${WSLOT} + 4 * (tid - 1);
${CLAIM_SRC}
let seen = Atomics.load(I, b + ${SEQ});
Atomics.add(I, b + ${READY}, 1);
Atomics.notify(I, b + ${READY});
for (;;) {
  let s = Atomics.load(I, b + ${SEQ});
  if (s === seen) {
    let t0 = performance.now();
    let spins = 0;
    while ((s = Atomics.load(I, b + ${SEQ})) === seen) {
      if ((++spins & 255) === 0 && performance.now() - t0 > ${SPIN_MS}) {
        Atomics.wait(I, b + ${SEQ}, seen);
        t0 = performance.now();
      }
    }
  }
  seen = s;
  const job = Atomics.load(I, b + ${JOB});
  if (job === 0) break;
  if (tid >= Atomics.load(I, b + ${NT})) continue;
  const params = Atomics.load(I, b + ${PARAMS});
  const shares = Atomics.load(I, b + ${SHARES});
  Atomics.store(I, slot, s);
  for (;;) {
    const i = claim(I, b, s);
    if (i < 0) break;
    if (Atomics.load(I, slot + 2) !== 0) ${die};
    try {
      run(job, params, i, shares);
    } catch (e) {
      Atomics.compareExchange(I, b + ${ERROR}, 0, tid);
    }
  }
  Atomics.store(I, slot + 1, s);
  Atomics.add(I, b + ${DONE}, 1);
  Atomics.notify(I, b + ${DONE});
}
`;
const WORKER_SRC = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctl, tid, scratch, scratchBytes } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('abort'); } } });
const run = inst.exports.run;
inst.exports.setScratch(scratch, scratchBytes);
${workerLoopSrc('process.exit(7)')}`;
const SUPERVISOR_SRC = `
const { Worker, workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctl, n, scratch, scratchBytes, workerSrc } = workerData;
const I = new Int32Array(memory.buffer);
const b = ctl >> 2;
const workers = [];
for (let w = 1; w <= n; w++) {
  const wk = new Worker(workerSrc, { eval: true, workerData: { module, memory, ctl, tid: w, scratch: scratch[w - 1], scratchBytes } });
  const dead = (code) => {
    if (Atomics.compareExchange(I, b + ${DEAD}, 0, w) === 0) Atomics.store(I, b + ${DEAD_CODE}, code);
    Atomics.notify(I, b + ${DONE});
    Atomics.notify(I, b + ${READY});
  };
  wk.on('error', () => dead(-1));
  wk.on('exit', (code) => dead(code));
  workers.push(wk);
}
parentPort.on('message', (m) => {
  if (m && typeof m.terminate === 'number') workers[m.terminate - 1]?.terminate();
});
`;

type WorkerCtor = typeof import('node:worker_threads').Worker;

export interface PoolOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: number;
  /** Worker threads (besides the calling thread). */
  workers: number;
  scratch: number[];
  scratchBytes: number;
}

/** The thread that starts the workers and hears them die (its event loop stays free). */
export interface Supervisor {
  terminate(): Promise<number> | undefined;
  unref(): void;
  postMessage(m: unknown): void;
}

export class ThreadPool {
  readonly workers: number;
  protected readonly ctl: number;
  protected readonly memory: WebAssembly.Memory;
  private supervisor: Supervisor | null;
  protected ready = false;
  /** Set once a worker died: the pool is unusable and is replaced by the backend. */
  broken = false;

  constructor(o: PoolOptions) {
    this.workers = o.workers;
    this.ctl = o.ctl;
    this.memory = o.memory;
    this.i32().fill(0);
    this.supervisor = this.spawn(o);
  }

  /** Starts the supervisor thread, which starts the workers (Node: worker_threads). */
  protected spawn(o: PoolOptions): Supervisor {
    const wt = nodeModule<{ Worker: WorkerCtor }>('node:worker_threads');
    if (!wt) throw new StrataError('wasm', 'threads need worker_threads (Node); use setThreads(1)');
    const sup = new wt.Worker(SUPERVISOR_SRC, {
      eval: true,
      workerData: {
        module: o.module,
        memory: o.memory,
        ctl: o.ctl,
        n: o.workers,
        scratch: o.scratch,
        scratchBytes: o.scratchBytes,
        workerSrc: WORKER_SRC,
      },
    });
    sup.unref();
    return sup;
  }

  protected i32(): Int32Array {
    return new Int32Array(this.memory.buffer, this.ctl, CTL_BYTES >> 2);
  }

  /** Waits (blocking) until every worker has instantiated the module. */
  waitReady(timeoutMs = READY_TIMEOUT_MS): void {
    if (this.ready) return;
    const I = this.i32();
    const t0 = Date.now();
    for (;;) {
      const r = Atomics.load(I, READY);
      if (Atomics.load(I, DEAD)) this.fail('starting', I);
      if (r >= this.workers) break;
      const left = timeoutMs - (Date.now() - t0);
      if (left <= 0) {
        this.broken = true;
        throw new StrataError(
          'wasm',
          `only ${r} of ${this.workers} worker threads started within ${timeoutMs} ms; use setThreads(1)`,
        );
      }
      Atomics.wait(I, READY, r, Math.min(left, 50));
    }
    this.ready = true;
  }

  /**
   * Runs `job` split into `shares` shares on up to `nt` threads (the calling thread included):
   * posts it, then every thread claims shares until none is left, so a worker that is slow to wake
   * (a busy machine) costs parallelism, never a wait. `runLocal(i)` runs share i on this thread.
   */
  run(
    job: number,
    params: number,
    nt: number,
    shares: number,
    name: string,
    runLocal: (i: number) => void,
  ): void {
    this.waitReady();
    const I = this.i32();
    if (Atomics.load(I, DEAD)) this.fail(name, I);
    const seq = (Atomics.load(I, SEQ) + 1) | 0;
    Atomics.store(I, JOB, job);
    Atomics.store(I, PARAMS, params);
    Atomics.store(I, NT, nt);
    Atomics.store(I, SHARES, shares);
    Atomics.store(I, NEXT, (seq & 0xfffff) << SHARE_BITS);
    Atomics.store(I, DONE, 0);
    Atomics.store(I, ERROR, 0);
    Atomics.store(I, SEQ, seq);
    Atomics.notify(I, SEQ);
    let err: unknown = null;
    for (;;) {
      const i = claimShare(I, seq);
      if (i < 0) break;
      try {
        runLocal(i);
      } catch (e) {
        err = e;
        // let nobody start another share
        Atomics.store(I, NEXT, ((seq & 0xfffff) << SHARE_BITS) | (MAX_SHARES - 1));
        break;
      }
    }
    // every share is claimed: wait for the workers still running one
    let spins = 0;
    let t0 = 0;
    for (;;) {
      let busy = 0;
      for (let tid = 1; tid < nt; tid++) {
        const w = WSLOT + 4 * (tid - 1);
        if (Atomics.load(I, w) === seq && Atomics.load(I, w + 1) !== seq) busy++;
      }
      if (!busy) break;
      if (Atomics.load(I, DEAD)) {
        this.drain(I, seq, nt);
        this.fail(name, I);
      }
      if ((++spins & 255) === 0) {
        if (!t0) t0 = performance.now();
        else if (performance.now() - t0 > SPIN_MS) Atomics.wait(I, DONE, Atomics.load(I, DONE), 100);
      }
    }
    const failed = Atomics.load(I, ERROR);
    if (err) throw err;
    if (failed)
      throw new StrataError(
        'wasm',
        `kernel of '${name}' trapped on worker thread ${failed} (a bug in Strata)`,
      );
  }

  /** After a death: stops the job and waits (bounded) for the live workers to finish their share. */
  private drain(I: Int32Array, seq: number, nt: number): void {
    Atomics.store(I, NEXT, ((seq & 0xfffff) << SHARE_BITS) | (MAX_SHARES - 1));
    const dead = Atomics.load(I, DEAD);
    const t0 = Date.now();
    for (let tid = 1; tid < nt; tid++) {
      if (tid === dead) continue;
      const w = WSLOT + 4 * (tid - 1);
      while (Atomics.load(I, w) === seq && Atomics.load(I, w + 1) !== seq) {
        if (Date.now() - t0 > 10000) return;
        Atomics.wait(I, DONE, Atomics.load(I, DONE), 10);
      }
    }
  }

  protected fail(name: string, I: Int32Array): never {
    this.broken = true;
    const w = Atomics.load(I, DEAD);
    const code = Atomics.load(I, DEAD_CODE);
    this.close();
    throw new StrataError(
      'wasm',
      `worker thread ${w} died (exit code ${code}) while running '${name}'; the thread pool is restarted for the next op`,
    );
  }

  /** Testing hook: makes worker `tid` exit when it next takes a job. */
  killOnNextJob(tid: number): void {
    Atomics.store(this.i32(), WSLOT + 4 * (tid - 1) + 2, 1);
  }

  close(): void {
    const sup = this.supervisor;
    this.supervisor = null;
    if (!sup) return;
    this.broken = true;
    const I = this.i32();
    Atomics.store(I, JOB, 0);
    Atomics.store(I, NT, 0);
    Atomics.add(I, SEQ, 1);
    Atomics.notify(I, SEQ);
    void sup.terminate();
  }
}

/** The calling thread's side of CLAIM_SRC. */
function claimShare(I: Int32Array, seq: number): number {
  const tag = (seq & 0xfffff) << SHARE_BITS;
  const shares = Atomics.load(I, SHARES);
  for (;;) {
    const cur = Atomics.load(I, NEXT);
    if ((cur & ~(MAX_SHARES - 1)) !== tag) return -1;
    const i = cur & (MAX_SHARES - 1);
    if (i >= shares) return -1;
    if (Atomics.compareExchange(I, NEXT, cur, cur + 1) === cur) return i;
  }
}
