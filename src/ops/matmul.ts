import { StrataError } from '../core/errors.js';
import { broadcastShapes } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { defineOp, expectCount, expectFloat, expectSameDtype, run1 } from './define.js';
import { sumTo } from './reduce.js';
import { reshape } from './shape.js';

export interface MatmulAttrs {
  /** Use the transpose of the last two axes of a / b. */
  transA: boolean;
  transB: boolean;
}

/**
 * Batched matrix product of tensors of rank >= 2: the last two axes multiply, the leading ones
 * broadcast. The backward products use the transposition flags instead of explicit transposes.
 */
export const matmulOp = defineOp<MatmulAttrs>({
  name: 'matmul',
  infer: (inputs, { transA, transB }) => {
    expectCount('matmul', inputs, 2);
    const [a, b] = inputs;
    expectFloat('matmul', a);
    expectSameDtype('matmul', a, b);
    if (a.shape.length < 2 || b.shape.length < 2)
      throw new StrataError('matmul', `needs rank >= 2 inputs, got [${a.shape}] and [${b.shape}]`);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const [m, ka] = transA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
    const [kb, n] = transB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
    if (ka !== kb) throw innerMismatch(a.shape, b.shape, transA, transB, ka, kb);
    const ba = a.shape.slice(0, -2);
    const bb = b.shape.slice(0, -2);
    if (!batchesBroadcast(ba, bb))
      throw new StrataError(
        'matmul',
        `batch dimensions of a [${a.shape}] and b [${b.shape}] cannot be broadcast together ([${ba}] vs [${bb}])`,
      );
    return [{ shape: [...broadcastShapes('matmul', ba, bb), m, n], dtype: a.dtype }];
  },
  grad: ([dy], { inputs: [a, b], attrs: { transA, transB } }) => [
    // y = op(a)·op(b): d op(a) = dy·op(b)ᵀ, d op(b) = op(a)ᵀ·dy; undo op() by swapping operands.
    () => sumTo(transA ? mm(b, dy, transB, true) : mm(dy, b, false, !transB), a.shape),
    () => sumTo(transB ? mm(dy, a, true, transA) : mm(a, dy, !transA, false), b.shape),
  ],
});

function innerMismatch(
  a: readonly number[],
  b: readonly number[],
  transA: boolean,
  transB: boolean,
  ka: number,
  kb: number,
): StrataError {
  return new StrataError(
    'matmul',
    `inner dimensions differ: a [${a}]${transA ? 'ᵀ' : ''} has ${ka} columns, b [${b}]${transB ? 'ᵀ' : ''} has ${kb} rows`,
  );
}

function batchesBroadcast(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i];
    const y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

function mm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return run1(matmulOp, [a, b], { transA, transB });
}

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted (a vector on the left is a row,
 * on the right a column) and the added axis removed again; leading axes broadcast.
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  if (a.rank === 0 || b.rank === 0)
    throw new StrataError('matmul', `needs tensors of rank >= 1, got [${a.shape}] and [${b.shape}]`);
  const va = a.rank === 1;
  const vb = b.rank === 1;
  const tA = !!opts.transA && !va;
  const tB = !!opts.transB && !vb;
  if (va || vb) {
    // Checked here so the message shows the shapes given, not the promoted ones.
    const ka = va ? a.shape[0] : a.shape[a.rank - (tA ? 2 : 1)];
    const kb = vb ? b.shape[0] : b.shape[b.rank - (tB ? 1 : 2)];
    if (ka !== kb) throw innerMismatch(a.shape, b.shape, tA, tB, ka, kb);
  }
  const A = va ? reshape(a, [1, a.shape[0]]) : a;
  const B = vb ? reshape(b, [b.shape[0], 1]) : b;
  let y = mm(A, B, tA, tB);
  if (va) y = reshape(y, [...y.shape.slice(0, -2), y.shape[y.rank - 1]]);
  if (vb) y = reshape(y, y.shape.slice(0, -1));
  return y;
}
