// Resizing: the resize op and its adjoint, resize1d/2d/3d with every mode, error messages.
// A case's attrs are the options of the public function (or the op's attributes for the raw ops).
import { resize, resize1d, resize2d, resize3d, type Tensor, zeros } from '../../src/index.js';
import { n, rawOp, withAttrs } from './_helpers.js';
import type { ErrorCase, InputSpec, OpCase, OpEntry, Skips } from './types.js';

type ResizeFn = (x: Tensor, o: any) => Tensor;
const f64 = { dtype: 'float64' as const };
const err = (name: string, run: () => unknown, message: RegExp): ErrorCase => ({ name, run, message });
const rc = (f: ResizeFn, name: string, x: InputSpec, attrs: Record<string, unknown>, skip?: Skips): OpCase =>
  withAttrs(name, [x], attrs, ([x], a) => f(x, a), skip ? { skip } : {});

// torch.nn.functional.interpolate covers four of ONNX Resize's combinations (tools/golden/families/resize.py).
const noTorch: Skips = {
  golden: 'an ONNX-only mode with no PyTorch equivalent (checked against the ONNX node tests)',
};

const resize1dCases = [
  rc(resize1d, 'nearest floor asymmetric seventeen', n(1, 1, 17), {
    size: [7],
    mode: 'nearest',
    coordinateMode: 'asymmetric',
    nearestMode: 'floor',
  }),
  rc(resize1d, 'linear half_pixel upsample', n(2, 3, 5), { scale: 2.5, mode: 'linear' }),
  // ONNX's pytorch_half_pixel reads coordinate 0 for an output of length 1; torch 1.13 reads the centre.
  rc(
    resize1d,
    'linear to one',
    n(1, 2, 6),
    { size: [1], mode: 'linear', coordinateMode: 'pytorch_half_pixel' },
    noTorch,
  ),
];

const resize2dCases = [
  rc(resize2d, 'nearest x2', n(2, 3, 4, 5), { scale: 2 }),
  rc(resize2d, 'nearest round_prefer_ceil downsample', n(1, 2, 7, 5), {
    size: [3, 4],
    nearestMode: 'round_prefer_ceil',
  }),
  rc(resize2d, 'bilinear half_pixel odd down', n(1, 2, 7, 5), { size: [3, 4], mode: 'bilinear' }),
  rc(resize2d, 'bilinear align_corners up', n(2, 1, 3, 4), {
    size: [5, 7],
    mode: 'linear',
    coordinateMode: 'align_corners',
  }),
  rc(
    resize2d,
    'linear asymmetric scale 1.5',
    n(1, 1, 4, 3),
    {
      scale: [1.5, 2],
      mode: 'linear',
      coordinateMode: 'asymmetric',
    },
    noTorch,
  ),
  rc(
    resize2d,
    'half_pixel_symmetric scales',
    n(1, 1, 5, 4),
    {
      scale: [0.6, 1.7],
      mode: 'linear',
      coordinateMode: 'half_pixel_symmetric',
    },
    noTorch,
  ),
  rc(
    resize2d,
    'nearest ceil align_corners',
    n(1, 2, 3, 3),
    {
      size: [8, 5],
      coordinateMode: 'align_corners',
      nearestMode: 'ceil',
    },
    noTorch,
  ),
  rc(resize2d, 'unbatched', n(2, 3, 3), { scale: 2, mode: 'linear' }),
];

const resize3dCases = [
  rc(resize3d, 'trilinear', n(1, 2, 3, 4, 2), { size: [5, 3, 4], mode: 'trilinear' }),
  rc(resize3d, 'nearest x2', n(2, 1, 2, 3, 2), {
    scale: 2,
    nearestMode: 'floor',
    coordinateMode: 'asymmetric',
  }),
];

const rawAttrs = {
  mode: 'linear',
  coordinateMode: 'half_pixel',
  nearestMode: 'round_prefer_floor',
  outputSpatial: [5, 3],
  scales: [5 / 3, 3 / 4],
};
const bwdAttrs = { ...rawAttrs, inputSpatial: [3, 4] };

export const entries: OpEntry[] = [
  {
    op: 'resize',
    cases: [
      withAttrs('attrs linear', [n(1, 2, 3, 4)], rawAttrs, ([x], a) => resize(x, a as any)),
      withAttrs(
        'raw nearest seventeen',
        [n(1, 1, 17)],
        { ...rawAttrs, mode: 'nearest', outputSpatial: [9], scales: [0.5] },
        ([x], a) => rawOp('resize', [x], a),
      ),
    ],
    errors: [
      err(
        'bad mode',
        () =>
          rawOp('resize', [zeros([1, 1, 4], f64)], {
            ...rawAttrs,
            mode: 'cubic',
            outputSpatial: [2],
            scales: [0.5],
          }),
        /^resize: mode must be one of nearest, linear, got 'cubic'/,
      ),
      err(
        'outputSpatial length',
        () => rawOp('resize', [zeros([1, 1, 4, 4], f64)], { ...rawAttrs, outputSpatial: [2] }),
        /^resize: outputSpatial must list 2 positive integers \(one per spatial axis\), got \[2\]/,
      ),
      err(
        'rank',
        () => rawOp('resize', [zeros([4, 4], f64)], rawAttrs),
        /^resize: input must have shape \(N, C, \.\.\.spatial\) with 1 to 3 spatial axes, got \[4,4\]/,
      ),
    ],
  },
  {
    op: 'resizeBackward',
    cases: [withAttrs('linear', [n(1, 2, 5, 3)], bwdAttrs, ([dy], a) => rawOp('resizeBackward', [dy], a))],
    skip: { shapes: 'the gradient of resize runs this op on every resize case, sizes 1 and 17 included' },
    errors: [
      err(
        'dy shape',
        () => rawOp('resizeBackward', [zeros([1, 2, 4, 3], f64)], bwdAttrs),
        /^resizeBackward: dy \[1,2,4,3\] must have the output size \[5,3\] on its spatial axes/,
      ),
    ],
  },
  {
    op: 'resize1d',
    cases: resize1dCases,
    errors: [
      err(
        'size and scale',
        () => resize1d(zeros([1, 1, 4], f64), { size: [2], scale: 2 }),
        /^resize1d: give exactly one of `size` and `scale`/,
      ),
      err(
        'empty output',
        () => resize1d(zeros([1, 1, 4], f64), { scale: 0.2 }),
        /^resize1d: scale \[0.2\] makes an empty output from input size \[4\]/,
      ),
    ],
  },
  {
    op: 'resize2d',
    cases: resize2dCases,
    skip: { shapes: 'resize1d and the resize op cover sizes 1 and 17 with the same op' },
    errors: [
      err(
        'size length',
        () => resize2d(zeros([1, 1, 4, 4], f64), { size: [2] }),
        /^resize2d: size must list 2 positive integers, got \[2\]/,
      ),
      err(
        'coordinate mode',
        () => resize2d(zeros([1, 1, 4, 4], f64), { scale: 2, coordinateMode: 'tf_crop_and_resize' as any }),
        /^resize2d: coordinateMode must be one of half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, got 'tf_crop_and_resize'/,
      ),
    ],
  },
  {
    op: 'resize3d',
    cases: resize3dCases,
    skip: { shapes: 'resize1d and the resize op cover sizes 1 and 17 with the same op' },
  },
];
