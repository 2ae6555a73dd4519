import { type Backend, type Kernel, registerBackend, type Storage } from '../../core/backend.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { StrataError } from '../../core/errors.js';
import type { KernelTable } from '../../ops/registry.js';
import { convKernels } from './ops/conv.js';
import { elementwiseKernels } from './ops/elementwise.js';
import { fusedKernels } from './ops/fused.js';
import { linalgKernels } from './ops/linalg.js';
import { normKernels } from './ops/norm.js';
import { poolKernels } from './ops/pool.js';
import { reduceKernels } from './ops/reduce.js';
import { resizeKernels } from './ops/resize.js';
import { shapeKernels } from './ops/shape.js';
import { Runtime } from './runtime.js';
import { setOwner, WasmStorage } from './storage.js';

export { wasmUrl } from './loader.js';
export { type InitWasmOptions, initWasm, type WasmSource } from './init.js';

/**
 * The WebAssembly backend: AssemblyScript kernels with v128 SIMD (kernels/), run by a persistent
 * thread pool on one shared memory; tensor data lives in that memory under a caching allocator.
 * float32 and int32 (float64 stays on the reference backend). Ops without a kernel here fall back
 * to the reference backend with a one-time warning (core/engine.ts).
 */
export const wasmKernels: Partial<KernelTable> = {
  ...elementwiseKernels,
  ...reduceKernels,
  ...shapeKernels,
  ...linalgKernels,
  ...convKernels,
  ...fusedKernels,
  ...poolKernels,
  ...resizeKernels,
  ...normKernels,
};

let runtime: Runtime | null = null;

function rt(): Runtime {
  if (!runtime) runtime = new Runtime();
  return runtime;
}

/**
 * Sets the number of threads the wasm kernels use (the calling thread plus n − 1 workers). The
 * default is `STRATA_THREADS` or the machine's available parallelism. Without SharedArrayBuffer
 * (a browser page that is not cross-origin isolated) it stays 1. Blocks until the workers are up.
 */
export function setThreads(n: number): void {
  const r = rt();
  r.setThreads(n);
  r.waitReady();
}

/** The number of threads the wasm kernels use. */
export function getThreads(): number {
  return rt().getThreads();
}

export function createWasmBackend(): Backend {
  const r = rt();
  const table = wasmKernels as Record<string, Kernel<any>>;
  let bytes = 0;
  let live = 0;
  const alloc = (size: number, dtype: DType): WasmStorage => {
    if (dtype === 'float64')
      throw new StrataError(
        'wasm',
        "float64 is not supported by the wasm backend; use setBackend('reference')",
      );
    const blk = r.heap.alloc(size * 4);
    bytes += size * 4;
    live++;
    return new WasmStorage(b, dtype, size, blk.ptr, blk.size);
  };
  const b: Backend = {
    name: 'wasm',
    dtypes: ['float32', 'int32'],
    upload(data: TypedArray): Storage {
      const dtype: DType =
        data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'float64';
      const s = alloc(data.length, dtype);
      // a view of the same type: no byte view to make, and the copy goes by 4-byte elements
      if (dtype === 'int32') r.heap.i32().set(data, s.ptr >>> 2);
      else r.heap.f32().set(data, s.ptr >>> 2);
      return s;
    },
    read(s: Storage): TypedArray {
      const w = s as WasmStorage;
      const start = w.ptr >>> 2;
      return w.dtype === 'int32'
        ? r.heap.i32().slice(start, start + w.size)
        : r.heap.f32().slice(start, start + w.size);
    },
    alloc(size: number, dtype: DType): Storage {
      const s = alloc(size, dtype);
      if (size) r.zero(s.ptr, size);
      return s;
    },
    free(s: Storage): void {
      const w = s as WasmStorage;
      r.heap.free(w.ptr, w.block);
      bytes -= w.size * 4;
      live--;
    },
    kernel: (op) => table[op],
    memory: () => ({ bytesInUse: bytes, heapBytes: r.heap.size, liveStorages: live }),
  };
  setOwner({ backend: b, rt: r, alloc });
  return b;
}

/** Internals for tests: the runtime (thread pool hooks, heap statistics). */
export function wasmRuntime(): Runtime {
  return rt();
}

registerBackend('wasm', createWasmBackend, true);
