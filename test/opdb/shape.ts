import { broadcastTo, concat, flip, pad, permute, reshape, slice, zeros } from '../../src/index.js';
import type { PadMode } from '../../src/ops/shape.js';
import { n, rawOp, withAttrs } from './_helpers.js';
import type { OpCase, OpEntry } from './types.js';

const reshapeCases: OpCase[] = (
  [
    ['transpose-like', [3, 5], [5, 3]],
    ['flat', [3, 5], [15]],
    ['infer', [2, 3, 5], [-1, 5]],
    ['infer middle', [2, 3, 17], [2, -1, 1]],
    ['scalar to ones', [], [1, 1]],
    ['one to scalar', [1], []],
    ['add axes', [17], [1, 17, 1]],
    ['batch', [2, 3, 17], [6, 17]],
    ['same shape', [3, 5], [3, 5]],
  ] as const
).map(([name, from, to]) =>
  withAttrs(name, [n(...from)], { shape: [...to] }, ([x], a) => reshape(x, a.shape)),
);

const permuteCases: OpCase[] = (
  [
    ['2d', [3, 5], [1, 0]],
    ['3d rotate', [2, 3, 5], [2, 0, 1]],
    ['negative axes', [2, 3, 5], [-1, 0, 1]],
    ['size-1 axes', [1, 17, 1], [2, 1, 0]],
    ['identity', [17], [0]],
    ['4d', [2, 1, 3, 5], [3, 1, 0, 2]],
    ['scalar', [], []],
  ] as const
).map(([name, shape, perm]) =>
  withAttrs(name, [n(...shape)], { perm: [...perm] }, ([x], a) => permute(x, a.perm)),
);

type SliceArgs = { begin: number[]; end?: (number | null)[]; step?: number[] };
const sl = (name: string, shape: number[], a: SliceArgs): OpCase =>
  withAttrs(name, [n(...shape)], a, ([x]) =>
    slice(
      x,
      a.begin,
      a.end?.map((e) => e ?? undefined),
      a.step,
    ),
  );

const sliceCases: OpCase[] = [
  sl('range', [5], { begin: [1], end: [4] }),
  sl('step 2', [17], { begin: [0], end: [null], step: [2] }),
  sl('step 3 odd start', [17], { begin: [1], end: [17], step: [3] }),
  sl('2d steps', [3, 17], { begin: [1, 2], end: [3, 15], step: [1, 4] }),
  sl('negative indices', [17], { begin: [-5], end: [-1] }),
  sl('clamped end', [5], { begin: [2], end: [100] }),
  sl('clamped negative begin', [5], { begin: [-100], end: [3] }),
  sl('missing trailing axes', [2, 3, 5], { begin: [1] }),
  sl('size one', [1, 5], { begin: [0, 4] }),
  sl('empty', [5], { begin: [3], end: [2] }),
  sl('begin past end', [5], { begin: [7] }),
  sl('step past size', [3, 5], { begin: [0, 1], end: [3, 5], step: [5, 2] }),
  sl('batch', [2, 3, 17], { begin: [0, 1, 3], end: [2, 3, 16], step: [1, 1, 2] }),
];

/** [shape, begin, end, step] of a slice; the input has the slice's shape. */
const scatter = (
  name: string,
  xShape: number[],
  shape: number[],
  begin: number[],
  end: number[],
  step: number[],
) => withAttrs(name, [n(...xShape)], { shape, begin, end, step }, ([x], a) => rawOp('sliceScatter', [x], a));

const sliceScatterCases: OpCase[] = [
  scatter('1d step 3', [5], [17], [2], [17], [3]),
  scatter('2d', [3, 5], [4, 17], [1, 0], [4, 15], [1, 3]),
  scatter('size one', [1], [1], [0], [1], [1]),
  scatter('seventeen step 2', [17], [35], [1], [35], [2]),
  scatter('steps 2', [2, 2], [3, 5], [0, 1], [3, 5], [2, 2]),
  scatter('whole', [2, 3], [2, 3], [0, 0], [2, 3], [1, 1]),
  scatter('batch', [2, 3, 5], [2, 3, 17], [0, 0, 1], [2, 3, 16], [1, 1, 3]),
];

const concatCases: OpCase[] = [
  withAttrs('axis 0', [n(3, 5), n(2, 5)], { axis: 0 }, (xs, a) => concat(xs, a.axis)),
  withAttrs('axis 1 odd', [n(3, 5), n(3, 17)], { axis: 1 }, (xs, a) => concat(xs, a.axis)),
  withAttrs('negative axis', [n(2, 3), n(2, 1)], { axis: -1 }, (xs, a) => concat(xs, a.axis)),
  withAttrs('three with size 1', [n(2, 1, 5), n(2, 3, 5), n(2, 1, 5)], { axis: 1 }, (xs, a) =>
    concat(xs, a.axis),
  ),
  withAttrs('size one', [n(1), n(1)], { axis: 0 }, (xs, a) => concat(xs, a.axis)),
  withAttrs('seventeen and three', [n(17), n(3)], { axis: 0 }, (xs, a) => concat(xs, a.axis)),
  withAttrs('batch', [n(2, 3, 5), n(2, 3, 5)], { axis: 0 }, (xs, a) => concat(xs, a.axis)),
  withAttrs('single', [n(3, 5)], { axis: 0 }, (xs, a) => concat(xs, a.axis)),
  // The same tensor twice: its gradient accumulates from both slices.
  withAttrs('same tensor twice', [n(3, 5)], { axis: 1, twice: true }, ([x], a) => concat([x, x], a.axis)),
];

type Pads = [number, number][];
const pd = (name: string, shape: number[], pads: Pads, mode: PadMode = 'constant', value = 0) =>
  withAttrs(name, [n(...shape)], { pads, mode, value }, ([x], a) => pad(x, a.pads, a.mode, a.value));

const padCases: OpCase[] = [
  pd(
    'constant',
    [3, 5],
    [
      [1, 2],
      [0, 3],
    ],
  ),
  pd('constant value', [17], [[2, 1]], 'constant', -1.5),
  pd('constant default mode', [1], [[1, 1]]),
  pd(
    'reflect',
    [3, 5],
    [
      [2, 1],
      [3, 4],
    ],
    'reflect',
  ),
  pd('reflect seventeen', [17], [[16, 5]], 'reflect'),
  pd(
    'reflect size-1 unpadded',
    [1, 5],
    [
      [0, 0],
      [1, 2],
    ],
    'reflect',
  ),
  pd(
    'edge',
    [3, 5],
    [
      [2, 3],
      [1, 4],
    ],
    'edge',
  ),
  pd(
    'edge size one',
    [1, 5],
    [
      [2, 2],
      [0, 1],
    ],
    'edge',
  ),
  pd('missing trailing axes', [2, 3, 5], [[1, 1]]),
  pd('zero pads', [3], [[0, 0]]),
  pd(
    'batch reflect',
    [2, 3, 5],
    [
      [0, 0],
      [1, 1],
      [2, 2],
    ],
    'reflect',
  ),
  pd(
    'batch edge',
    [2, 3, 17],
    [
      [0, 1],
      [0, 0],
      [3, 2],
    ],
    'edge',
  ),
];

/** padBackward: the input is the padded shape; `shape` is the unpadded one. */
const pb = (name: string, shape: number[], before: number[], after: number[], mode: PadMode, value = 0) =>
  withAttrs(
    name,
    [n(...shape.map((d, i) => d + before[i] + after[i]))],
    { before, after, mode, value, shape },
    ([x], a) => rawOp('padBackward', [x], a),
  );

const padBackwardCases: OpCase[] = [
  pb('constant', [3, 5], [1, 0], [2, 3], 'constant'),
  pb('reflect', [3, 5], [2, 3], [1, 4], 'reflect'),
  pb('reflect seventeen', [17], [16], [5], 'reflect'),
  pb('edge', [3, 5], [2, 1], [3, 4], 'edge'),
  pb('edge size one', [1, 5], [2, 0], [2, 1], 'edge'),
  pb('size one unpadded', [1], [0], [0], 'constant'),
  pb('edge fifteen to seventeen', [15], [1], [1], 'edge'),
  pb('batch', [2, 3, 5], [0, 1, 2], [0, 1, 2], 'reflect'),
];

const flipCases: OpCase[] = (
  [
    ['all', [17], null],
    ['axis 0', [3, 5], 0],
    ['negative axis', [3, 5], -1],
    ['two axes', [2, 3, 5], [0, 2]],
    ['size-1 axis', [1, 5], 0],
    ['size one', [1], null],
    ['batch all', [2, 3, 17], null],
  ] as const
).map(([name, shape, axes]) =>
  withAttrs(name, [n(...shape)], { axes }, ([x]) =>
    flip(x, axes === null ? undefined : (axes as number[] | number)),
  ),
);

const broadcastCases: OpCase[] = (
  [
    ['scalar', [], [3, 5]],
    ['size one', [1], [17]],
    ['odd row', [1, 17], [3, 17]],
    ['row', [1, 5], [3, 5]],
    ['column to batch', [3, 1], [2, 3, 17]],
    ['rank increase', [5], [2, 3, 5]],
    ['middle', [2, 1, 5], [2, 3, 5]],
    ['same shape', [1, 1], [1, 1]],
  ] as const
).map(([name, from, to]) =>
  withAttrs(name, [n(...from)], { shape: [...to] }, ([x], a) => broadcastTo(x, a.shape)),
);

export const entries: OpEntry[] = [
  {
    op: 'reshape',
    cases: reshapeCases,
    errors: [
      {
        name: 'size mismatch',
        run: () => reshape(zeros([2, 3]), [4]),
        message: /^reshape: cannot reshape \[2,3\] \(6 elements\) to \[4\]$/,
      },
      {
        name: 'cannot infer',
        run: () => reshape(zeros([2, 3]), [4, -1]),
        message: /^reshape: cannot infer -1 in \[4,-1\] for 6 elements$/,
      },
      {
        name: 'negative size',
        run: () => reshape(zeros([2, 3]), [-2, -3]),
        message: /^reshape: shape \[-2,-3\] must hold non-negative integers$/,
      },
    ],
  },
  {
    op: 'permute',
    cases: permuteCases,
    errors: [
      {
        name: 'repeated axis',
        run: () => permute(zeros([2, 3]), [0, 0]),
        message: /^permute: perm \[0,0\] is not a permutation of the 2 axes of \[2,3\]$/,
      },
      {
        name: 'wrong length',
        run: () => permute(zeros([2, 3, 4]), [1, 0]),
        message: /^permute: perm \[1,0\] is not a permutation of the 3 axes of \[2,3,4\]$/,
      },
      {
        name: 'axis out of range',
        run: () => permute(zeros([2, 3]), [0, 2]),
        message: /^permute: axis 2 is out of range for a tensor of rank 2$/,
      },
    ],
  },
  {
    op: 'slice',
    cases: sliceCases,
    errors: [
      {
        name: 'zero step',
        run: () => slice(zeros([5]), [0], [5], [0]),
        message: /^slice: step 0 on axis 0 must be a positive integer$/,
      },
      {
        name: 'negative step',
        run: () => slice(zeros([2, 5]), [0, 4], [2, 0], [1, -1]),
        message: /^slice: step -1 on axis 1 must be a positive integer$/,
      },
      {
        name: 'too many indices',
        run: () => slice(zeros([2, 3]), [0, 0, 0]),
        message: /^slice: 3 begin indices for a tensor of rank 2$/,
      },
    ],
  },
  {
    op: 'sliceScatter',
    cases: sliceScatterCases,
    errors: [
      {
        name: 'input does not match the slice',
        run: () => rawOp('sliceScatter', [zeros([2])], { shape: [5], begin: [0], end: [5], step: [2] }),
        message: /^sliceScatter: input \[2\] does not match the slice \[3\]$/,
      },
    ],
  },
  {
    op: 'concat',
    cases: concatCases,
    errors: [
      {
        name: 'shape mismatch',
        run: () => concat([zeros([2, 3]), zeros([2, 4])], 0),
        message: /^concat: input 1 has shape \[2,4\], which does not match \[2,3\] outside axis 0$/,
      },
      {
        name: 'rank mismatch',
        run: () => concat([zeros([2, 3]), zeros([2, 3, 1])], 1),
        message: /^concat: input 1 has shape \[2,3,1\], which does not match \[2,3\] outside axis 1$/,
      },
      {
        name: 'dtype mismatch',
        run: () => concat([zeros([2], { dtype: 'float32' }), zeros([2], { dtype: 'float64' })]),
        message: /^concat: input 1 is float64, input 0 is float32$/,
      },
      { name: 'empty list', run: () => concat([]), message: /^concat: needs at least one tensor$/ },
      {
        name: 'axis out of range',
        run: () => concat([zeros([2, 3]), zeros([2, 3])], 2),
        message: /^concat: axis 2 is out of range for a tensor of rank 2$/,
      },
    ],
  },
  {
    op: 'pad',
    cases: padCases,
    errors: [
      {
        name: 'negative pad',
        run: () => pad(zeros([3, 4]), [[-1, 0]]),
        message: /^pad: pads must be non-negative, got -1 and 0 on axis 0$/,
      },
      {
        name: 'reflect too large',
        run: () => pad(zeros([3, 4]), [[3, 0]], 'reflect'),
        message: /^pad: reflect pads on axis 0 must be smaller than its size 3$/,
      },
      {
        name: 'reflect size one',
        run: () => pad(zeros([1]), [[0, 1]], 'reflect'),
        message: /^pad: reflect pads on axis 0 must be smaller than its size 1$/,
      },
      {
        name: 'too many pairs',
        run: () =>
          pad(zeros([3, 4]), [
            [1, 1],
            [1, 1],
            [1, 1],
          ]),
        message: /^pad: 3 pad pairs for a tensor of rank 2$/,
      },
      {
        name: 'unknown mode',
        run: () => pad(zeros([3]), [[1, 1]], 'wrap' as PadMode),
        message: /^pad: unknown mode 'wrap'$/,
      },
      {
        name: 'non-integer pads',
        run: () => pad(zeros([3]), [[0.5, 1]]),
        message: /^pad: pads must be integers$/,
      },
    ],
  },
  {
    op: 'padBackward',
    cases: padBackwardCases,
    errors: [
      {
        name: 'not the padded shape',
        run: () =>
          rawOp('padBackward', [zeros([3])], {
            before: [1],
            after: [1],
            mode: 'constant',
            value: 0,
            shape: [3],
          }),
        message: /^padBackward: input \[3\] is not the padded shape \[5\]$/,
      },
    ],
  },
  {
    op: 'flip',
    cases: flipCases,
    errors: [
      {
        name: 'axis out of range',
        run: () => flip(zeros([2, 3]), 2),
        message: /^flip: axis 2 is out of range for a tensor of rank 2$/,
      },
      {
        name: 'repeated axis',
        run: () => flip(zeros([2, 3]), [1, -1]),
        message: /^flip: axes \[1,-1\] repeat an axis$/,
      },
    ],
  },
  {
    op: 'broadcastTo',
    cases: broadcastCases,
    errors: [
      {
        name: 'incompatible',
        run: () => broadcastTo(zeros([3]), [2, 4]),
        message: /^broadcastTo: shapes \[3\] and \[2,4\] cannot be broadcast together/,
      },
      {
        name: 'would reduce',
        run: () => broadcastTo(zeros([3, 5]), [5]),
        message: /^broadcastTo: cannot broadcast \[3,5\] to \[5\]$/,
      },
    ],
  },
];
