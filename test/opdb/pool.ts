// Pooling: max/avg pooling 1d/2d/3d, max-unpooling, global pools, the backward ops, error messages.
// A case's attrs are the options of the public function.
import {
  avgPool,
  avgPool1d,
  avgPool2d,
  avgPool3d,
  avgPoolBackward,
  globalAvgPool,
  globalMaxPool,
  maxPool,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  poolGather,
  type Tensor,
  tensor,
  unpoolScatter,
  zeros,
} from '../../src/index.js';
import { dist, n, withAttrs } from './_helpers.js';
import type { ErrorCase, InputSpec, OpCase, OpEntry } from './types.js';

type PoolFn = (x: Tensor, o: any) => Tensor | Tensor[];
const f64 = { dtype: 'float64' as const };
const err = (name: string, run: () => unknown, message: RegExp): ErrorCase => ({ name, run, message });
const int = (high: number, ...shape: number[]): InputSpec => ({ shape, kind: 'int', high });

/** A case of a public pooling function of one input. */
const pc = (f: PoolFn, name: string, x: InputSpec, attrs: Record<string, unknown>, extra = {}): OpCase =>
  withAttrs(name, [x], attrs, ([x], a) => f(x, a), extra);

const maxPool1dCases = [
  pc(maxPool1d, 'k3 s2 p1 ceil', dist(2, 2, 9), {
    kernelSize: 3,
    stride: 2,
    padding: 1,
    ceilMode: true,
    returnIndices: true,
  }),
  pc(maxPool1d, 'seventeen', dist(1, 1, 17), { kernelSize: 2 }),
  // (5 + 2 − 2)/2 rounds up to 3 windows, but the 4th would start in the end padding: 3.
  pc(maxPool1d, 'ceil drops last window', dist(1, 2, 5), {
    kernelSize: 2,
    stride: 2,
    padding: 1,
    ceilMode: true,
    returnIndices: true,
  }),
  pc(maxPool1d, 'dilation2 overlapping', dist(1, 2, 11), {
    kernelSize: 3,
    dilation: 2,
    stride: 1,
    returnIndices: true,
  }),
];

const maxPool2dCases = [
  pc(maxPool2d, 'k2', dist(2, 3, 4, 6), { kernelSize: 2, returnIndices: true }),
  pc(maxPool2d, 'k3x2 s2 p1 dilation', dist(1, 2, 7, 6), {
    kernelSize: [3, 2],
    stride: 2,
    dilation: [2, 1],
    padding: 1,
    returnIndices: true,
  }),
  pc(maxPool2d, 'ceil', dist(1, 1, 5, 5), { kernelSize: 2, ceilMode: true, returnIndices: true }),
  pc(maxPool2d, 'overlapping s1', dist(1, 2, 5, 5), { kernelSize: 3, stride: 1 }),
  pc(maxPool2d, 'size1 and 17', dist(1, 1, 17, 1), { kernelSize: [3, 1], stride: [2, 1] }),
  pc(
    maxPool2d,
    'asymmetric padding',
    dist(1, 1, 5, 4),
    {
      kernelSize: 3,
      stride: 2,
      padding: [
        [1, 0],
        [0, 1],
      ],
      returnIndices: true,
    },
    { skip: { golden: 'PyTorch pools with symmetric padding only' } },
  ),
];

const maxPool3dCases = [
  pc(maxPool3d, 'k2 p1', dist(1, 2, 4, 5, 5), {
    kernelSize: 2,
    stride: [1, 2, 2],
    padding: 1,
    returnIndices: true,
  }),
  pc(maxPool3d, 'ceil', dist(1, 1, 3, 5, 4), { kernelSize: [1, 2, 3], stride: 2, ceilMode: true }),
  pc(maxPool3d, 'size1 and 17', dist(1, 1, 1, 17, 2), { kernelSize: [1, 3, 2], stride: [1, 2, 1] }),
];

const avgPool1dCases = [
  pc(avgPool1d, 'k3 s2 p1 ceil', n(2, 2, 9), { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
  pc(avgPool1d, 'k3 s2 p1 ceil exclude pad', n(2, 2, 9), {
    kernelSize: 3,
    stride: 2,
    padding: 1,
    ceilMode: true,
    countIncludePad: false,
  }),
  pc(avgPool1d, 'seventeen', n(1, 1, 17), { kernelSize: 4, stride: 3 }),
];

const avgPool2dCases = [
  pc(avgPool2d, 'k2', n(2, 3, 4, 6), { kernelSize: 2 }),
  pc(avgPool2d, 'ceil pad include', n(1, 2, 5, 6), {
    kernelSize: [3, 2],
    stride: 2,
    padding: 1,
    ceilMode: true,
  }),
  pc(avgPool2d, 'ceil pad exclude', n(1, 2, 5, 6), {
    kernelSize: [3, 2],
    stride: 2,
    padding: 1,
    ceilMode: true,
    countIncludePad: false,
  }),
  pc(avgPool2d, 'overlapping exclude pad', n(1, 1, 5, 5), {
    kernelSize: 3,
    stride: 1,
    padding: 1,
    countIncludePad: false,
  }),
  pc(avgPool2d, 'size1 and 17', n(1, 1, 17, 1), { kernelSize: [3, 1], stride: [2, 1], padding: [1, 0] }),
];

const avgPool3dCases = [
  pc(avgPool3d, 'ceil include', n(1, 1, 5, 4, 3), {
    kernelSize: 2,
    stride: [2, 1, 2],
    padding: [1, 0, 1],
    ceilMode: true,
  }),
  pc(avgPool3d, 'ceil exclude', n(1, 1, 5, 4, 3), {
    kernelSize: 2,
    stride: [2, 1, 2],
    padding: [1, 0, 1],
    ceilMode: true,
    countIncludePad: false,
  }),
  pc(avgPool3d, 'size1 and 17', n(2, 1, 1, 17, 2), { kernelSize: [1, 3, 2] }),
];

type UnpoolFn = (x: Tensor, i: Tensor, o: any) => Tensor;
/**
 * Max-unpooling of `v` at the indices of a max pooling of `x` (not differentiated). With stride =
 * kernel no index repeats, so adding (Strata) and assigning (PyTorch) agree.
 */
function uc(
  pool: PoolFn,
  unpool: UnpoolFn,
  name: string,
  x: InputSpec,
  v: InputSpec,
  attrs: object,
  extra = {},
) {
  return withAttrs(
    name,
    [{ ...x, noGrad: true }, v],
    attrs as Record<string, unknown>,
    ([x, v], a) => {
      const [, idx] = pool(x, { ...a, returnIndices: true }) as Tensor[];
      return unpool(v, idx, a);
    },
    extra,
  );
}

const pool2d = { kernelSize: 2 };
const unpoolErr = () =>
  maxUnpool1d(zeros([1, 1, 2], f64), tensor([[[0, 9]]], undefined, { dtype: 'int32' }), { kernelSize: 2 });

const avgBwd = {
  kernel: [3, 2],
  stride: [2, 2],
  padBegin: [1, 0],
  padEnd: [1, 0],
  dilation: [1, 1],
  ceilMode: true,
  countIncludePad: false,
  inputShape: [1, 2, 5, 4],
};

/** The primitives with normalized attributes. */
const rawMax = {
  kernel: [3, 2],
  stride: [2, 1],
  padBegin: [1, 0],
  padEnd: [1, 0],
  dilation: [1, 2],
  ceilMode: true,
};
const rawAvg = {
  kernel: [4, 2],
  stride: [3, 1],
  padBegin: [2, 1],
  padEnd: [2, 1],
  dilation: [1, 1],
  ceilMode: true,
  countIncludePad: false,
};

export const entries: OpEntry[] = [
  {
    op: 'maxPool',
    cases: [
      withAttrs('ceil dilation sizes 1 and 17', [dist(1, 1, 17, 5)], rawMax, ([x], a) => maxPool(x, a)),
    ],
    errors: [
      err(
        'kernel attribute',
        () =>
          maxPool(zeros([1, 1, 5], f64), {
            ...rawMax,
            kernel: [0],
            stride: [1],
            padBegin: [0],
            padEnd: [0],
            dilation: [1],
          }),
        /^maxPool: kernel must hold positive integers, got \[0\]/,
      ),
      err(
        'integer input',
        () =>
          maxPool(zeros([1, 1, 5], { dtype: 'int32' }), {
            ...rawMax,
            kernel: [2],
            stride: [1],
            padBegin: [0],
            padEnd: [0],
            dilation: [1],
          }),
        /^maxPool: input must be float32 or float64, got int32/,
      ),
    ],
  },
  {
    op: 'avgPool',
    cases: [withAttrs('ceil pads sizes 1 and 17', [n(1, 1, 17, 1)], rawAvg, ([x], a) => avgPool(x, a))],
  },
  {
    op: 'maxPool1d',
    cases: maxPool1dCases,
    errors: [
      err(
        'window of padding only',
        () => maxPool1d(zeros([1, 1, 3], f64), { kernelSize: 2, stride: 1, padding: 2 }),
        /^maxPool: window 0 on spatial axis 0 covers only padding \(input 3, kernel 2, stride 1, padding 2\/2/,
      ),
      err(
        'kernel larger than input',
        () => maxPool1d(zeros([1, 1, 3], f64), { kernelSize: 4 }),
        /^maxPool: kernel extent 4 \(dilation 1 × \(4 - 1\) \+ 1\) is larger than the padded input 3/,
      ),
      err(
        'rank',
        () => maxPool1d(zeros([4], f64), { kernelSize: 2 }),
        /^maxPool1d: input must have shape \(N, C, L\) or \(C, L\), got \[4\]/,
      ),
      err(
        'missing kernel size',
        () => maxPool1d(zeros([1, 1, 4], f64), {} as { kernelSize: number }),
        /^maxPool1d: needs options with a kernelSize/,
      ),
    ],
  },
  { op: 'maxPool2d', cases: maxPool2dCases },
  { op: 'maxPool3d', cases: maxPool3dCases },
  {
    op: 'avgPool1d',
    cases: avgPool1dCases,
    errors: [
      err(
        'stride zero',
        () => avgPool1d(zeros([1, 1, 4], f64), { kernelSize: 2, stride: 0 }),
        /^avgPool: stride must hold positive integers, got \[0\]/,
      ),
    ],
  },
  { op: 'avgPool2d', cases: avgPool2dCases },
  { op: 'avgPool3d', cases: avgPool3dCases },
  {
    op: 'maxUnpool1d',
    cases: [
      uc(maxPool1d, maxUnpool1d, 'seventeen', dist(2, 1, 17), n(2, 1, 8), pool2d),
      uc(
        maxPool1d,
        maxUnpool1d,
        'overlapping windows add',
        dist(1, 2, 7),
        n(1, 2, 5),
        { kernelSize: 3, stride: 1 },
        {
          skip: { golden: 'repeated indices: Strata adds the values, PyTorch keeps one of them' },
        },
      ),
    ],
    errors: [
      err(
        'index out of range',
        unpoolErr,
        /^unpoolScatter: index 9 at position 1 is out of range for a plane of 4 elements \(spatial \[4\]\)/,
      ),
    ],
  },
  {
    op: 'maxUnpool2d',
    cases: [
      uc(maxPool2d, maxUnpool2d, 'k2', dist(1, 2, 4, 6), n(1, 2, 2, 3), pool2d),
      uc(maxPool2d, maxUnpool2d, 'outputSize', dist(1, 1, 5, 5), n(1, 1, 2, 2), {
        kernelSize: 2,
        outputSize: [5, 5],
      }),
    ],
    skip: { shapes: 'maxUnpool1d covers sizes 1 and 17 with the same op (unpoolScatter)' },
  },
  {
    op: 'maxUnpool3d',
    cases: [uc(maxPool3d, maxUnpool3d, 'k2', dist(1, 1, 4, 4, 2), n(1, 1, 2, 2, 1), pool2d)],
    skip: { shapes: 'maxUnpool1d covers sizes 1 and 17 with the same op (unpoolScatter)' },
  },
  {
    op: 'globalAvgPool',
    cases: [
      withAttrs('2d', [n(2, 3, 4, 5)], {}, ([x]) => globalAvgPool(x)),
      withAttrs('1d seventeen', [n(1, 2, 17)], {}, ([x]) => globalAvgPool(x)),
      withAttrs('3d', [n(1, 1, 2, 3, 2)], {}, ([x]) => globalAvgPool(x)),
    ],
  },
  {
    op: 'globalMaxPool',
    cases: [
      withAttrs('2d', [dist(2, 3, 4, 5)], {}, ([x]) => globalMaxPool(x)),
      withAttrs('1d seventeen', [dist(1, 2, 17)], {}, ([x]) => globalMaxPool(x)),
      withAttrs('3d', [dist(1, 1, 2, 3, 2)], {}, ([x]) => globalMaxPool(x)),
    ],
  },
  {
    op: 'avgPoolBackward',
    cases: [withAttrs('ceil exclude pad', [n(1, 2, 3, 2)], avgBwd, ([dy], a) => avgPoolBackward(dy, a))],
    errors: [
      err(
        'dy shape',
        () => avgPoolBackward(zeros([1, 2, 3, 3], f64), avgBwd),
        /^avgPoolBackward: dy \[1,2,3,3\] must have the shape \[1,2,3,2\] of the pooling of \[1,2,5,4\]/,
      ),
    ],
    skip: { shapes: 'the gradient of avgPool runs this op on every avgPool case, sizes 1 and 17 included' },
  },
  {
    op: 'unpoolScatter',
    cases: [
      // Random indices repeat: the values at one index add up.
      withAttrs(
        'repeated indices',
        [n(2, 2, 3, 3), int(12, 2, 2, 3, 3)],
        { outputSpatial: [3, 4] },
        ([v, i], a) => unpoolScatter(v, i, a.outputSpatial),
      ),
      withAttrs('1d seventeen', [n(1, 1, 17), int(5, 1, 1, 17)], { outputSpatial: [5] }, ([v, i], a) =>
        unpoolScatter(v, i, a.outputSpatial),
      ),
    ],
    errors: [
      err(
        'indices dtype',
        () => unpoolScatter(zeros([1, 1, 2], f64), zeros([1, 1, 2], f64), [4]),
        /^unpoolScatter: indices must be int32, got float64/,
      ),
      err(
        'shape mismatch',
        () => unpoolScatter(zeros([1, 1, 2], f64), zeros([1, 1, 3], { dtype: 'int32' }), [4]),
        /^unpoolScatter: indices \[1,1,3\] must have the shape of the values \[1,1,2\]/,
      ),
    ],
  },
  {
    op: 'poolGather',
    cases: [
      withAttrs('2d', [n(1, 2, 4, 4), int(16, 1, 2, 3, 3)], {}, ([x, i]) => poolGather(x, i)),
      withAttrs('1d seventeen', [n(2, 1, 17), int(17, 2, 1, 5)], {}, ([x, i]) => poolGather(x, i)),
    ],
    errors: [
      err(
        'index out of range',
        () => poolGather(zeros([1, 1, 3], f64), tensor([[[-1]]], undefined, { dtype: 'int32' })),
        /^poolGather: index -1 at position 0 is out of range for a plane of 3 elements \(spatial \[3\]\)/,
      ),
    ],
  },
];
