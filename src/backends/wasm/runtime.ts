import { envVar } from '../../core/backend.js';
import { StrataError } from '../../core/errors.js';
import { WasmHeap } from './heap.js';
import { kernelModule, nodeModule, sharedMemoryAvailable } from './loader.js';
import { JOB_FILL, JOB_TEST_TRAP } from './opcodes.js';
import { CTL_BYTES, MAX_SHARES, ThreadPool } from './pool.js';
import { WebThreadPool, webDefaultThreads, webThreadsAvailable } from './pool-web.js';

interface KernelExports {
  run(job: number, params: number, tid: number, nt: number): void;
  setScratch(ptr: number, bytes: number): void;
  scratchBytes(): number;
  heapBase(): number;
  checkIndices(idx: number, n: number, limit: number): number;
}

const INITIAL_PAGES = 64;
const MAX_PAGES = 65536;
/** Parameter block capacity in int32 (bigger parameter sets get a temporary block). */
const PARAM_INTS = 4096;
/** Below this much work (flops, or element visits × 16 for memory-bound kernels) one thread runs it. */
const PARALLEL_MIN_WORK = 200_000;
/** From this many words on, `zero` runs the fill kernel rather than a typed-array fill. */
const ZERO_JOB_WORDS = 1024;

/**
 * A parameter block being written: int and float slots, then `rt.run(...)`. The standing block's
 * Params object is reused from op to op (`Runtime.params` rebinds its views), a temporary block gets
 * one of its own.
 */
export class Params {
  /** Int32 index of slot 0. */
  private base: number;
  constructor(
    readonly ptr: number,
    private i32: Int32Array,
    private f32: Float32Array,
    readonly temp: { ptr: number; size: number } | null,
  ) {
    this.base = ptr >>> 2;
  }
  /** Points the (standing) block at current views of the memory. */
  rebind(i32: Int32Array, f32: Float32Array): this {
    this.i32 = i32;
    this.f32 = f32;
    return this;
  }
  i(k: number, v: number): this {
    this.i32[this.base + k] = v;
    return this;
  }
  f(k: number, v: number): this {
    this.f32[this.base + k] = v;
    return this;
  }
  ints(k: number, vs: ArrayLike<number>): this {
    // a plain loop: TypedArray.set from a short JS array costs more than the few stores
    const a = this.i32;
    const o = this.base + k;
    for (let j = 0; j < vs.length; j++) a[o + j] = vs[j];
    return this;
  }
  /** f64 values from int slot k (k even: the block is 64-byte aligned). */
  f64s(k: number, vs: ArrayLike<number>): this {
    new Float64Array(this.i32.buffer, this.ptr + 4 * k, vs.length).set(vs);
    return this;
  }
}

/**
 * The wasm runtime of the calling thread: the shared memory, the kernel instance, the heap, the
 * parameter block and the thread pool.
 */
export class Runtime {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly heap: WasmHeap;
  readonly exports: KernelExports;
  private readonly module: WebAssembly.Module;
  private readonly paramBlock: number;
  /** The Params of the standing block, reused by every op whose parameters fit it. */
  private readonly standing: Params;
  /** A block of its own for `zero`, so that clearing memory never overwrites an op's parameters. */
  private readonly zeroParams: Params;
  private readonly scratchBytes: number;
  private threads = 1;
  /** Work (flops or equivalent) below which an op stays on the calling thread; tests set 0. */
  minParallelWork = PARALLEL_MIN_WORK;
  private pool: ThreadPool | null = null;
  private poolBlocks: { ptr: number; size: number }[] = [];

  constructor() {
    this.shared = sharedMemoryAvailable();
    this.module = kernelModule();
    this.memory = new WebAssembly.Memory({
      initial: INITIAL_PAGES,
      maximum: MAX_PAGES,
      shared: this.shared,
    } as WebAssembly.MemoryDescriptor);
    const inst = new WebAssembly.Instance(this.module, {
      env: {
        memory: this.memory,
        abort: () => {
          throw new StrataError('wasm', 'kernel aborted');
        },
      },
    });
    this.exports = inst.exports as unknown as KernelExports;
    // keep 256 bytes below the first block: masked kernel reads may reach a little before a row
    this.heap = new WasmHeap(this.memory, this.exports.heapBase() + 256);
    this.paramBlock = this.heap.alloc(PARAM_INTS * 4).ptr;
    this.standing = new Params(this.paramBlock, this.heap.i32(), this.heap.f32(), null);
    this.zeroParams = new Params(this.heap.alloc(64).ptr, this.heap.i32(), this.heap.f32(), null);
    this.scratchBytes = this.exports.scratchBytes();
    this.exports.setScratch(this.heap.alloc(this.scratchBytes).ptr, this.scratchBytes);
    this.setThreads(defaultThreads());
  }

  /** Threads in use (1 without shared memory). */
  getThreads(): number {
    return this.threads;
  }

  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1)
      throw new StrataError('setThreads', `the thread count must be a positive integer, got ${n}`);
    if (n > 64) n = 64;
    if (!this.shared || !(nodeModule('node:worker_threads') || webThreadsAvailable())) n = 1;
    if (n === this.threads && (n === 1 || (this.pool && !this.pool.broken))) return;
    this.closePool();
    this.threads = n;
    if (n > 1) this.startPool();
  }

  private startPool(): void {
    const workers = this.threads - 1;
    const ctl = this.heap.alloc(CTL_BYTES);
    const scratch = Array.from({ length: workers }, () => this.heap.alloc(this.scratchBytes));
    this.poolBlocks = [ctl, ...scratch];
    const Pool = nodeModule('node:worker_threads') ? ThreadPool : WebThreadPool;
    this.pool = new Pool({
      module: this.module,
      memory: this.memory,
      ctl: ctl.ptr,
      workers,
      scratch: scratch.map((s) => s.ptr),
      scratchBytes: this.scratchBytes,
    });
  }

  private closePool(): void {
    if (!this.pool) return;
    this.pool.close();
    this.pool = null;
    // the control block stays allocated (exiting workers may still read it); scratch returns
    for (const b of this.poolBlocks.slice(1)) this.heap.free(b.ptr, b.size);
    this.poolBlocks = [];
  }

  /** Blocks until the workers are up (setThreads does not wait; the first parallel op does). */
  waitReady(): void {
    this.pool?.waitReady();
  }

  /** Resolves once the workers are up (in a browser they start only when this thread yields). */
  async whenReady(): Promise<void> {
    if (this.pool instanceof WebThreadPool) await this.pool.whenReady();
    else this.pool?.waitReady();
  }

  /**
   * Shares to cut a job of `work` (flops, or an equivalent for memory-bound kernels) into: 1 (this
   * thread alone) below the threshold, else `factor` per thread (more shares balance better; each
   * costs the kernel's per-share setup, such as packing).
   */
  threadsFor(work: number, factor = 1): number {
    if (work < this.minParallelWork || this.threads === 1) return 1;
    return Math.min(this.threads * (work >= 20 * this.minParallelWork ? factor : 1), MAX_SHARES);
  }

  /** A parameter block of `n` int32 slots; bigger than the standing block means a temporary one. */
  params(n: number): Params {
    if (n <= PARAM_INTS) return this.standing.rebind(this.heap.i32(), this.heap.f32());
    const temp = this.heap.alloc(n * 4);
    return new Params(temp.ptr, this.heap.i32(), this.heap.f32(), temp);
  }

  /** Runs a job cut into `shares` shares (1: right here) and releases a temporary parameter block. */
  run(job: number, p: Params, shares: number, name: string): void {
    try {
      if (shares <= 1 || !this.pool) this.local(job, p.ptr, 0, 1, name);
      else {
        if (this.pool.broken) {
          this.closePool();
          this.startPool();
        }
        const pool = this.pool!;
        try {
          const n = Math.min(shares, this.threads);
          pool.run(job, p.ptr, n, shares, name, (i) => this.local(job, p.ptr, i, shares, name));
        } finally {
          if (pool.broken && this.pool === pool) {
            this.closePool();
            this.startPool();
          }
        }
      }
    } finally {
      if (p.temp) this.heap.free(p.temp.ptr, p.temp.size);
    }
  }

  private local(job: number, params: number, share: number, shares: number, name: string): void {
    try {
      this.exports.run(job, params, share, shares);
    } catch (e) {
      if (e instanceof StrataError) throw e;
      throw new StrataError('wasm', `kernel of '${name}' trapped: ${(e as Error).message} (a bug in Strata)`);
    }
  }

  /**
   * Zeroes `words` 4-byte words from byte address `ptr`. A typed array's fill over shared memory
   * goes element by element (a Uint8Array's at about 3.5 GB/s here, an Int32Array's at 14), so
   * beyond a few KiB the fill kernel does it (wasm memory.fill, split across threads when large),
   * with a parameter block of its own (a kernel may clear its output after writing its parameters).
   */
  zero(ptr: number, words: number): void {
    if (words < ZERO_JOB_WORDS) {
      this.heap.i32().fill(0, ptr >>> 2, (ptr >>> 2) + words);
      return;
    }
    const p = this.zeroParams.rebind(this.heap.i32(), this.heap.f32()).i(0, ptr).i(1, words).i(2, 0);
    this.run(JOB_FILL, p, this.threadsFor(words * 4), 'fill');
  }

  /** Testing: makes worker thread `tid` die when it takes its next job. */
  killWorkerOnNextJob(tid: number): void {
    this.pool?.waitReady();
    this.pool?.killOnNextJob(tid);
  }

  /** Testing: a job whose last thread traps. */
  trapTest(nt: number): void {
    this.run(JOB_TEST_TRAP, this.params(1), nt, 'trapTest');
  }
}

function defaultThreads(): number {
  const env = envVar('STRATA_THREADS');
  if (env) {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return n;
  }
  const os = nodeModule<typeof import('node:os')>('node:os');
  return os?.availableParallelism?.() ?? os?.cpus().length ?? webDefaultThreads();
}
