import {
  abs,
  add,
  addScaled,
  cast,
  clamp,
  div,
  elu,
  equal,
  erf,
  exp,
  greater,
  greaterEqual,
  leakyRelu,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  notEqual,
  pow,
  relu,
  reluBackward,
  sigmoid,
  softplus,
  sign,
  sqrt,
  sub,
  type Tensor,
  tanh,
  tensor,
  where,
  zeros,
} from '../../src/index.js';
import { mask, n, nz, pos, vals, withAttrs } from './_helpers.js';
import type { ErrorCase, InputSpec, OpCase, OpEntry } from './types.js';

type Kind = InputSpec['kind'];
const spec = (kind: Kind, shape: number[]): InputSpec => ({ shape, kind });

/** Shapes every one-input op runs on: scalar, size 1, SIMD tails 3/5/17, a batch. */
const unaryShapes: Record<string, number[]> = {
  scalar: [],
  one: [1],
  three: [3],
  five: [5],
  seventeen: [17],
  batch: [2, 3, 17],
  rows: [4, 1],
};

function unaryCases(f: (x: Tensor) => Tensor, kind: Kind = 'normal', attrs: Record<string, unknown> = {}) {
  return Object.entries(unaryShapes).map(([name, shape]) =>
    withAttrs(name, [spec(kind, shape)], attrs, ([x]) => f(x)),
  );
}

function unary(
  op: string,
  f: (x: Tensor) => Tensor,
  kind: Kind = 'normal',
  more: Partial<OpEntry> = {},
): OpEntry {
  return { op, cases: unaryCases(f, kind), ...more };
}

/** Values around the kinks of relu-like ops, kept away from them by far more than eps. */
const aroundZero = vals([2, 5], [-2, -0.5, -0.01, 0.01, 0.5, 2, -1e-3, 1e-3, 3.5, -3.5]);

const unaryEntries: OpEntry[] = [
  unary('neg', neg),
  unary('exp', exp),
  unary('log', log, 'positive'),
  unary('sqrt', sqrt, 'positive'),
  unary('abs', abs, 'nonzero'),
  unary('sign', sign, 'normal', {
    skip: { gradcheck: 'sign is piecewise constant: it has no gradient (the op defines none)' },
  }),
  {
    op: 'relu',
    cases: [...unaryCases(relu, 'nonzero'), withAttrs('near zero', [aroundZero], {}, ([x]) => relu(x))],
  },
  {
    // relu's gradient: dy · [x > 0] (PyTorch: aten's threshold_backward). Its own gradient (relu's
    // second order): linear in dy, zero in x
    // (x kept away from the kink, where central differences see the step).
    op: 'reluBackward',
    cases: [
      ...Object.entries(unaryShapes).map(([name, shape]) =>
        withAttrs(name, [n(...shape), nz(...shape)], {}, ([dy, x]) => reluBackward(dy, x)),
      ),
      withAttrs('near zero', [n(2, 5), aroundZero], {}, ([dy, x]) => reluBackward(dy, x)),
      withAttrs('of relu', [nz(3, 17), n(3, 17)], {}, ([x, w]) => mul(relu(x), w)),
    ],
    errors: [
      {
        name: 'shape mismatch',
        run: () => reluBackward(zeros([2, 3]), zeros([3, 2])),
        message: /^reluBackward: dy \[2,3\] and x \[3,2\] must have the same shape$/,
      },
      {
        name: 'dtype mismatch',
        run: () => reluBackward(zeros([2], { dtype: 'float32' }), zeros([2], { dtype: 'float64' })),
        message: /^reluBackward: inputs must have the same dtype, got float32 and float64$/,
      },
      {
        name: 'int input',
        run: () => reluBackward(zeros([2], { dtype: 'int32' }), zeros([2])),
        message: /^reluBackward: dy must be float32 or float64, got int32$/,
      },
    ],
  },
  unary('sigmoid', sigmoid, 'normal', {
    cases: [
      ...unaryCases(sigmoid),
      withAttrs('saturated', [vals([6], [-40, -20, -5, 5, 20, 40])], {}, ([x]) => sigmoid(x)),
    ],
  }),
  unary('softplus', softplus, 'normal', {
    cases: [
      ...unaryCases(softplus),
      withAttrs('saturated and zero', [vals([7], [-40, -20, -1, 0, 1, 20, 40])], {}, ([x]) => softplus(x)),
    ],
  }),
  unary('tanh', tanh, 'normal', {
    cases: [...unaryCases(tanh), withAttrs('large', [vals([4], [-20, -3, 3, 20])], {}, ([x]) => tanh(x))],
  }),
  {
    op: 'erf',
    cases: [
      ...unaryCases(erf),
      // Each branch of the reference erf: series below 2, continued fraction to 6, ±1 beyond.
      withAttrs('branches', [vals([9], [-7, -4.5, -2.9, -1.99, -0.3, 1.99, 2.01, 3, 7])], {}, ([x]) =>
        erf(x),
      ),
    ],
  },
  {
    op: 'leakyRelu',
    cases: [
      ...unaryCases((x) => leakyRelu(x), 'nonzero'),
      withAttrs('alpha 0.2', [aroundZero], { alpha: 0.2 }, ([x], a) => leakyRelu(x, a.alpha)),
      withAttrs('alpha 1.5', [nz(3, 5)], { alpha: 1.5 }, ([x], a) => leakyRelu(x, a.alpha)),
    ],
  },
  {
    op: 'elu',
    cases: [
      ...unaryCases((x) => elu(x), 'nonzero'),
      withAttrs('alpha 0.5', [aroundZero], { alpha: 0.5 }, ([x], a) => elu(x, a.alpha)),
    ],
  },
  {
    op: 'clamp',
    cases: [
      ...Object.entries(unaryShapes).map(([name, shape]) =>
        withAttrs(name, [n(...shape)], { min: -0.5, max: 0.7 }, ([x], a) => clamp(x, a.min, a.max)),
      ),
      withAttrs('min only', [n(3, 5)], { min: 0.1 }, ([x], a) => clamp(x, a.min)),
      withAttrs('max only', [n(17)], { max: -0.2 }, ([x], a) => clamp(x, undefined, a.max)),
      withAttrs('no bounds', [n(5)], {}, ([x]) => clamp(x)),
    ],
  },
  {
    op: 'cast',
    cases: [
      withAttrs('to int32', [vals([7], [-2.7, -1.5, -0.2, 0, 0.9, 1.5, 3.99])], { to: 'int32' }, ([x]) =>
        cast(x, 'int32'),
      ),
      withAttrs('to int32 batch', [n(2, 17)], { to: 'int32', scale: 10 }, ([x], a) =>
        cast(mul(x, a.scale), 'int32'),
      ),
      // The int input is cast to the float type of the other input (float64 or the backend's float32).
      withAttrs(
        'from int32',
        [{ shape: [3, 5], kind: 'int', high: 7 }, n(1, 5)],
        { from: 'int32' },
        ([i, y]) => add(cast(i, y.dtype), y),
      ),
      withAttrs(
        'round trip float32',
        [n(17)],
        { roundTrip: 'float32' },
        ([x]) => cast(cast(x, 'float32'), x.dtype),
        {
          skip: {
            gradcheck:
              'the float32 round trip rounds x ± 1e-6 to float32 resolution (6e-8): central differences are meaningless; goldens check this gradient',
          },
        },
      ),
      withAttrs('same dtype', [n(1)], { roundTrip: 'same' }, ([x]) => cast(x, x.dtype)),
    ],
    errors: [
      {
        name: 'unknown dtype',
        run: () => cast(zeros([2]), 'float16' as never),
        message: /^cast: unknown dtype 'float16'; expected float32, float64 or int32$/,
      },
    ],
  },
];

// ---------------------------------------------------------------- binary

/** Broadcasting variants shared by the arithmetic ops; `b` is the kind of the second operand. */
function binaryCases(f: (a: Tensor | number, b: Tensor | number) => Tensor, ka: Kind, kb: Kind): OpCase[] {
  const c = (name: string, sa: number[], sb: number[]) =>
    withAttrs(name, [spec(ka, sa), spec(kb, sb)], {}, ([a, b]) => f(a, b));
  return [
    c('same shape', [3, 5], [3, 5]),
    c('size one', [1], [1]),
    c('seventeen', [17], [17]),
    c('scalars', [], []),
    c('scalar tensor right', [2, 5], []),
    c('scalar tensor left', [], [3, 1]),
    c('row vs column', [1, 5], [3, 1]),
    c('rank mismatch', [2, 3, 5], [5]),
    c('rank mismatch left', [3, 1], [2, 1, 17]),
    c('batch', [2, 3, 5], [2, 3, 5]),
    withAttrs('number right', [spec(ka, [3, 5])], { right: 1.75 }, ([a], at) => f(a, at.right)),
    withAttrs('number left', [spec(kb, [17])], { left: 1.25 }, ([b], at) => f(at.left, b)),
  ];
}

function shapeErrors(op: string, f: (a: Tensor, b: Tensor) => Tensor): ErrorCase[] {
  return [
    {
      name: 'broadcast mismatch',
      run: () => f(zeros([2, 3]), zeros([4, 3])),
      message: new RegExp(
        `^${op}: shapes \\[2,3\\] and \\[4,3\\] cannot be broadcast together \\(dimension -2: 2 vs 4\\)$`,
      ),
    },
    {
      name: 'rank mismatch',
      run: () => f(zeros([2, 3, 5]), zeros([4])),
      message: new RegExp(`^${op}: shapes \\[2,3,5\\] and \\[4\\] cannot be broadcast together`),
    },
    {
      name: 'dtype mismatch',
      run: () => f(zeros([2], { dtype: 'float32' }), zeros([2], { dtype: 'float64' })),
      message: new RegExp(`^${op}: inputs must have the same dtype, got float32 and float64$`),
    },
    {
      name: 'int input',
      run: () => f(zeros([2], { dtype: 'int32' }), zeros([2], { dtype: 'int32' })),
      message: new RegExp(`^${op}: first input must be float32 or float64, got int32$`),
    },
  ];
}

const bothNumbers = (op: string, f: (a: number, b: number) => Tensor): ErrorCase => ({
  name: 'two numbers',
  run: () => f(1, 2),
  message: new RegExp(`^${op}: needs at least one tensor operand, got two numbers$`),
});

function arith(
  op: string,
  f: (a: Tensor | number, b: Tensor | number) => Tensor,
  ka: Kind,
  kb: Kind,
): OpEntry {
  return { op, cases: binaryCases(f, ka, kb), errors: [...shapeErrors(op, f), bothNumbers(op, f)] };
}

const comparisonSkip = {
  gradcheck: 'comparisons give 0/1 and have no gradient (the op defines none)',
};

/** Comparisons run on 0/1 masks so ties are frequent, and on ties placed on purpose. */
function comparison(op: string, f: (a: Tensor | number, b: Tensor | number) => Tensor): OpEntry {
  const c = (name: string, a: InputSpec, b: InputSpec) => withAttrs(name, [a, b], {}, ([x, y]) => f(x, y));
  return {
    op,
    skip: comparisonSkip,
    cases: [
      c('masks', mask(3, 17), mask(3, 17)),
      c('size one', mask(1), mask(1)),
      c('scalars', mask(), mask()),
      c('row vs column', mask(1, 5), mask(3, 1)),
      c('rank mismatch', mask(2, 3, 5), mask(5)),
      c('values', vals([5], [-1, 0, 0.5, 2, -3]), vals([5], [-1, 1, 0.25, 2, 3])),
      c('normal', n(2, 5), n(2, 5)),
      withAttrs('number right', [mask(17)], { right: 1 }, ([x], a) => f(x, a.right)),
      withAttrs('number left', [mask(3, 5)], { left: 0 }, ([x], a) => f(a.left, x)),
    ],
    errors: shapeErrors(op, f),
  };
}

const powCases: OpCase[] = [
  ...binaryCases(pow, 'positive', 'normal'),
  withAttrs('square', [n(17)], { right: 2 }, ([x], a) => pow(x, a.right)),
  withAttrs('cube of negatives', [nz(3, 5)], { right: 3 }, ([x], a) => pow(x, a.right)),
  withAttrs('square root', [pos(5)], { right: 0.5 }, ([x], a) => pow(x, a.right)),
  withAttrs('negative exponent', [pos(2, 3)], { right: -1.5 }, ([x], a) => pow(x, a.right)),
];

function extremum(op: string, f: (a: Tensor | number, b: Tensor | number) => Tensor): OpEntry {
  const e = arith(op, f, 'distinct', 'distinct');
  e.cases.push(
    // Ties split the gradient evenly, as PyTorch does; central differences see the same 1/2.
    withAttrs('ties', [vals([5], [1, -2, 0.5, 3, -1]), vals([5], [1, 0, 0.5, 2, -1])], {}, ([a, b]) =>
      f(a, b),
    ),
  );
  return e;
}

const whereCases: OpCase[] = [
  withAttrs('same shape', [mask(3, 5), n(3, 5), n(3, 5)], {}, ([c, a, b]) => where(c, a, b)),
  withAttrs('size one', [mask(1), n(1), n(1)], {}, ([c, a, b]) => where(c, a, b)),
  withAttrs('seventeen', [mask(17), n(17), n(17)], {}, ([c, a, b]) => where(c, a, b)),
  withAttrs('scalars', [mask(), n(), n()], {}, ([c, a, b]) => where(c, a, b)),
  withAttrs('broadcast all', [mask(3, 1), n(1, 5), n()], {}, ([c, a, b]) => where(c, a, b)),
  withAttrs('broadcast cond', [mask(5), n(2, 3, 5), n(3, 1)], {}, ([c, a, b]) => where(c, a, b)),
  withAttrs('batch', [mask(2, 3, 17), n(2, 3, 17), n(2, 1, 17)], {}, ([c, a, b]) => where(c, a, b)),
  withAttrs('int condition', [{ shape: [3, 5], kind: 'int', high: 3 }, n(3, 5), n(3, 5)], {}, ([c, a, b]) =>
    where(c, a, b),
  ),
];

/** a + alpha·b: the broadcasting variants of add, several alphas, its own errors. */
function addScaledEntry(): OpEntry {
  const c = (name: string, sa: number[], sb: number[], alpha = -0.37) =>
    withAttrs(name, [n(...sa), n(...sb)], { alpha }, ([a, b], at) => addScaled(a, b, at.alpha));
  return {
    op: 'addScaled',
    cases: [
      c('same shape', [3, 5], [3, 5]),
      c('size one', [1], [1]),
      c('seventeen', [17], [17], 2.5),
      c('scalars', [], []),
      c('scalar tensor right', [2, 5], []),
      c('row vs column', [1, 5], [3, 1], 0.01),
      c('rank mismatch', [2, 3, 5], [5]),
      c('rank mismatch left', [3, 1], [2, 1, 17], 1),
      c('batch', [2, 3, 5], [2, 3, 5], 0),
    ],
    errors: [
      ...shapeErrors('addScaled', (a, b) => addScaled(a, b, 1)),
      {
        name: 'alpha NaN',
        run: () => addScaled(zeros([2]), zeros([2]), Number.NaN),
        message: /^addScaled: alpha must be a number, got NaN$/,
      },
    ],
  };
}

const binaryEntries: OpEntry[] = [
  arith('add', add, 'normal', 'normal'),
  addScaledEntry(),
  arith('sub', sub, 'normal', 'normal'),
  arith('mul', mul, 'normal', 'normal'),
  arith('div', div, 'normal', 'nonzero'),
  { ...arith('pow', pow, 'positive', 'normal'), cases: powCases },
  extremum('maximum', maximum),
  extremum('minimum', minimum),
  comparison('equal', equal),
  comparison('notEqual', notEqual),
  comparison('less', less),
  comparison('lessEqual', lessEqual),
  comparison('greater', greater),
  comparison('greaterEqual', greaterEqual),
  {
    op: 'where',
    cases: whereCases,
    errors: [
      {
        name: 'broadcast mismatch',
        run: () => where(zeros([2, 3]), zeros([2, 3]), zeros([4, 3])),
        message: /^where: shapes \[2,3\] and \[2,3\] and \[4,3\] cannot be broadcast together/,
      },
      {
        name: 'dtype mismatch',
        run: () => where(zeros([2]), zeros([2], { dtype: 'float64' }), zeros([2], { dtype: 'float32' })),
        message: /^where: inputs must have the same dtype, got float64 and float32$/,
      },
      {
        name: 'int values',
        run: () => where(zeros([2]), zeros([2], { dtype: 'int32' }), zeros([2], { dtype: 'int32' })),
        message: /^where: input must be float32 or float64, got int32$/,
      },
    ],
  },
];

for (const e of unaryEntries) if (!e.errors && e.op !== 'cast') e.errors = [intErr(e.op)];

/** The int-input error of a one-input op. */
function intErr(op: string): ErrorCase {
  const f = { neg, exp, log, sqrt, abs, sign, relu, sigmoid, softplus, tanh, erf, leakyRelu, elu, clamp }[
    op
  ] as (x: Tensor) => Tensor;
  return {
    name: 'int input',
    run: () => f(tensor([1, 2], undefined, { dtype: 'int32' })),
    message: new RegExp(`^${op}: input must be float32 or float64, got int32$`),
  };
}

export const entries: OpEntry[] = [...unaryEntries, ...binaryEntries];
