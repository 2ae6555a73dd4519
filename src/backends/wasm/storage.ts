import type { Backend, KTensor, Storage } from '../../core/backend.js';
import type { DType } from '../../core/dtype.js';
import type { Runtime } from './runtime.js';

/** Tensor data in the wasm memory: `ptr` is its byte address, `block` the allocator block's size. */
export class WasmStorage implements Storage {
  refs = 0;
  freed = false;
  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    readonly size: number,
    readonly ptr: number,
    readonly block: number,
  ) {}
}

interface Owner {
  backend: Backend;
  rt: Runtime;
  /** An uninitialized storage (the kernel writes every element). */
  alloc(size: number, dtype: DType): WasmStorage;
}

let owner: Owner | null = null;

export function setOwner(o: Owner): void {
  owner = o;
}

export function rt(): Runtime {
  return owner!.rt;
}

/** A fresh output storage, not initialized. */
export function out(size: number, dtype: DType): WasmStorage {
  return owner!.alloc(size, dtype);
}

/**
 * A fresh output storage filled with zeros, by the fill kernel: TypedArray.fill on the shared
 * memory goes element by element (about 0.5 ns a byte, 35× memset). The runtime's zero() uses a
 * parameter block of its own, so a kernel may call it after writing its parameters.
 */
export function zeros(size: number, dtype: DType): WasmStorage {
  const s = owner!.alloc(size, dtype);
  if (size) owner!.rt.zero(s.ptr, size);
  return s;
}

/** Byte address of a kernel input's data. */
export function ptr(t: KTensor): number {
  return (t.storage as WasmStorage).ptr;
}

export const sizeOf = (shape: readonly number[]): number => {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
};
