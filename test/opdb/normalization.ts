// Batch normalization in training: the fused ops batchNormTrain / batchNormBackward (raw, through
// the op table) and the public batchNorm / batchNormWithStats that run them, with and without
// weight and bias, on 2-d (N, C), 3-d, 4-d and 5-d inputs; error messages.
import {
  batchNorm,
  batchNormBackward,
  batchNormTrain,
  batchNormWithStats,
  type Tensor,
  zeros,
} from '../../src/index.js';
import { n, pos, rawOp, withAttrs } from './_helpers.js';
import type { ErrorCase, OpCase, OpEntry } from './types.js';

const f64 = { dtype: 'float64' as const };
const err = (name: string, run: () => unknown, message: RegExp): ErrorCase => ({ name, run, message });

/** Shapes of x: 2-d (narrow and wide), N = 1 with an odd spatial size ≥ 17, 4-d with vector tails, 5-d, one channel. */
const shapes: [string, number[]][] = [
  ['2d', [6, 3]],
  ['2d batch 17', [17, 2]],
  // ≥ 4 channels of one value each: the wasm kernels' four-channels-per-vector path and its tail
  ['2d wide', [5, 9]],
  ['n1 spatial 17', [1, 3, 17]],
  ['4d', [2, 3, 4, 5]],
  ['4d spatial 16', [3, 2, 4, 4]],
  ['5d', [2, 2, 3, 2, 3]],
  ['one channel', [4, 1, 3]],
];

const trainCases: OpCase[] = [
  ...shapes.map(([name, s]) =>
    withAttrs(name, [n(...s), n(s[1]), n(s[1])], { eps: 1e-5 }, ([x, w, b], a) =>
      batchNormTrain(x, w, b, a.eps),
    ),
  ),
  withAttrs('eps 0.1', [n(3, 2, 5), n(2), n(2)], { eps: 0.1 }, ([x, w, b], a) =>
    batchNormTrain(x, w, b, a.eps),
  ),
];

const backwardCases: OpCase[] = [
  ...shapes.map(([name, s]) =>
    withAttrs(
      name,
      [n(...s), n(...s), n(s[1]), pos(s[1]), n(s[1]), n(s[1]), n(s[1])],
      { eps: 1e-5 },
      ([dy, x, m, v, w, dm, dv], a) => batchNormBackward(dy, x, m, v, w, dm, dv, a.eps),
    ),
  ),
  withAttrs(
    'eps 0.1',
    [n(3, 2, 5), n(3, 2, 5), n(2), pos(2), n(2), n(2), n(2)],
    { eps: 0.1 },
    ([dy, x, m, v, w, dm, dv], a) => batchNormBackward(dy, x, m, v, w, dm, dv, a.eps),
  ),
];

type Affine = { weight: boolean; bias: boolean; eps: number };
/** batchNorm in training through the public function, with weight and/or bias present. */
const fnCase = (name: string, s: number[], a: Affine, stats = false): OpCase => {
  const inputs = [n(...s), ...(a.weight ? [n(s[1])] : []), ...(a.bias ? [n(s[1])] : [])];
  return withAttrs(name, inputs, a, ([x, ...rest]: Tensor[], at) => {
    const weight = at.weight ? rest[0] : null;
    const bias = at.bias ? rest[at.weight ? 1 : 0] : null;
    const r = batchNormWithStats(x, { weight, bias, eps: at.eps, training: true });
    return stats
      ? [r.output, r.mean, r.variance]
      : batchNorm(x, { weight, bias, eps: at.eps, training: true });
  });
};

const vecErrors = (f: (w: Tensor) => unknown, what: string): ErrorCase[] => [
  err(
    `${what} shape`,
    () => f(zeros([4], f64)),
    new RegExp(`^batchNorm\\w*: ${what} must have shape \\[3\\] \\(channels\\), got \\[4\\]`),
  ),
];

export const entries: OpEntry[] = [
  {
    op: 'batchNormTrain',
    cases: trainCases,
    errors: [
      err(
        'rank 1',
        () => batchNormTrain(zeros([5], f64), zeros([5], f64), zeros([5], f64), 1e-5),
        /^batchNormTrain: input must have shape \(N, C, …\), got \[5\]/,
      ),
      ...vecErrors((w) => batchNormTrain(zeros([2, 3, 4], f64), w, zeros([3], f64), 1e-5), 'weight'),
      ...vecErrors((b) => batchNormTrain(zeros([2, 3, 4], f64), zeros([3], f64), b, 1e-5), 'bias'),
      err(
        'weight dtype',
        () => batchNormTrain(zeros([2, 3], f64), zeros([3]), zeros([3], f64), 1e-5),
        /^batchNormTrain: weight must be float64, got float32/,
      ),
      err(
        'negative eps',
        () => batchNormTrain(zeros([2, 3], f64), zeros([3], f64), zeros([3], f64), -1),
        /^batchNormTrain: eps must be a finite number >= 0, got -1/,
      ),
      err(
        'int input',
        () => batchNormTrain(zeros([2, 3], { dtype: 'int32' }), zeros([3], f64), zeros([3], f64), 1e-5),
        /^batchNormTrain: input must be float32 or float64, got int32/,
      ),
    ],
  },
  {
    op: 'batchNormBackward',
    cases: backwardCases,
    errors: [
      err(
        'dy shape',
        () => {
          const v = zeros([3], f64);
          return batchNormBackward(zeros([2, 3, 5], f64), zeros([2, 3, 4], f64), v, v, v, v, v, 1e-5);
        },
        /^batchNormBackward: dy must be float64 \[2,3,4\] like x, got float64 \[2,3,5\]/,
      ),
      ...vecErrors((m) => {
        const v = zeros([3], f64);
        const x = zeros([2, 3], f64);
        return batchNormBackward(x, x, m, v, v, v, v, 1e-5);
      }, 'mean'),
      ...vecErrors((dv) => {
        const v = zeros([3], f64);
        const x = zeros([2, 3], f64);
        return batchNormBackward(x, x, v, v, v, v, dv, 1e-5);
      }, 'dvariance'),
      err(
        'count',
        () => rawOp('batchNormBackward', [zeros([2, 3], f64), zeros([2, 3], f64)], { eps: 1e-5 }),
        /^batchNormBackward: expects 7 input\(s\), got 2/,
      ),
    ],
  },
  {
    op: 'batchNorm',
    cases: [
      fnCase('weight and bias 4d', [2, 3, 4, 5], { weight: true, bias: true, eps: 1e-5 }),
      fnCase('no affine 2d', [17, 2], { weight: false, bias: false, eps: 1e-5 }),
      fnCase('weight only n1', [1, 3, 17], { weight: true, bias: false, eps: 1e-3 }),
      fnCase('bias only 5d', [2, 2, 3, 2, 3], { weight: false, bias: true, eps: 1e-5 }),
      fnCase('size one channel', [5, 1, 3], { weight: true, bias: true, eps: 1e-5 }),
    ],
    errors: [
      err(
        'rank 1',
        () => batchNorm(zeros([5], f64), { training: true }),
        /^batchNorm: input must have shape \(N, C, …\), got \[5\]/,
      ),
      ...vecErrors((w) => batchNorm(zeros([2, 3, 4], f64), { weight: w, training: true }), 'weight'),
    ],
  },
  {
    op: 'batchNormWithStats',
    cases: [
      fnCase('weight and bias 3d', [3, 2, 5], { weight: true, bias: true, eps: 1e-5 }, true),
      fnCase('no affine 2d', [17, 3], { weight: false, bias: false, eps: 1e-5 }, true),
      fnCase('size one channel', [5, 1, 4], { weight: true, bias: false, eps: 1e-5 }, true),
    ],
  },
];
