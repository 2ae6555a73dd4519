import { fromTypedArray } from '../core/creation.js';
import { arrayFor, type DType, isFloat } from '../core/dtype.js';
import { run1, runOp } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import type { OpDef, TensorMeta } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';

export type { OpDef, TensorMeta };
export { run1, runOp };

/** Identity helper that fixes an op definition's attribute type. */
export function defineOp<A = Record<string, never>>(def: OpDef<A>): OpDef<A> {
  return def;
}

export function expectCount(op: string, inputs: readonly TensorMeta[], n: number): void {
  if (inputs.length !== n) throw new StrataError(op, `expects ${n} input(s), got ${inputs.length}`);
}

export function expectFloat(op: string, t: TensorMeta, what = 'input'): void {
  if (!isFloat(t.dtype)) throw new StrataError(op, `${what} must be float32 or float64, got ${t.dtype}`);
}

export function expectSameDtype(op: string, a: TensorMeta, b: TensorMeta): void {
  if (a.dtype !== b.dtype)
    throw new StrataError(op, `inputs must have the same dtype, got ${a.dtype} and ${b.dtype}`);
}

/** A scalar tensor of `v` on the same backend and of the same dtype as `like`. */
export function scalarLike(like: Tensor, v: number, dtype: DType = like.dtype): Tensor {
  const a = arrayFor(dtype, 1);
  a[0] = v;
  return fromTypedArray(a, [], { backend: like.backend, dtype });
}

export type TensorOrNumber = Tensor | number;

/** Turns numbers into scalar tensors matching the tensor among the operands. */
export function lift(op: string, a: TensorOrNumber, b: TensorOrNumber): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number')
    throw new StrataError(op, 'needs at least one tensor operand, got two numbers');
  if (typeof a === 'number') a = scalarLike(b as Tensor, a);
  if (typeof b === 'number') b = scalarLike(a, b);
  return [a, b];
}
