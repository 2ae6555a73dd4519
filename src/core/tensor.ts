import type { Backend, KTensor, Storage } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { StrataError } from './errors.js';
import { onTensorCreated, onTensorDisposed, registerTensor } from './memory.js';
import type { Node } from './op.js';
import { type Shape, sizeOf } from './shape.js';

export type NestedArray = number | NestedArray[];

let nextId = 1;
let scopeHook: ((t: Tensor) => void) | null = null;

/**
 * The engine installs this to learn of every tensor created inside a scope; such a tensor is
 * registered for garbage collection only if it outlives the scopes (`registerForGc`).
 */
export function setScopeHook(h: ((t: Tensor) => void) | null): void {
  scopeHook = h;
}

/**
 * An n-dimensional array on a backend. Tensors are immutable: ops make new tensors. A tensor made by
 * an op from inputs that require a gradient records the op (its `node`) so `backward` can walk back.
 */
export class Tensor implements KTensor {
  readonly id = nextId++;
  readonly shape: number[];
  readonly dtype: DType;
  /** Set when a gradient is wanted for this tensor. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf (or of a tensor marked with `retainGrad`). */
  grad: Tensor | null = null;
  /** The op application that made this tensor, if it is part of a recorded graph. */
  node: Node | null = null;
  /** Whether `backward` keeps the gradient of this non-leaf tensor in `.grad`. */
  retainsGrad = false;
  /** Optional name (parameters carry theirs). */
  name?: string;
  private _storage: Storage | null;
  /** Set by the engine for tensors it must not dispose (parameters, kept results). */
  kept = false;
  /** Whether the FinalizationRegistry watches this tensor (see core/memory.ts). */
  private gcRegistered = false;

  constructor(storage: Storage, shape: Shape, dtype: DType = storage.dtype) {
    if (sizeOf(shape) !== storage.size)
      throw new StrataError(
        'Tensor',
        `shape [${shape}] needs ${sizeOf(shape)} elements, storage holds ${storage.size}`,
      );
    this._storage = storage;
    this.shape = [...shape];
    this.dtype = dtype;
    onTensorCreated(storage);
    if (scopeHook) scopeHook(this);
    else this.registerForGc();
  }

  /**
   * Lets the garbage collector reclaim the data once this tensor is unreachable (at creation outside
   * scopes; by the engine for a tensor that outlives its scopes). Idempotent; internal.
   */
  registerForGc(): void {
    if (this.gcRegistered || !this._storage) return;
    this.gcRegistered = true;
    registerTensor(this, this._storage);
  }

  get storage(): Storage {
    const s = this._storage;
    if (!s)
      throw new StrataError(
        'Tensor',
        `tensor #${this.id} ${this.name ? `'${this.name}' ` : ''}[${this.shape}] was disposed and can no longer be used`,
      );
    return s;
  }

  get backend(): Backend {
    return this.storage.backend;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this._storage === null;
  }

  /** A leaf has no recorded op: user data and parameters. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** Copies the data out (a typed array of the tensor's dtype, row-major). */
  data(): TypedArray {
    return this.backend.read(this.storage);
  }

  /** The data as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    const d = this.data();
    const shape = this.shape;
    if (shape.length === 0) return d[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = d[offset + i];
        return out;
      }
      const step = sizeOf(shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * step);
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new StrataError('item', `needs a tensor of one element, got shape [${this.shape}]`);
    return this.data()[0];
  }

  /** Frees the data now (optional: the engine and the garbage collector do it otherwise). */
  dispose(): void {
    const s = this._storage;
    if (!s) return;
    this._storage = null;
    this.node = null;
    this.grad = null;
    onTensorDisposed(s, this.gcRegistered ? this : null);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Asks backward to keep this non-leaf tensor's gradient in `.grad`. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** Marks this tensor as a leaf that wants a gradient. */
  requireGrad(flag = true): this {
    if (flag && this.dtype === 'int32')
      throw new StrataError('requireGrad', 'an int32 tensor cannot require a gradient');
    this.requiresGrad = flag;
    return this;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape}]${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** A tensor sharing `t`'s storage under another shape (no copy). */
export function aliasOf(t: Tensor, shape: Shape): Tensor {
  return new Tensor(t.storage, shape, t.dtype);
}
