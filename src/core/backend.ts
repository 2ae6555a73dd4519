import type { DType, TypedArray } from './dtype.js';
import { StrataError } from './errors.js';
import type { Shape } from './shape.js';

/**
 * A block of tensor data owned by a backend. Several tensors may share one (reshape, detach);
 * `refs` counts them, and the data is freed when the last one is disposed or collected.
 */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  /** Elements. */
  readonly size: number;
  refs: number;
  freed: boolean;
}

/** What a kernel sees of an input: its data and its shape, nothing of autograd. */
export interface KTensor {
  readonly storage: Storage;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Shape and type of an op's output, computed once by the op before any kernel runs. */
export interface OutMeta {
  readonly shape: number[];
  readonly dtype: DType;
}

/** A kernel computes an op's outputs into fresh storages of the backend. */
export type Kernel<A> = (inputs: readonly KTensor[], attrs: A, outs: readonly OutMeta[]) => Storage[];

export interface MemoryInfo {
  /** Tensors alive (not yet disposed or collected). */
  liveTensors: number;
  /** Storages alive. */
  liveStorages: number;
  /** Bytes held by live storages. */
  bytesInUse: number;
  /** Bytes the backend has reserved (wasm heap size; equals bytesInUse where there is no pool). */
  heapBytes: number;
}

export interface Backend {
  readonly name: string;
  /** Element types this backend stores. */
  readonly dtypes: readonly DType[];
  /** Copies host data into a new storage. */
  upload(data: TypedArray): Storage;
  /** Copies a storage's data out to the host. */
  read(s: Storage): TypedArray;
  /** A new zero-filled storage. */
  alloc(size: number, dtype: DType): Storage;
  /** Frees a storage's data; called once, when `refs` reaches 0 or its last tensor is collected. */
  free(s: Storage): void;
  /** The kernel for an op, or undefined (the engine then falls back to the reference backend). */
  kernel(op: string): Kernel<any> | undefined;
  memory(): { bytesInUse: number; heapBytes: number; liveStorages: number };
}

const backends = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let current: Backend | null = null;
let defaultName = 'reference';

/** Makes a backend available by name; `factory` runs on first use. */
export function registerBackend(name: string, factory: () => Backend, makeDefault = false): void {
  backends.set(name, factory);
  if (makeDefault) defaultName = name;
}

export function backendByName(name: string): Backend {
  let b = instances.get(name);
  if (!b) {
    const f = backends.get(name);
    if (!f)
      throw new StrataError(
        'setBackend',
        `unknown backend '${name}'; available: ${[...backends.keys()].join(', ')}`,
      );
    b = f();
    instances.set(name, b);
  }
  return b;
}

/** Selects the backend new tensors are created on. */
export function setBackend(name: string): void {
  current = backendByName(name);
}

export function getBackend(): Backend {
  if (!current) current = backendByName(envVar('STRATA_BACKEND') || defaultName);
  return current;
}

export function listBackends(): string[] {
  return [...backends.keys()];
}

/** Reads an environment variable in Node; undefined in a browser. */
export function envVar(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name];
}
