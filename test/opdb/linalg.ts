import { logSoftmax, matmul, softmax, type Tensor, tensor, zeros } from '../../src/index.js';
import { n, vals, withAttrs } from './_helpers.js';
import type { ErrorCase, OpCase, OpEntry } from './types.js';

type MM = { transA?: boolean; transB?: boolean };
const mm = (name: string, a: number[], b: number[], t: MM = {}): OpCase =>
  withAttrs(name, [n(...a), n(...b)], { transA: !!t.transA, transB: !!t.transB }, ([x, y]) =>
    t.transA === undefined && t.transB === undefined ? matmul(x, y) : matmul(x, y, t),
  );

const matmulCases: OpCase[] = [
  mm('2d', [3, 5], [5, 17]),
  mm('1x1', [1, 1], [1, 1]),
  mm('inner seventeen', [1, 17], [17, 1]),
  mm('outer product', [5, 1], [1, 3]),
  mm('vector matrix', [5], [5, 3]),
  mm('matrix vector', [3, 5], [5]),
  mm('vector vector', [17], [17]),
  mm('size-one vectors', [1], [1]),
  mm('transA', [5, 3], [5, 4], { transA: true }),
  mm('transB', [3, 5], [4, 5], { transB: true }),
  mm('transA transB', [5, 3], [17, 5], { transA: true, transB: true }),
  mm('explicit no transpose', [3, 5], [5, 2], { transA: false, transB: false }),
  mm('batch', [2, 3, 5], [2, 5, 4]),
  mm('batch broadcast', [2, 1, 3, 5], [3, 5, 4]),
  mm('batch broadcast size 1', [1, 3, 5], [2, 5, 3]),
  mm('matrix times batch', [3, 5], [2, 5, 4]),
  mm('batch times matrix', [2, 3, 5], [5, 17]),
  mm('batch transA', [2, 5, 3], [1, 5, 4], { transA: true }),
  mm('batch transB', [3, 5], [2, 4, 5], { transB: true }),
  mm('batch transA transB', [2, 1, 5, 3], [1, 3, 4, 5], { transA: true, transB: true }),
  mm('vector times batch', [5], [2, 5, 3]),
  mm('batch times vector', [2, 3, 5], [5]),
  // On a 1-D operand the transposition flag has nothing to transpose and is ignored.
  mm('vector with transA', [5], [5, 3], { transA: true }),
  mm('vector with transB', [3, 5], [5], { transB: true }),
];

const matmulErrors: ErrorCase[] = [
  {
    name: 'inner mismatch',
    run: () => matmul(zeros([2, 3]), zeros([4, 5])),
    message: /^matmul: inner dimensions differ: a \[2,3\] has 3 columns, b \[4,5\] has 4 rows$/,
  },
  {
    name: 'inner mismatch transposed',
    run: () => matmul(zeros([2, 3]), zeros([4, 5]), { transA: true, transB: true }),
    message: /^matmul: inner dimensions differ: a \[2,3\]ᵀ has 2 columns, b \[4,5\]ᵀ has 5 rows$/,
  },
  {
    name: 'vector mismatch',
    run: () => matmul(zeros([3]), zeros([4])),
    message: /^matmul: inner dimensions differ: a \[3\] has 3 columns, b \[4\] has 4 rows$/,
  },
  {
    name: 'vector matrix mismatch',
    run: () => matmul(zeros([3]), zeros([4, 2])),
    message: /^matmul: inner dimensions differ: a \[3\] has 3 columns, b \[4,2\] has 4 rows$/,
  },
  {
    name: 'batch mismatch',
    run: () => matmul(zeros([2, 3, 4]), zeros([5, 4, 2])),
    message: /^matmul: batch dimensions of a \[2,3,4\] and b \[5,4,2\] cannot be broadcast together/,
  },
  {
    name: 'scalar operand',
    run: () => matmul(zeros([]), zeros([3])),
    message: /^matmul: needs tensors of rank >= 1, got \[\] and \[3\]$/,
  },
  {
    name: 'dtype mismatch',
    run: () => matmul(zeros([2, 2], { dtype: 'float32' }), zeros([2, 2], { dtype: 'float64' })),
    message: /^matmul: inputs must have the same dtype, got float32 and float64$/,
  },
  {
    name: 'int input',
    run: () => matmul(zeros([2, 2], { dtype: 'int32' }), zeros([2, 2], { dtype: 'int32' })),
    message: /^matmul: input must be float32 or float64, got int32$/,
  },
];

type Norm = (x: Tensor, axis?: number) => Tensor;
function softmaxEntry(op: string, f: Norm): OpEntry {
  const c = (name: string, shape: number[], axis?: number) =>
    withAttrs(name, [n(...shape)], { axis: axis ?? -1 }, ([x], a) =>
      axis === undefined ? f(x) : f(x, a.axis),
    );
  return {
    op,
    cases: [
      c('default axis', [3, 5]),
      c('axis 0', [3, 5], 0),
      c('axis 1', [3, 5], 1),
      c('negative axis', [3, 17], -2),
      c('middle axis', [2, 3, 17], 1),
      c('size-1 axis', [4, 1], -1),
      c('size one', [1]),
      c('seventeen', [17]),
      c('batch', [2, 3, 5], 2),
      // Large logits: computed stably, with the max subtracted.
      withAttrs(
        'large values',
        [vals([2, 3], [1000, 1001, 999, -1000, -1002, -1001])],
        { axis: -1 },
        ([x], a) => f(x, a.axis),
      ),
    ],
    errors: [
      {
        name: 'axis out of range',
        run: () => f(zeros([2, 3]), 2),
        message: new RegExp(`^${op}: axis 2 is out of range for a tensor of rank 2$`),
      },
      {
        name: 'int input',
        run: () => f(tensor([1, 2], undefined, { dtype: 'int32' })),
        message: new RegExp(`^${op}: input must be float32 or float64, got int32$`),
      },
    ],
  };
}

export const entries: OpEntry[] = [
  { op: 'matmul', cases: matmulCases, errors: matmulErrors },
  softmaxEntry('softmax', softmax),
  softmaxEntry('logSoftmax', logSoftmax),
];
