import { envVar } from '../../core/backend.js';
import { StrataError } from '../../core/errors.js';
import { nodeModule } from './loader.js';

const PAGE = 65536;
/** Blocks are 64-byte aligned and padded to a multiple of 64 bytes. */
const ALIGN = 64;
/** Bytes kept free past the last block: kernels may read a few bytes beyond a row and mask them. */
const GUARD = 256;
const MAX_PAGES = 65536;

/** Size class of a request: multiples of 64 up to 1 KiB, then 8 classes per power of two (≤ 12.5 % waste). */
export function classSize(bytes: number): number {
  const n = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (n <= 1024) return n;
  // step = 2^(floor(log2 n) − 3); clz32 gives the logarithm while n fits 31 bits
  const step = n < 2 ** 31 ? 1 << (28 - Math.clz32(n)) : 2 ** (Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

let gcFn: (() => void) | null | undefined;

/**
 * The garbage collector, when Node lets us reach it (`--expose-gc` set at run time, `gc` taken from
 * a fresh context); null elsewhere or when `STRATA_WASM_GC=0`.
 */
function collector(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  gcFn = null;
  if (envVar('STRATA_WASM_GC') === '0') return gcFn;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return (gcFn = existing);
  const v8 = nodeModule<typeof import('node:v8')>('node:v8');
  const vm = nodeModule<typeof import('node:vm')>('node:vm');
  if (!v8 || !vm) return gcFn;
  try {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/**
 * A caching allocator over the wasm memory. Freed blocks go to a free list keyed by their exact size
 * (requests are rounded to size classes, so a training loop finds its blocks again step after step);
 * a miss takes fresh memory from the top. When the top is exhausted, a quarter of the heap sits in
 * the free lists and a heap's worth was allocated since the last coalescing, the cached blocks are
 * coalesced and searched first-fit; otherwise the memory grows — after asking the garbage collector for a
 * collection whenever the heap would pass the next threshold (see DESIGN.md: wasm memory is invisible
 * to the collector's heuristics, so tensors dropped by the user would otherwise pile up).
 * Nothing ever shrinks a WebAssembly memory.
 */
export class WasmHeap {
  private top: number;
  private readonly lists = new Map<number, number[]>();
  private cachedBytes = 0;
  private viewBuf: ArrayBufferLike | null = null;
  private _f32!: Float32Array;
  private _i32!: Int32Array;
  private _u8!: Uint8Array;
  private allocatedSinceGc = 0;
  /** Bytes allocated since the cached blocks were last coalesced (see slowAlloc). */
  private allocatedSinceCoalesce = 0;
  /**
   * Bytes allocated since the last collection after which a heap growth first asks the garbage
   * collector to run (`STRATA_WASM_GC_MB`, default 64 MiB).
   */
  gcBytes: number;
  /** Collections requested by the allocator (for tests and memory reports). */
  gcCount = 0;
  /** Whether the memory is shared (its buffer is a SharedArrayBuffer, which nothing detaches). */
  private readonly shared: boolean;

  constructor(
    readonly memory: WebAssembly.Memory,
    start: number,
  ) {
    this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    this.top = Math.ceil(start / ALIGN) * ALIGN;
    const mb = Number(envVar('STRATA_WASM_GC_MB') || 64);
    this.gcBytes = Math.max(mb, 0) * 2 ** 20;
    this.refresh();
  }

  /** Bytes of the memory (heapBytes). */
  get size(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes sitting in the free lists. */
  get cached(): number {
    return this.cachedBytes;
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    if (buf !== this.viewBuf || !this._u8 || this._u8.byteLength !== buf.byteLength) {
      this.viewBuf = buf;
      this._f32 = new Float32Array(buf);
      this._i32 = new Int32Array(buf);
      this._u8 = new Uint8Array(buf);
    }
  }

  /**
   * Current views of the whole memory. Never keep one across anything that allocates. A growth
   * detaches a non-shared memory's buffer (byteLength 0: the views are remade); a shared one's never
   * is, and its byteLength costs more than the rest of a small op's parameter writes, so it is not read.
   */
  f32(): Float32Array {
    if (!this.shared && this._u8.byteLength === 0) this.refresh();
    return this._f32;
  }
  i32(): Int32Array {
    if (!this.shared && this._u8.byteLength === 0) this.refresh();
    return this._i32;
  }
  u8(): Uint8Array {
    if (!this.shared && this._u8.byteLength === 0) this.refresh();
    return this._u8;
  }

  /** A block of at least `bytes` bytes, 64-byte aligned; returns its address and its real size. */
  alloc(bytes: number): { ptr: number; size: number } {
    const size = classSize(bytes);
    this.allocatedSinceGc += size;
    this.allocatedSinceCoalesce += size;
    const list = this.lists.get(size);
    if (list?.length) {
      this.cachedBytes -= size;
      return { ptr: list.pop()!, size };
    }
    if (this.top + size + GUARD <= this.size) {
      const ptr = this.top;
      this.top += size;
      return { ptr, size };
    }
    return { ptr: this.slowAlloc(size), size };
  }

  free(ptr: number, size: number): void {
    let list = this.lists.get(size);
    if (!list) this.lists.set(size, (list = []));
    list.push(ptr);
    this.cachedBytes += size;
  }

  private slowAlloc(size: number): number {
    // Coalescing reshapes the cache (merged blocks no longer match the size classes), so it waits
    // until a quarter of the heap sits unused in free lists, and until a heap's worth of bytes was
    // allocated since the last coalescing; until then the memory grows. Without the second rule a
    // loop could thrash: each coalescing merges the blocks the rest of the step needs, so each of
    // its next requests misses and coalesces again, step after step (seen in a training loop whose
    // heap had filled up exactly).
    if (
      this.cachedBytes >= size &&
      ((this.cachedBytes >= this.size / 4 && this.allocatedSinceCoalesce >= this.size) ||
        this.size + size > MAX_PAGES * PAGE)
    ) {
      this.allocatedSinceCoalesce = 0;
      const p = this.fromCache(size);
      if (p >= 0) return p;
    }
    if (this.top + size + GUARD <= this.size) {
      const ptr = this.top;
      this.top += size;
      return ptr;
    }
    const need = this.top + size + GUARD;
    if (this.allocatedSinceGc >= this.gcBytes) {
      const gc = collector();
      if (gc) {
        // Finalizers of collected tensors run on a later turn of the event loop: this collection
        // lets the next allocations find their blocks again; this one grows now.
        gc();
        this.gcCount++;
        this.allocatedSinceGc = 0;
      }
    }
    this.grow(need);
    const ptr = this.top;
    this.top += size;
    return ptr;
  }

  /** Coalesces the cached blocks and takes `size` bytes first-fit from them; -1 if none is large enough. */
  private fromCache(size: number): number {
    const blocks: number[] = [];
    for (const [s, list] of this.lists) for (const p of list) blocks.push(p, s);
    this.lists.clear();
    this.cachedBytes = 0;
    const order = Array.from({ length: blocks.length / 2 }, (_, i) => i).sort(
      (a, b) => blocks[2 * a] - blocks[2 * b],
    );
    const merged: number[] = [];
    for (const i of order) {
      const p = blocks[2 * i];
      const s = blocks[2 * i + 1];
      const n = merged.length;
      if (n && merged[n - 2] + merged[n - 1] === p) merged[n - 1] += s;
      else merged.push(p, s);
    }
    // a free run ending at the top goes back to the top
    if (merged.length && merged[merged.length - 2] + merged[merged.length - 1] === this.top) {
      this.top = merged[merged.length - 2];
      merged.length -= 2;
    }
    let found = -1;
    for (let i = 0; i < merged.length; i += 2) {
      const p = merged[i];
      const s = merged[i + 1];
      if (found < 0 && s >= size) {
        found = p;
        if (s > size) this.free(p + size, s - size);
      } else this.free(p, s);
    }
    return found;
  }

  private grow(need: number): void {
    const pages = Math.ceil((need - this.size) / PAGE);
    const total = this.size / PAGE + pages;
    if (total > MAX_PAGES)
      throw new StrataError(
        'wasm',
        `out of memory: ${(need / 2 ** 30).toFixed(2)} GiB needed, the WebAssembly limit is 4 GiB`,
      );
    // grow by at least 1/8 of the memory so that a growing loop does not grow page by page
    const step = Math.min(Math.max(pages, Math.ceil(this.size / PAGE / 8)), MAX_PAGES - this.size / PAGE);
    try {
      this.memory.grow(step);
    } catch (e) {
      throw new StrataError('wasm', `cannot grow the memory to ${total} pages: ${(e as Error).message}`);
    }
    this.refresh();
  }
}
