// checkLayer (output shape, batch consistency, float64 gradient in inference and training mode, config
// round trip) over every single-input layer of the catalog, and the two-input ones with a reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Add,
  AvgPool2D,
  AvgPool3D,
  BinaryOutput,
  ClassificationOutput,
  Concatenation,
  Conv1D,
  Conv2D,
  Conv3D,
  ConvTranspose2D,
  ConvTranspose3D,
  Crop2D,
  Crop3D,
  checkLayer,
  DepthConcatenation,
  Dropout,
  GlobalAvgPool2D,
  GlobalMaxPool3D,
  type Layer,
  MaxPool1D,
  MaxPool2D,
  MaxPool3D,
  Multiply,
  RegressionOutput,
  Resize2D,
  Resize3D,
  SpatialDropout2D,
} from '../../src/index.js';

const cases: Array<[Layer, number[][]]> = [
  [new Conv1D({ filters: 2, kernelSize: 3, stride: 2, padding: 1 }), [[2, 5]]],
  [new Conv2D({ filters: 4, kernelSize: [3, 2], padding: 'same', dilation: [1, 2], groups: 2 }), [[2, 4, 4]]],
  [
    new Conv3D({
      filters: 2,
      kernelSize: 2,
      padding: [
        [1, 0],
        [0, 0],
        [0, 1],
      ],
    }),
    [[1, 3, 2, 2]],
  ],
  [new ConvTranspose2D({ filters: 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1 }), [[2, 2, 3]]],
  [new ConvTranspose3D({ filters: 1, kernelSize: 2, stride: [1, 2, 1], groups: 1 }), [[2, 2, 2, 1]]],
  [new MaxPool1D({ kernelSize: 2, stride: 1 }), [[2, 5]]],
  [new MaxPool2D({ kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), [[1, 5, 4]]],
  [new MaxPool3D({ kernelSize: 2, returnIndices: true }), [[1, 2, 4, 2]]],
  [new AvgPool2D({ kernelSize: 2, padding: 1, countIncludePad: false }), [[2, 3, 3]]],
  [new AvgPool3D({ kernelSize: [1, 2, 2], ceilMode: true }), [[1, 2, 3, 3]]],
  [new GlobalAvgPool2D(), [[2, 3, 2]]],
  [new GlobalMaxPool3D({ keepDims: false }), [[2, 2, 2, 2]]],
  [new Dropout({ probability: 0.3 }), [[3, 2]]],
  [new SpatialDropout2D({ probability: 0.5 }), [[3, 2, 2]]],
  [new Crop2D({ size: [2, 2] }), [[2, 4, 3]]],
  [
    new Crop3D(),
    [
      [1, 3, 3, 3],
      [2, 2, 1, 2],
    ],
  ],
  [new Resize2D({ scale: [2, 1.5], mode: 'linear' }), [[1, 2, 2]]],
  [
    new Resize2D({ mode: 'nearest', nearestMode: 'ceil', coordinateMode: 'align_corners' }),
    [
      [1, 2, 3],
      [1, 4, 2],
    ],
  ],
  [new Resize3D({ size: [3, 2, 3], mode: 'trilinear', coordinateMode: 'asymmetric' }), [[1, 2, 2, 2]]],
  [
    new Add(),
    [
      [2, 2],
      [2, 2],
      [2, 2],
    ],
  ],
  [new Multiply(), [[3], [3]]],
  [
    new Concatenation({ axis: -1 }),
    [
      [2, 1],
      [2, 2],
    ],
  ],
  [
    new DepthConcatenation(),
    [
      [1, 2],
      [2, 2],
    ],
  ],
  [new ClassificationOutput({ classes: ['a', 'b', 'c'] }), [[3]]],
  [new BinaryOutput(), [[2]]],
  [new RegressionOutput(), [[2]]],
];

for (const [layer, shapes] of cases)
  test(`checkLayer ${layer.type} ${shapes.map((s) => `[${s}]`).join(' ')}`, () => {
    const r = checkLayer(layer, shapes);
    assert.ok(r.passed, r.toString());
  });
