import type { Backend, KTensor, OutMeta, Storage } from '../../core/backend.js';
import type { DType, TypedArray } from '../../core/dtype.js';

export class RefStorage implements Storage {
  refs = 0;
  freed = false;
  constructor(
    readonly backend: Backend,
    readonly data: TypedArray,
  ) {}
  get dtype(): DType {
    return this.data instanceof Float64Array
      ? 'float64'
      : this.data instanceof Float32Array
        ? 'float32'
        : 'int32';
  }
  get size(): number {
    return this.data.length;
  }
}

/** The data of a kernel input on the reference backend. */
export function dataOf(t: KTensor): TypedArray {
  return (t.storage as RefStorage).data;
}

let owner: Backend | null = null;
export function setOwner(b: Backend): void {
  owner = b;
}

/** A fresh output for a kernel. */
export function out(m: OutMeta): RefStorage {
  let n = 1;
  for (const d of m.shape) n *= d;
  return owner!.alloc(n, m.dtype) as RefStorage;
}

export function wrap(data: TypedArray): RefStorage {
  return new RefStorage(owner!, data);
}
