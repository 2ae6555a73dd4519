import { argmax, argmin, max, min, sum, type Tensor, tensor, zeros } from '../../src/index.js';
import { dist, n, vals, withAttrs } from './_helpers.js';
import type { ErrorCase, InputSpec, OpCase, OpEntry } from './types.js';

type Axes = number | number[] | undefined;
type Reduce = (x: Tensor, axes?: Axes, keepDims?: boolean) => Tensor;

/** Axis variants of a reduction: all, one, several, negative, keepDims, size-1 and odd axes. */
function reduceCases(f: Reduce, make: (...shape: number[]) => InputSpec): OpCase[] {
  const c = (name: string, shape: number[], axes?: number | number[], keepDims?: boolean) =>
    withAttrs(name, [make(...shape)], { axes: axes ?? null, keepDims: keepDims ?? false }, ([x], a) =>
      keepDims === undefined ? f(x, axes) : f(x, axes, a.keepDims),
    );
  return [
    c('all', [3, 5]),
    c('all keepDims', [2, 3], undefined, true),
    c('scalar', []),
    c('size one', [1]),
    c('size one axis keepDims', [1, 1], 0, true),
    c('seventeen', [17], 0),
    c('axis 1', [3, 17], 1),
    c('axis 0', [3, 17], 0),
    c('negative axis', [2, 3, 5], -1),
    c('axes 0 and 2', [2, 3, 5], [0, 2]),
    c('negative axes unsorted', [2, 3, 5], [-1, 0]),
    c('keepDims', [2, 3, 5], 1, true),
    c('keepDims two axes', [2, 3, 17], [-2, -1], true),
    c('size-1 axis', [3, 1, 5], 1),
    c('every axis listed', [2, 1, 3], [0, 1, 2]),
  ];
}

function axisErrors(op: string, f: Reduce): ErrorCase[] {
  return [
    {
      name: 'axis out of range',
      run: () => f(zeros([2, 3]), 2),
      message: new RegExp(`^${op}: axis 2 is out of range for a tensor of rank 2$`),
    },
    {
      name: 'negative axis out of range',
      run: () => f(zeros([2, 3]), -3),
      message: new RegExp(`^${op}: axis -3 is out of range for a tensor of rank 2$`),
    },
    {
      name: 'repeated axis',
      run: () => f(zeros([2, 3]), [0, -2]),
      message: new RegExp(`^${op}: axes \\[0,-2\\] repeat an axis$`),
    },
    {
      name: 'int input',
      run: () => f(zeros([2, 3], { dtype: 'int32' })),
      message: new RegExp(`^${op}: input must be float32 or float64, got int32$`),
    },
  ];
}

/** max/min: distinct values, and ties placed on purpose (the gradient splits evenly, as amax's). */
function extremum(op: string, f: Reduce): OpEntry {
  const ties = vals([2, 4], [3, -1, 3, -1, 2, -5, 2, -5]);
  return {
    op,
    cases: [
      ...reduceCases(f, dist),
      withAttrs('ties of two', [ties], { axes: 1, keepDims: false }, ([x], a) => f(x, a.axes, a.keepDims)),
      withAttrs(
        'ties of three',
        [vals([6], [2, -2, 2, -2, 2, -2])],
        { axes: null, keepDims: false },
        ([x]) => f(x),
        {
          skip: {
            gradcheck:
              'a tie of three is not differentiable: central differences give 1/2, the even split 1/3 (goldens check it)',
          },
        },
      ),
    ],
    errors: axisErrors(op, f),
  };
}

type Arg = (x: Tensor, axis?: number, keepDims?: boolean) => Tensor;

function arg(op: string, f: Arg): OpEntry {
  const c = (name: string, x: InputSpec, axis?: number, keepDims?: boolean) =>
    withAttrs(name, [x], { axis: axis ?? -1, keepDims: keepDims ?? false }, ([t], a) =>
      axis === undefined ? f(t) : keepDims === undefined ? f(t, a.axis) : f(t, a.axis, a.keepDims),
    );
  return {
    op,
    skip: { gradcheck: `${op} gives int32 indices: no gradient (the op defines none)` },
    cases: [
      c('default axis', dist(3, 17)),
      c('axis 0', dist(3, 17), 0),
      c('negative axis', dist(2, 3, 5), -2),
      c('keepDims', dist(2, 3, 5), 1, true),
      c('size one', dist(1)),
      c('size-1 axis', dist(3, 1), 1),
      c('seventeen', dist(17), 0),
      c('five', dist(5, 2), 0, true),
      // Ties: the first index wins, as in PyTorch.
      c('ties', vals([2, 5], [1, 3, 3, -1, 3, 0, 0, 0, 0, 0]), 1),
    ],
    errors: [
      {
        name: 'axis out of range',
        run: () => f(zeros([2, 3]), 2),
        message: new RegExp(`^${op}: axis 2 is out of range for a tensor of rank 2$`),
      },
      {
        name: 'empty axis',
        run: () => f(zeros([2, 0]), 1),
        message: new RegExp(`^${op}: cannot reduce the empty axis 1 of \\[2,0\\]$`),
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
  { op: 'sum', cases: reduceCases(sum, n), errors: axisErrors('sum', sum) },
  extremum('max', max),
  extremum('min', min),
  arg('argmax', argmax),
  arg('argmin', argmin),
];
