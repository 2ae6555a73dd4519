// A tiny network around each family of the catalog whose loss falls over a few plain SGD steps
// (valueAndGradOf + p ← p − lr·g), on every registered backend.
import { describe, test } from 'node:test';
import {
  Add,
  AvgPool3D,
  BinaryOutput,
  ClassificationOutput,
  Conv1D,
  Conv2D,
  Conv3D,
  ConvTranspose2D,
  Crop2D,
  Dense,
  DepthConcatenation,
  Dropout,
  Flatten,
  GlobalAvgPool2D,
  GlobalAvgPool3D,
  GlobalMaxPool2D,
  Graph,
  listBackends,
  MaxPool1D,
  MaxPool2D,
  MaxUnpool2D,
  Multiply,
  ReLU,
  RegressionOutput,
  Resize2D,
  randn,
  Sequential,
  SpatialDropout2D,
  setBackend,
  Tanh,
  tensor,
} from '../../src/index.js';
import { assertFalls, sgd } from './_catalog.js';

const labels = (v: number[]) => tensor(v, undefined, { dtype: 'int32' });

for (const backend of listBackends())
  describe(`on ${backend}`, () => {
    test('conv2d → maxpool → dropout → dense → classification', () => {
      setBackend(backend);
      const m = new Sequential(
        [
          new Conv2D({ filters: 4, kernelSize: 3, padding: 'same' }),
          new ReLU(),
          new MaxPool2D({ kernelSize: 2 }),
          new SpatialDropout2D({ probability: 0.1 }),
          new Conv2D({ filters: 4, kernelSize: 3, groups: 4 }),
          new Flatten(),
          new Dropout({ probability: 0.1 }),
          new Dense({ units: 3 }),
          new ClassificationOutput({ classes: ['a', 'b', 'c'] }),
        ],
        { inputShape: [2, 6, 6] },
      ).build({ seed: 1 });
      assertFalls(sgd(m, randn([6, 2, 6, 6], { seed: 2 }), labels([0, 1, 2, 0, 1, 2]), 6, 0.1));
    });

    test('conv3d → avgpool3d → global pool → binary output', () => {
      setBackend(backend);
      const m = new Sequential(
        [
          new Conv3D({ filters: 3, kernelSize: 2, padding: 1 }),
          new Tanh(),
          new AvgPool3D({ kernelSize: 2 }),
          new GlobalAvgPool3D({ keepDims: false }),
          new Dense({ units: 1 }),
          new BinaryOutput(),
        ],
        { inputShape: [1, 3, 3, 3] },
      ).build({ seed: 3 });
      // A learnable target: is the volume's mean positive?
      const x = randn([6, 1, 3, 3, 3], { seed: 4 });
      const y = tensor(x.mean([1, 2, 3, 4]).greater(0).data(), [6, 1]);
      assertFalls(sgd(m, x, y, 6, 2));
    });

    test('encoder–decoder: conv1d/maxpool1d, transposed conv, resize, crop to reference, skip concat', () => {
      setBackend(backend);
      const g = new Graph({
        inputs: { x: [2, 8, 8] },
        nodes: [
          { layer: new Conv2D({ name: 'enc', filters: 3, kernelSize: 3, padding: 1 }), inputs: ['x'] },
          { layer: new MaxPool2D({ name: 'down', kernelSize: 2 }), inputs: ['enc'] },
          {
            layer: new ConvTranspose2D({ name: 'up', filters: 2, kernelSize: 3, stride: 2 }),
            inputs: ['down'],
          },
          { layer: new Crop2D({ name: 'crop' }), inputs: ['up', 'x'] },
          { layer: new Resize2D({ name: 'smooth', mode: 'linear' }), inputs: ['down', 'x'] },
          { layer: new DepthConcatenation({ name: 'cat' }), inputs: ['crop', 'smooth', 'x'] },
          { layer: new Conv2D({ name: 'head', filters: 1, kernelSize: 1 }), inputs: ['cat'] },
          { layer: new RegressionOutput({ name: 'out' }), inputs: ['head'] },
        ],
      }).build({ seed: 5 });
      const x = randn([2, 2, 8, 8], { seed: 6 });
      assertFalls(sgd(g, x, randn([2, 1, 8, 8], { seed: 7 }), 6, 0.05));

      const seq = new Sequential(
        [
          new Conv1D({ filters: 3, kernelSize: 3 }),
          new MaxPool1D({ kernelSize: 2 }),
          new Flatten(),
          new Dense({ units: 2 }),
          new RegressionOutput({ loss: 'huber' }),
        ],
        { inputShape: [2, 9] },
      ).build({ seed: 8 });
      assertFalls(sgd(seq, randn([4, 2, 9], { seed: 9 }), randn([4, 2], { seed: 10 }), 6, 0.1));
    });

    test('residual and gated blocks; max-unpooling autoencoder', () => {
      setBackend(backend);
      const g = new Graph({
        inputs: { x: [2, 5, 5] },
        nodes: [
          { layer: new Conv2D({ name: 'c1', filters: 2, kernelSize: 3, padding: 'same' }), inputs: ['x'] },
          { layer: new Add({ name: 'res' }), inputs: ['c1', 'x'] },
          { layer: new Conv2D({ name: 'gate', filters: 2, kernelSize: 1 }), inputs: ['res'] },
          { layer: new Multiply({ name: 'gated' }), inputs: ['res', 'gate'] },
          { layer: new GlobalMaxPool2D({ name: 'gmp', keepDims: false }), inputs: ['gated'] },
          { layer: new GlobalAvgPool2D({ name: 'gap', keepDims: false }), inputs: ['res'] },
          { layer: new DepthConcatenation({ name: 'both' }), inputs: ['gmp', 'gap'] },
          { layer: new Dense({ name: 'fc', units: 2 }), inputs: ['both'] },
          { layer: new ClassificationOutput({ name: 'out' }), inputs: ['fc'] },
        ],
      }).build({ seed: 11 });
      assertFalls(sgd(g, randn([4, 2, 5, 5], { seed: 12 }), labels([0, 1, 1, 0]), 6, 0.2));

      const ae = new Graph({
        inputs: { x: [1, 6, 6] },
        nodes: [
          { layer: new Conv2D({ name: 'c', filters: 2, kernelSize: 3, padding: 1 }), inputs: ['x'] },
          { layer: new MaxPool2D({ name: 'pool', kernelSize: 2, returnIndices: true }), inputs: ['c'] },
          { layer: new Conv2D({ name: 'mid', filters: 2, kernelSize: 1 }), inputs: ['pool'] },
          { layer: new MaxUnpool2D({ name: 'unpool' }), inputs: ['mid', 'pool', 'c'] },
          { layer: new Conv2D({ name: 'dec', filters: 1, kernelSize: 3, padding: 1 }), inputs: ['unpool'] },
          { layer: new RegressionOutput({ name: 'out' }), inputs: ['dec'] },
        ],
      }).build({ seed: 13 });
      const x = randn([2, 1, 6, 6], { seed: 14 });
      assertFalls(sgd(ae, x, x, 6, 0.1));
    });
  });
