// Convolution: conv1d/2d/3d, convTranspose1d/2d/3d and the backward ops, plus their error messages.
// A case's attrs are the options of the public function (bias, when present, is the third input).
import {
  conv,
  conv1d,
  conv2d,
  conv3d,
  convBackwardData,
  convBackwardFilter,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  type Tensor,
  zeros,
} from '../../src/index.js';
import { n, withAttrs } from './_helpers.js';
import type { ErrorCase, InputSpec, OpCase, OpEntry } from './types.js';

type ConvFn = (x: Tensor, w: Tensor, o?: any) => Tensor;

/** A case of a public conv function: inputs x, w and optionally a bias. */
function cc(
  f: ConvFn,
  name: string,
  inputs: InputSpec[],
  attrs: Record<string, unknown> = {},
  extra: Partial<OpCase> = {},
): OpCase {
  return {
    ...withAttrs(name, inputs, attrs, ([x, w, b]) => f(x, w, b ? { ...attrs, bias: b } : attrs)),
    ...extra,
  };
}

/** Cases that exist for the wasm kernel paths they select (checked against PyTorch like the rest). */
const kernelPath: Partial<OpCase> = {};

const f64 = { dtype: 'float64' as const };
const err = (name: string, run: () => unknown, message: RegExp): ErrorCase => ({ name, run, message });

const conv1dCases: OpCase[] = [
  cc(conv1d, 'basic', [n(2, 3, 7), n(4, 3, 3)]),
  cc(conv1d, 'seventeen stride2 pad2', [n(1, 1, 17), n(1, 1, 5)], { stride: 2, padding: 2 }),
  cc(conv1d, 'dilation2 groups2', [n(1, 4, 9), n(4, 2, 3)], { dilation: 2, groups: 2, padding: 1 }),
  cc(conv1d, 'asymmetric padding', [n(2, 2, 6), n(3, 2, 2)], { padding: [[2, 1]] }),
  cc(conv1d, 'same even kernel', [n(1, 2, 8), n(2, 2, 4)], { padding: 'same' }),
  cc(conv1d, 'same stride2', [n(1, 2, 9), n(2, 2, 3)], { padding: 'same', stride: 2 }),
  cc(conv1d, 'bias', [n(2, 3, 5), n(2, 3, 3), n(2)], { padding: 1 }),
  cc(conv1d, 'unbatched', [n(3, 6), n(2, 3, 3)]),
  // activation: the fused convBiasAct op
  cc(conv1d, 'bias relu', [n(2, 3, 7), n(4, 3, 3), n(4)], { padding: 1, activation: 'relu' }),
  cc(conv1d, 'relu unbatched', [n(2, 9), n(3, 2, 3)], { stride: 2, activation: 'relu' }),
];

const conv2dCases: OpCase[] = [
  cc(conv2d, 'stride2 pad1', [n(2, 3, 5, 5), n(4, 3, 3, 3)], { stride: 2, padding: 1 }),
  cc(conv2d, 'asymmetric padding', [n(1, 2, 4, 5), n(3, 2, 2, 3)], {
    padding: [
      [1, 0],
      [0, 2],
    ],
    stride: [1, 2],
  }),
  cc(conv2d, 'dilation2', [n(1, 2, 7, 6), n(2, 2, 3, 2)], { dilation: 2 }),
  cc(conv2d, 'groups2', [n(1, 4, 5, 4), n(6, 2, 3, 3)], { groups: 2, padding: 1 }),
  cc(conv2d, 'depthwise same', [n(2, 3, 5, 5), n(6, 1, 3, 3)], { groups: 3, padding: 'same' }),
  cc(conv2d, 'size1 and 17', [n(1, 1, 17, 3), n(2, 1, 5, 1)], { stride: [2, 1] }),
  cc(conv2d, 'kernel 1x1', [n(2, 5, 3, 3), n(3, 5, 1, 1)]),
  cc(conv2d, 'bias stride2 dilation2', [n(2, 2, 7, 7), n(3, 2, 2, 2), n(3)], { stride: 2, dilation: 2 }),
  cc(conv2d, 'bias relu groups2 same', [n(2, 4, 5, 4), n(6, 2, 3, 3), n(6)], {
    groups: 2,
    padding: 'same',
    activation: 'relu',
  }),
  // kernel-path cases: the wasm backend picks its product forms by shape (kernels/conv.ts); these
  // shapes take the input gradient's dCol + col2im form and the small-channel paths
  cc(conv2d, 'lenet-like 5x5 valid', [n(2, 3, 11, 9), n(5, 3, 5, 5)], {}, kernelPath),
  cc(conv2d, 'one channel 5x5 pad2', [n(2, 1, 12, 10), n(6, 1, 5, 5)], { padding: 2 }, kernelPath),
  cc(conv2d, 'stride2 3x3 pad1', [n(2, 4, 9, 10), n(6, 4, 3, 3)], { padding: 1, stride: 2 }, kernelPath),
];

const conv3dCases: OpCase[] = [
  cc(conv3d, 'pad1 stride', [n(1, 2, 4, 5, 3), n(2, 2, 2, 3, 2)], { padding: 1, stride: [1, 2, 1] }),
  cc(conv3d, 'groups2 dilation', [n(2, 2, 5, 3, 4), n(4, 1, 2, 1, 2)], { groups: 2, dilation: [2, 1, 1] }),
  cc(conv3d, 'size1 and 17', [n(1, 1, 1, 17, 3), n(1, 1, 1, 3, 3)], {
    stride: [1, 3, 1],
    padding: [0, 1, 1],
  }),
  cc(conv3d, 'bias', [n(1, 1, 3, 3, 3), n(2, 1, 2, 2, 2), n(2)]),
  cc(conv3d, 'bias relu stride2', [n(1, 2, 4, 3, 5), n(3, 2, 2, 2, 2), n(3)], {
    stride: 2,
    activation: 'relu',
  }),
];

const convT1dCases: OpCase[] = [
  cc(convTranspose1d, 'stride2 outputPadding1', [n(2, 3, 5), n(3, 2, 3)], {
    stride: 2,
    padding: 1,
    outputPadding: 1,
  }),
  cc(convTranspose1d, 'seventeen', [n(1, 1, 17), n(1, 1, 3)]),
  cc(convTranspose1d, 'stride3 bias', [n(1, 2, 4), n(2, 3, 2), n(3)], { stride: 3, padding: 1 }),
];

const convT2dCases: OpCase[] = [
  cc(convTranspose2d, 'groups2 outputPadding', [n(1, 4, 3, 4), n(4, 1, 3, 2)], {
    stride: [2, 3],
    padding: [0, 1],
    outputPadding: [1, 2],
    groups: 2,
  }),
  cc(convTranspose2d, 'dilation2 outputPadding past pad', [n(1, 2, 3, 3), n(2, 3, 2, 2)], {
    dilation: 2,
    outputPadding: 1,
  }),
  cc(convTranspose2d, 'size1 and 17', [n(1, 1, 17, 1), n(1, 2, 3, 1)], { stride: [2, 1], padding: [1, 0] }),
  cc(convTranspose2d, 'bias', [n(2, 2, 3, 3), n(2, 2, 3, 3), n(2)], { stride: 2, padding: 1 }),
];

const convT3dCases: OpCase[] = [
  cc(convTranspose3d, 'stride2 pad', [n(1, 2, 2, 3, 2), n(2, 2, 2, 2, 3)], { stride: 2, padding: [1, 0, 1] }),
  cc(convTranspose3d, 'size1 and 17', [n(1, 1, 1, 17, 1), n(1, 1, 1, 2, 1)], { stride: [1, 2, 1] }),
];

/** The backward ops with normalized attributes: gradcheck covers their own gradients (second order). */
const bwdData = {
  stride: [2, 2],
  padBegin: [1, 0],
  padEnd: [0, 1],
  dilation: [1, 1],
  groups: 2,
  inputShape: [2, 2, 6, 5],
};
const bwdFilter = {
  stride: [2],
  padBegin: [1],
  padEnd: [0],
  dilation: [2],
  groups: 2,
  filterShape: [2, 2, 3],
};

/** The primitive with normalized attributes: asymmetric pads, stride, dilation and groups at once. */
const rawConv = {
  stride: [2, 1],
  padBegin: [2, 0],
  padEnd: [1, 1],
  dilation: [2, 1],
  groups: 2,
};

export const entries: OpEntry[] = [
  {
    op: 'conv',
    cases: [
      withAttrs(
        'asymmetric pads, groups, dilation, sizes 1 and 17',
        [n(1, 4, 17, 3), n(2, 2, 3, 1)],
        rawConv,
        ([x, w], a) => conv(x, w, a),
      ),
    ],
    errors: [
      err(
        'attribute length',
        () =>
          conv(zeros([1, 1, 5, 5], f64), zeros([1, 1, 3, 3], f64), { ...rawConv, groups: 1, dilation: [1] }),
        /^conv: dilation must list one value per spatial axis \(2\), got \[1\]/,
      ),
      err(
        'negative padding',
        () =>
          conv(zeros([1, 1, 5], f64), zeros([1, 1, 3], f64), {
            stride: [1],
            padBegin: [-1],
            padEnd: [0],
            dilation: [1],
            groups: 1,
          }),
        /^conv: padBegin must hold non-negative integers, got \[-1\]/,
      ),
    ],
  },
  {
    op: 'conv1d',
    cases: conv1dCases,
    errors: [
      err(
        'channels',
        () => conv1d(zeros([1, 3, 5], f64), zeros([2, 4, 3], f64)),
        /^conv: input channels \(3\) must equal weight in-channels × groups \(4 × 1\)/,
      ),
      err(
        'kernel larger than padded input',
        () => conv1d(zeros([1, 1, 3], f64), zeros([1, 1, 3], f64), { dilation: 2 }),
        /^conv: kernel extent 5 \(dilation 2 × \(3 - 1\) \+ 1\) is larger than the padded input 3 \(3 \+ 0 \+ 0\) on spatial axis 0/,
      ),
      err(
        'stride zero',
        () => conv1d(zeros([1, 1, 5], f64), zeros([1, 1, 3], f64), { stride: 0 }),
        /^conv: stride must hold positive integers, got \[0\]/,
      ),
      err(
        'rank',
        () => conv1d(zeros([1, 1, 5, 5], f64), zeros([1, 1, 3], f64)),
        /^conv1d: input must have shape \(N, C, L\) or \(C, L\), got \[1,1,5,5\]/,
      ),
      err(
        'bias shape',
        () => conv1d(zeros([1, 1, 5], f64), zeros([2, 1, 3], f64), { bias: zeros([3], f64) }),
        /^conv1d: bias must have shape \[2\] \(output channels\), got \[3\]/,
      ),
      err(
        'bad activation',
        () => conv1d(zeros([1, 1, 5], f64), zeros([2, 1, 3], f64), { activation: 'tanh' as 'relu' }),
        /^conv1d: activation must be 'relu' or omitted, got "tanh"/,
      ),
      err(
        'bad padding string',
        () => conv1d(zeros([1, 1, 5], f64), zeros([1, 1, 3], f64), { padding: 'full' as 'same' }),
        /^conv1d: padding must be a number, a list, 'same' or 'valid', got 'full'/,
      ),
    ],
  },
  {
    op: 'conv2d',
    cases: conv2dCases,
    errors: [
      err(
        'groups do not divide output channels',
        () => conv2d(zeros([1, 8, 4, 4], f64), zeros([6, 2, 3, 3], f64), { groups: 4 }),
        /^conv: output channels \(6\) must be divisible by groups \(4\)/,
      ),
      err(
        'groups not positive',
        () => conv2d(zeros([1, 2, 4, 4], f64), zeros([2, 2, 3, 3], f64), { groups: 0 }),
        /^conv: groups must be a positive integer, got 0/,
      ),
      err(
        'weight rank',
        () => conv2d(zeros([1, 2, 4, 4], f64), zeros([2, 2, 3], f64)),
        /^conv: weight \[2,2,3\] must have the rank of the input \[1,2,4,4\]/,
      ),
      err(
        'dtype mismatch',
        () => conv2d(zeros([1, 1, 4, 4], f64), zeros([1, 1, 3, 3])),
        /^conv: inputs must have the same dtype, got float64 and float32/,
      ),
      err(
        'stride list length',
        () => conv2d(zeros([1, 1, 4, 4], f64), zeros([1, 1, 3, 3], f64), { stride: [1, 1, 1] }),
        /^conv2d: stride must be an integer or 2 integers, got \[1,1,1\]/,
      ),
    ],
  },
  { op: 'conv3d', cases: conv3dCases },
  {
    op: 'convTranspose1d',
    cases: convT1dCases,
    errors: [
      err(
        'outputPadding too large',
        () => convTranspose1d(zeros([1, 1, 3], f64), zeros([1, 1, 3], f64), { stride: 2, outputPadding: 2 }),
        /^convTranspose1d: outputPadding \(2\) must be non-negative and smaller than stride \(2\) or dilation \(1\)/,
      ),
      err(
        'weight in-channels',
        () => convTranspose1d(zeros([1, 2, 3], f64), zeros([3, 1, 3], f64)),
        /^convTranspose1d: weight must have shape \(in-channels 2, out-channels\/groups, \.\.\.kernel\)/,
      ),
    ],
  },
  { op: 'convTranspose2d', cases: convT2dCases },
  { op: 'convTranspose3d', cases: convT3dCases },
  {
    op: 'convBackwardData',
    cases: [
      withAttrs('stride2 groups2', [n(2, 4, 3, 2), n(4, 1, 3, 3)], bwdData, ([dy, w], a) =>
        convBackwardData(dy, w, a),
      ),
    ],
    errors: [
      err(
        'dy shape',
        () => convBackwardData(zeros([2, 4, 3, 3], f64), zeros([4, 1, 3, 3], f64), bwdData),
        /^convBackwardData: dy \[2,4,3,3\] must have the shape \[2,4,3,2\] of the convolution of input \[2,2,6,5\]/,
      ),
    ],
    skip: { shapes: 'the gradient of conv runs this op on every conv case, sizes 1 and 17 included' },
  },
  {
    op: 'convBackwardFilter',
    cases: [
      withAttrs('dilation2 groups2', [n(2, 4, 9), n(2, 2, 3)], bwdFilter, ([x, dy], a) =>
        convBackwardFilter(x, dy, a),
      ),
    ],
    errors: [
      err(
        'filterShape rank',
        () =>
          convBackwardFilter(zeros([2, 4, 9], f64), zeros([2, 2, 3], f64), {
            ...bwdFilter,
            filterShape: [2, 2],
          }),
        /^convBackwardFilter: filterShape must list 3 non-negative integers, got \[2,2\]/,
      ),
    ],
    skip: { shapes: 'the gradient of conv runs this op on every conv case, sizes 1 and 17 included' },
  },
];
