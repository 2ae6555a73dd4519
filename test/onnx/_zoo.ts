// The model zoo of the ONNX export tests: small networks that together use every exportable layer type
// (2-D and 3-D where both exist). Files starting with `_` hold no tests.
import {
  Add,
  AvgPool1D,
  AvgPool2D,
  AvgPool3D,
  BatchNormalization,
  BinaryOutput,
  ClassificationOutput,
  ClippedReLU,
  Concatenation,
  Conv1D,
  Conv2D,
  Conv3D,
  ConvTranspose1D,
  ConvTranspose2D,
  ConvTranspose3D,
  Crop2D,
  Crop3D,
  CrossChannelNormalization,
  Dense,
  DepthConcatenation,
  Dropout,
  ELU,
  Flatten,
  fromTypedArray,
  GELU,
  GlobalAvgPool1D,
  GlobalAvgPool2D,
  GlobalAvgPool3D,
  GlobalMaxPool1D,
  GlobalMaxPool2D,
  GlobalMaxPool3D,
  Graph,
  GroupNormalization,
  Image3dInput,
  ImageInput,
  Input,
  InstanceNormalization,
  LayerNormalization,
  LeakyReLU,
  LocalResponseNormalization,
  MaxPool1D,
  MaxPool2D,
  MaxPool3D,
  MaxUnpool1D,
  MaxUnpool2D,
  MaxUnpool3D,
  type Model,
  Multiply,
  PReLU,
  RegressionOutput,
  ReLU,
  Resize2D,
  Resize3D,
  randn,
  Sequential,
  SequenceInput,
  Sigmoid,
  Softmax,
  SpatialDropout1D,
  SpatialDropout2D,
  SpatialDropout3D,
  Swish,
  Tanh,
} from '../../src/index.js';
import { Generator } from '../../src/core/random.js';

export interface ZooModel {
  name: string;
  model: Model;
  /** Example inputs [N, ...shape] for each model input. */
  inputs: () => Array<{ shape: number[]; data: Float32Array }>;
}

/** Sets every parameter and buffer to random values (variances positive) and adapts input layers. */
function randomize(model: Model, seed: number): Model {
  const g = new Generator(seed);
  for (const l of model.layers) {
    if (l instanceof Input) {
      const data = randn([16, ...l.shape], { seed: seed + 1 });
      l.adapt(
        fromTypedArray(
          (data.data() as Float32Array).map((v) => v * 2 + 0.5),
          data.shape,
        ),
      );
      continue;
    }
    for (const [k, p] of l.params) {
      const n = p.value.size;
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const u = g.random();
        v[i] = k === 'runningVar' || k === 'std' ? 0.5 + u : (u - 0.5) * (k === 'weight' ? 1.2 : 0.6);
      }
      p.assign(fromTypedArray(v, p.shape));
    }
  }
  return model;
}

const data = (shape: number[], seed: number) => {
  const t = randn(shape, { seed });
  return { shape, data: Float32Array.from(t.data()) };
};

export function zoo(): ZooModel[] {
  const out: ZooModel[] = [];
  const add = (name: string, model: Model, seed: number, shapes: number[][]) =>
    out.push({
      name,
      model: randomize(model.build({ seed }), seed),
      inputs: () => shapes.map((s, k) => data([3, ...s], seed * 10 + k)),
    });

  // A multilayer perceptron on vectors.
  add(
    'mlp',
    new Sequential([
      new Input({ shape: [6], normalization: 'zerocenter', normalizationDimension: 'element' }),
      new Dense({ units: 8 }),
      new ReLU(),
      new Dropout({ probability: 0.2 }),
      new Dense({ units: 5, bias: false }),
      new Tanh(),
      new Dense({ units: 3 }),
      new BinaryOutput(),
    ]),
    1,
    [[6]],
  );

  // A 2-D convolutional classifier.
  add(
    'cnn2d',
    new Sequential([
      new ImageInput({ shape: [3, 12, 11], normalization: 'zscore' }),
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', dilation: [1, 2] }),
      new BatchNormalization(),
      new LeakyReLU({ alpha: 0.1 }),
      new MaxPool2D({ kernelSize: 3, stride: 2, padding: 1 }),
      new Conv2D({
        filters: 6,
        kernelSize: [2, 3],
        stride: 2,
        groups: 2,
        padding: [
          [0, 1],
          [1, 0],
        ],
      }),
      new ELU({ alpha: 0.7 }),
      new AvgPool2D({ kernelSize: 2, stride: 1, padding: 1, countIncludePad: false }),
      new SpatialDropout2D({ probability: 0.3 }),
      new GlobalAvgPool2D({ keepDims: false }),
      new Dense({ units: 4 }),
      new ClassificationOutput(),
    ]),
    2,
    [[3, 12, 11]],
  );

  // A 3-D convolutional regressor.
  add(
    '3d-cnn',
    new Sequential([
      new Image3dInput({ shape: [2, 7, 6, 6], normalization: 'rescale-zero-one' }),
      new Conv3D({ filters: 4, kernelSize: 3, padding: 1 }),
      new InstanceNormalization(),
      new ClippedReLU({ ceiling: 1.5 }),
      new MaxPool3D({ kernelSize: 2, dilation: [1, 1, 2], ceilMode: true }),
      new Conv3D({ filters: 4, kernelSize: [1, 2, 2], groups: 4 }),
      new AvgPool3D({ kernelSize: 2, stride: 1, padding: [0, 1, 0] }),
      new BatchNormalization({ affine: false }),
      new SpatialDropout3D(),
      new GlobalMaxPool3D(),
      new Flatten(),
      new Dense({ units: 2 }),
      new RegressionOutput(),
    ]),
    3,
    [[2, 7, 6, 6]],
  );

  // A 1-D (sequence) network.
  add(
    'seq1d',
    new Sequential([
      new SequenceInput({
        shape: [3, 17],
        normalization: 'rescale-symmetric',
        normalizationDimension: 'all',
      }),
      new Conv1D({ filters: 4, kernelSize: 3, dilation: 2, padding: 'same' }),
      new GroupNormalization({ groups: 2 }),
      new GELU(),
      new MaxPool1D({ kernelSize: 2 }),
      new ConvTranspose1D({ filters: 4, kernelSize: 3, stride: 2, outputPadding: 1, padding: 1 }),
      new LayerNormalization({ axes: [-1] }),
      new Swish(),
      new AvgPool1D({ kernelSize: 3, stride: 2, ceilMode: true }),
      new SpatialDropout1D(),
      new BatchNormalization(),
      new GlobalAvgPool1D(),
      new Flatten(),
      new Softmax(),
    ]),
    4,
    [[3, 17]],
  );

  // A 2-D encoder-decoder (Graph): unpooling, transposed convolution, skip concatenations, crop, resize.
  out.push(unet2d(), unet3d(), unet1d());

  // Normalizations, activations and combinations (Graph with two inputs).
  add(
    'norms',
    new Graph({
      inputs: { a: [4, 5, 6], b: [4, 5, 6] },
      nodes: [
        { layer: new LayerNormalization({ name: 'ln_all' }), inputs: ['a'] },
        { layer: new LayerNormalization({ name: 'ln_c', axes: [0], affine: true }), inputs: ['b'] },
        { layer: new Multiply({ name: 'mul' }), inputs: ['ln_all', 'ln_c'] },
        { layer: new GroupNormalization({ name: 'gn', groups: 2, affine: false }), inputs: ['mul'] },
        {
          layer: new LocalResponseNormalization({ name: 'lrn', size: 3, alpha: 0.3, beta: 0.6, k: 1.5 }),
          inputs: ['gn'],
        },
        { layer: new CrossChannelNormalization({ name: 'ccn', size: 3 }), inputs: ['a'] },
        { layer: new PReLU({ name: 'prelu' }), inputs: ['lrn'] },
        { layer: new PReLU({ name: 'prelu_shared', channelShared: true }), inputs: ['ccn'] },
        { layer: new GELU({ name: 'gelu_tanh', approximate: 'tanh' }), inputs: ['prelu_shared'] },
        { layer: new Sigmoid({ name: 'sig' }), inputs: ['b'] },
        { layer: new Add({ name: 'sum3' }), inputs: ['prelu', 'gelu_tanh', 'sig'] },
        { layer: new InstanceNormalization({ name: 'in', affine: false }), inputs: ['sum3'] },
        { layer: new Softmax({ name: 'softmax', axis: -1 }), inputs: ['in'] },
      ],
    }),
    6,
    [
      [4, 5, 6],
      [4, 5, 6],
    ],
  );
  return out;

  function unet2d(): ZooModel {
    const m = new Graph({
      name: 'unet2d',
      inputs: { image: [2, 9, 10] },
      nodes: [
        { layer: new Conv2D({ name: 'enc', filters: 4, kernelSize: 3, padding: 'same' }), inputs: ['image'] },
        { layer: new ReLU({ name: 'enc_act' }), inputs: ['enc'] },
        { layer: new MaxPool2D({ name: 'pool', kernelSize: 2, returnIndices: true }), inputs: ['enc_act'] },
        { layer: new Conv2D({ name: 'mid', filters: 4, kernelSize: 3, padding: 1 }), inputs: ['pool'] },
        { layer: new MaxUnpool2D({ name: 'unpool' }), inputs: ['mid', 'pool', 'enc_act'] },
        {
          layer: new ConvTranspose2D({
            name: 'up',
            filters: 3,
            kernelSize: 2,
            stride: 2,
            outputPadding: [1, 0],
          }),
          inputs: ['pool'],
        },
        { layer: new Crop2D({ name: 'crop_up' }), inputs: ['up', 'enc_act'] },
        { layer: new DepthConcatenation({ name: 'cat' }), inputs: ['unpool', 'crop_up'] },
        { layer: new Conv2D({ name: 'dec', filters: 2, kernelSize: 1 }), inputs: ['cat'] },
        { layer: new Add({ name: 'skip' }), inputs: ['dec', 'image'] },
        { layer: new Crop2D({ name: 'crop', size: [6, 7], offset: [1, 2] }), inputs: ['skip'] },
        {
          layer: new Resize2D({
            name: 'resize',
            scale: [1.5, 2],
            mode: 'linear',
            coordinateMode: 'pytorch_half_pixel',
          }),
          inputs: ['crop'],
        },
        {
          layer: new Resize2D({ name: 'back', mode: 'nearest', nearestMode: 'round_prefer_ceil' }),
          inputs: ['resize', 'image'],
        },
        { layer: new Concatenation({ name: 'cat_w', axis: -1 }), inputs: ['back', 'image'] },
        { layer: new GlobalMaxPool2D({ name: 'gmp' }), inputs: ['cat_w'] },
        { layer: new Resize2D({ name: 'gmp_wide' }), inputs: ['gmp', 'cat_w'] },
        { layer: new Multiply({ name: 'gate' }), inputs: ['cat_w', 'gmp_wide'] },
      ],
    });
    return {
      name: 'unet2d',
      model: randomize(m.build({ seed: 7 }), 7),
      inputs: () => [data([2, 2, 9, 10], 70)],
    };
  }

  function unet3d(): ZooModel {
    const m = new Graph({
      name: 'unet3d',
      inputs: { volume: [2, 4, 6, 5] },
      nodes: [
        {
          layer: new Conv3D({ name: 'enc', filters: 3, kernelSize: 3, padding: 'same' }),
          inputs: ['volume'],
        },
        { layer: new MaxPool3D({ name: 'pool', kernelSize: 2, returnIndices: true }), inputs: ['enc'] },
        { layer: new MaxUnpool3D({ name: 'unpool', outputSize: [4, 6, 5] }), inputs: ['pool', 'pool'] },
        {
          layer: new ConvTranspose3D({
            name: 'up',
            filters: 2,
            kernelSize: [2, 2, 3],
            stride: 2,
            groups: 1,
            dilation: [1, 1, 1],
          }),
          inputs: ['pool'],
        },
        { layer: new Crop3D({ name: 'crop', offset: [0, 0, 0] }), inputs: ['up', 'volume'] },
        { layer: new Concatenation({ name: 'cat' }), inputs: ['unpool', 'crop', 'volume'] },
        {
          layer: new Resize3D({
            name: 'resize',
            size: [5, 7, 4],
            mode: 'trilinear',
            coordinateMode: 'align_corners',
          }),
          inputs: ['cat'],
        },
        {
          layer: new Resize3D({ name: 'near', scale: 2, nearestMode: 'floor', coordinateMode: 'asymmetric' }),
          inputs: ['resize'],
        },
        { layer: new GlobalAvgPool3D({ name: 'gap' }), inputs: ['near'] },
      ],
    });
    return {
      name: 'unet3d',
      model: randomize(m.build({ seed: 8 }), 8),
      inputs: () => [data([2, 2, 4, 6, 5], 80)],
    };
  }

  function unet1d(): ZooModel {
    const m = new Graph({
      name: 'unet1d',
      inputs: { signal: [3, 12] },
      nodes: [
        {
          layer: new MaxPool1D({ name: 'pool', kernelSize: 3, stride: 3, returnIndices: true }),
          inputs: ['signal'],
        },
        { layer: new Conv1D({ name: 'mid', filters: 3, kernelSize: 1, groups: 3 }), inputs: ['pool'] },
        { layer: new MaxUnpool1D({ name: 'unpool', kernelSize: 3 }), inputs: ['mid', 'pool'] },
        {
          layer: new ConvTranspose1D({ name: 'up', filters: 4, kernelSize: 3, stride: 3, groups: 1 }),
          inputs: ['pool'],
        },
        { layer: new Concatenation({ name: 'cat' }), inputs: ['unpool', 'up'] },
        { layer: new GlobalMaxPool1D({ name: 'gmp', keepDims: false }), inputs: ['cat'] },
      ],
    });
    return {
      name: 'unet1d',
      model: randomize(m.build({ seed: 9 }), 9),
      inputs: () => [data([2, 3, 12], 90)],
    };
  }
}
