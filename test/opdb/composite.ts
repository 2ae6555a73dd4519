// Public functions composed of op-table ops (no gradient code of their own).
import {
  flatten,
  mean,
  stack,
  squeeze,
  sumTo,
  transpose,
  unsqueeze,
  variance,
  where,
  zeros,
} from '../../src/index.js';
import { mask, n, withAttrs } from './_helpers.js';
import type { OpCase, OpEntry } from './types.js';

type Axes = number | number[] | null;

const meanCases: OpCase[] = (
  [
    ['all', [3, 5], null, false],
    ['scalar', [], null, false],
    ['size one', [1], null, false],
    ['seventeen', [17], 0, false],
    ['axis 1', [3, 17], 1, false],
    ['negative axis keepDims', [2, 3, 5], -1, true],
    ['two axes', [2, 3, 5], [0, 2], false],
    ['all keepDims', [2, 3], null, true],
    ['size-1 axis', [3, 1, 5], 1, true],
  ] as const
).map(([name, shape, axes, keepDims]) =>
  withAttrs(name, [n(...shape)], { axes: axes as Axes, keepDims }, ([x], a) =>
    mean(x, a.axes ?? undefined, a.keepDims),
  ),
);

const varianceCases: OpCase[] = (
  [
    ['all', [3, 5], null, false, 0],
    ['all sample', [3, 5], null, false, 1],
    ['seventeen', [17], 0, false, 0],
    ['axis 1 sample', [3, 17], 1, false, 1],
    ['negative axis keepDims', [2, 3, 5], -1, true, 0],
    ['two axes sample', [2, 3, 5], [0, 2], true, 1],
    ['size-1 axis', [3, 1], 1, false, 0],
    ['scalar', [], null, false, 0],
  ] as const
).map(([name, shape, axes, keepDims, correction]) =>
  withAttrs(name, [n(...shape)], { axes: axes as Axes, keepDims, correction }, ([x], a) =>
    variance(x, a.axes ?? undefined, a.keepDims, a.correction),
  ),
);

const stackCases: OpCase[] = [
  withAttrs('axis 0', [n(3, 5), n(3, 5)], { axis: 0 }, (xs, a) => stack(xs, a.axis)),
  withAttrs('axis 1 three', [n(3, 5), n(3, 5), n(3, 5)], { axis: 1 }, (xs, a) => stack(xs, a.axis)),
  withAttrs('last axis', [n(17), n(17)], { axis: 1 }, (xs, a) => stack(xs, a.axis)),
  withAttrs('negative axis', [n(2, 3), n(2, 3)], { axis: -1 }, (xs, a) => stack(xs, a.axis)),
  withAttrs('scalars', [n(), n(), n()], { axis: 0 }, (xs, a) => stack(xs, a.axis)),
  withAttrs('size one', [n(1)], { axis: 0 }, (xs, a) => stack(xs, a.axis)),
  withAttrs('batch', [n(2, 3, 5), n(2, 3, 5)], { axis: 2 }, (xs, a) => stack(xs, a.axis)),
];

const squeezeCases: OpCase[] = (
  [
    ['all', [1, 3, 1, 5], null],
    ['one axis', [3, 1, 17], 1],
    ['negative axis', [3, 5, 1], -1],
    ['two axes', [1, 3, 1, 5, 1], [0, -1]],
    ['to scalar', [1, 1], null],
    ['nothing to squeeze', [3, 5], null],
  ] as const
).map(([name, shape, axes]) =>
  withAttrs(name, [n(...shape)], { axes: axes as Axes }, ([x], a) => squeeze(x, a.axes ?? undefined)),
);

const unsqueezeCases: OpCase[] = (
  [
    ['front', [3, 5], 0],
    ['back', [17], 1],
    ['middle', [2, 3, 5], 1],
    ['negative', [3, 5], -1],
    ['negative middle', [3, 5], -2],
    ['scalar', [], 0],
    ['size one', [1], 0],
  ] as const
).map(([name, shape, axis]) => withAttrs(name, [n(...shape)], { axis }, ([x], a) => unsqueeze(x, a.axis)));

const transposeCases: OpCase[] = (
  [
    ['default', [3, 5], null],
    ['batch default', [2, 3, 17], null],
    ['axes 0 2', [2, 3, 5], [0, 2]],
    ['negative axes', [2, 3, 5], [-3, -2]],
    ['size one', [1, 1], null],
    ['vector', [17], null],
  ] as const
).map(([name, shape, ab]) =>
  withAttrs(name, [n(...shape)], { axes: ab as [number, number] | null }, ([x], a) =>
    a.axes ? transpose(x, a.axes[0], a.axes[1]) : transpose(x),
  ),
);

const flattenCases: OpCase[] = (
  [
    ['all', [2, 3, 5], null],
    ['from 1', [2, 3, 5], [1]],
    ['middle', [2, 3, 5, 1], [1, 2]],
    ['negative', [2, 3, 17], [-2, -1]],
    ['scalar', [], null],
    ['size one', [1], null],
  ] as const
).map(([name, shape, se]) =>
  withAttrs(name, [n(...shape)], { range: se as number[] | null }, ([x], a) =>
    a.range ? flatten(x, a.range[0], a.range[1]) : flatten(x),
  ),
);

const sumToCases: OpCase[] = (
  [
    ['leading and size-1', [2, 3, 5], [3, 1]],
    ['leading', [2, 3, 5], [5]],
    ['to ones', [3, 17], [1, 1]],
    ['to scalar', [3, 5], []],
    ['same shape', [3, 5], [3, 5]],
    ['size one', [1], [1]],
    ['keep rank', [2, 3, 5], [2, 1, 5]],
  ] as const
).map(([name, from, to]) => withAttrs(name, [n(...from)], { shape: [...to] }, ([x], a) => sumTo(x, a.shape)));

const whereScalarCases: OpCase[] = [
  withAttrs('tensor and number', [mask(3, 5), n(3, 5)], { right: 0 }, ([c, x], a) => where(c, x, a.right)),
  withAttrs('number and tensor', [mask(17), n(17)], { left: 2.5 }, ([c, x], a) => where(c, a.left, x)),
  withAttrs('broadcast', [mask(3, 1), n(1, 5)], { right: -1 }, ([c, x], a) => where(c, x, a.right)),
  withAttrs('size one', [mask(1), n(1)], { left: 0.5 }, ([c, x], a) => where(c, a.left, x)),
  withAttrs('two numbers', [mask(2, 3)], { left: 1, right: -1 }, ([c], a) => where(c, a.left, a.right)),
];

export const entries: OpEntry[] = [
  {
    op: 'mean',
    cases: meanCases,
    errors: [
      {
        name: 'axis out of range',
        run: () => mean(zeros([2, 3]), 2),
        message: /^mean: axis 2 is out of range for a tensor of rank 2$/,
      },
    ],
  },
  {
    op: 'variance',
    cases: varianceCases,
    errors: [
      {
        name: 'axis out of range',
        run: () => variance(zeros([2, 3]), -3),
        message: /^variance: axis -3 is out of range for a tensor of rank 2$/,
      },
    ],
  },
  {
    op: 'stack',
    cases: stackCases,
    errors: [
      {
        name: 'shape mismatch',
        run: () => stack([zeros([2, 3]), zeros([3, 2])]),
        message: /^stack: tensor 1 has shape \[3,2\], tensor 0 has \[2,3\]$/,
      },
      { name: 'empty list', run: () => stack([]), message: /^stack: needs at least one tensor$/ },
      {
        name: 'axis out of range',
        run: () => stack([zeros([2, 3])], 3),
        message: /^stack: axis 3 is out of range for a tensor of rank 3$/,
      },
    ],
  },
  {
    op: 'squeeze',
    cases: squeezeCases,
    errors: [
      {
        name: 'axis not of size 1',
        run: () => squeeze(zeros([2, 1]), 0),
        message: /^squeeze: axis 0 of \[2,1\] has size 2, not 1$/,
      },
    ],
  },
  {
    op: 'unsqueeze',
    cases: unsqueezeCases,
    errors: [
      {
        name: 'axis out of range',
        run: () => unsqueeze(zeros([2, 3]), 3),
        message: /^unsqueeze: axis 3 is out of range for a tensor of rank 3$/,
      },
    ],
  },
  {
    op: 'transpose',
    cases: transposeCases,
    errors: [
      {
        name: 'axis out of range',
        run: () => transpose(zeros([2, 3]), 0, 2),
        message: /^transpose: axis 2 is out of range for a tensor of rank 2$/,
      },
    ],
  },
  {
    op: 'flatten',
    cases: flattenCases,
    errors: [
      {
        name: 'axis out of range',
        run: () => flatten(zeros([2, 3]), 2),
        message: /^flatten: axis 2 is out of range for a tensor of rank 2$/,
      },
    ],
  },
  {
    op: 'sumTo',
    cases: sumToCases,
    errors: [
      {
        name: 'not a broadcast of the target',
        run: () => sumTo(zeros([2, 3]), [4]),
        message: /^sumTo: cannot sum \[2,3\] down to \[4\]$/,
      },
    ],
  },
  {
    op: 'where.scalars',
    cases: whereScalarCases,
  },
];
