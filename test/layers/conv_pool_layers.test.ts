// Convolution and pooling layers: output-size formulas, parameter counts, FLOPs, config round trips,
// error messages, and the max-pool → max-unpool connection in a Graph (saved and loaded).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AvgPool2D,
  AvgPool3D,
  Conv1D,
  Conv2D,
  Conv3D,
  ConvTranspose1D,
  ConvTranspose2D,
  ConvTranspose3D,
  Graph,
  GlobalAvgPool2D,
  GlobalAvgPool3D,
  GlobalMaxPool2D,
  MaxPool1D,
  MaxPool2D,
  MaxPool3D,
  MaxUnpool2D,
  MaxUnpool3D,
  maxPoolIndicesOf,
  ReLU,
  randn,
  Sequential,
  setBackend,
} from '../../src/index.js';
import { expectShape, roundTrip, throwsMsg } from './_catalog.js';

setBackend('reference');

describe('convolution layers', () => {
  test('Conv2D shape, parameters and FLOPs', () => {
    const l = expectShape(
      new Conv2D({ filters: 4, kernelSize: 3, stride: 2, padding: 1 }),
      [[3, 7, 8]],
      [4, 4, 4],
    );
    // floor((7 + 2 − 3)/2) + 1 = 4, floor((8 + 2 − 3)/2) + 1 = 4
    assert.deepEqual(l.params.get('weight')!.shape, [4, 3, 3, 3]);
    assert.equal(l.paramCount(), 4 * 3 * 9 + 4);
    assert.equal(l.flops(l.inputShapes), 2 * 3 * 9 * 4 * 16);
  });

  test('Conv2D padding forms', () => {
    // 'same' with stride 2: ceil(S / 2)
    expectShape(
      new Conv2D({ filters: 2, kernelSize: 3, stride: 2, padding: 'same' }),
      [[3, 7, 8]],
      [2, 4, 4],
    );
    expectShape(new Conv2D({ filters: 2, kernelSize: 4, padding: 'same' }), [[1, 5, 6]], [2, 5, 6]);
    // valid, dilation 2: 9 − 2·2 = 5
    expectShape(
      new Conv2D({ filters: 2, kernelSize: 3, dilation: 2, padding: 'valid' }),
      [[2, 9, 9]],
      [2, 5, 5],
    );
    // per side: H 5 + 1 + 0 − 2 + 1 = 5, W 5 + 2 + 3 − 3 + 1 = 8
    expectShape(
      new Conv2D({
        filters: 1,
        kernelSize: [2, 3],
        padding: [
          [1, 0],
          [2, 3],
        ],
      }),
      [[1, 5, 5]],
      [1, 5, 8],
    );
    // one number per axis
    expectShape(new Conv2D({ filters: 1, kernelSize: 3, padding: [0, 2] }), [[1, 5, 5]], [1, 3, 7]);
  });

  test('grouped and depthwise Conv2D', () => {
    const g = expectShape(
      new Conv2D({ filters: 6, kernelSize: 3, groups: 2, padding: 1 }),
      [[4, 5, 5]],
      [6, 5, 5],
    );
    assert.deepEqual(g.params.get('weight')!.shape, [6, 2, 3, 3]);
    assert.equal(g.paramCount(), 6 * 2 * 9 + 6);
    assert.equal(g.flops(g.inputShapes), 2 * 2 * 9 * 6 * 25);
    const dw = expectShape(
      new Conv2D({ filters: 3, kernelSize: 3, groups: 3, bias: false }),
      [[3, 5, 5]],
      [3, 3, 3],
    );
    assert.deepEqual(dw.params.get('weight')!.shape, [3, 1, 3, 3]);
    assert.equal(dw.paramCount(), 27);
  });

  test('Conv1D and Conv3D', () => {
    expectShape(new Conv1D({ filters: 2, kernelSize: 4, stride: 3 }), [[3, 10]], [2, 3]);
    const c3 = expectShape(
      new Conv3D({ filters: 2, kernelSize: [2, 3, 3], stride: [1, 2, 2], padding: 1 }),
      [[2, 4, 9, 9]],
      [2, 5, 5, 5],
    );
    assert.equal(c3.paramCount(), 2 * 2 * 18 + 2);
  });

  test('transposed convolution', () => {
    // (5 − 1)·2 − 2 + 3 + 1 = 10, (6 − 1)·2 − 2 + 3 + 1 = 12
    const t = expectShape(
      new ConvTranspose2D({ filters: 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
      [[4, 5, 6]],
      [6, 10, 12],
    );
    assert.deepEqual(t.params.get('weight')!.shape, [4, 3, 3, 3]);
    assert.equal(t.paramCount(), 4 * 3 * 9 + 6);
    assert.equal(t.flops(t.inputShapes), 2 * 4 * 30 * 3 * 9);
    expectShape(new ConvTranspose3D({ filters: 1, kernelSize: 2, stride: 2 }), [[2, 2, 3, 1]], [1, 4, 6, 2]);
    // dilation 2: (4 − 1) + 2·(3 − 1) + 1 = 8
    expectShape(new ConvTranspose1D({ filters: 2, kernelSize: 3, dilation: 2 }), [[1, 4]], [2, 8]);
  });

  test('config round trips', () => {
    roundTrip(
      new Conv2D({
        filters: 3,
        kernelSize: [3, 2],
        padding: [
          [1, 0],
          [0, 1],
        ],
        dilation: [1, 2],
        groups: 1,
      }),
      [[2, 5, 5]],
    );
    roundTrip(
      new Conv2D({
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        groups: 2,
        bias: false,
        weightInit: 'glorotNormal',
      }),
      [[2, 4, 4]],
    );
    roundTrip(new Conv1D({ filters: 2, kernelSize: 3 }), [[1, 6]]);
    roundTrip(new Conv3D({ filters: 2, kernelSize: 2, stride: 2 }), [[1, 4, 4, 4]]);
    roundTrip(new ConvTranspose2D({ filters: 2, kernelSize: 3, stride: 2, outputPadding: 1, padding: 1 }), [
      [3, 3, 3],
    ]);
    roundTrip(new ConvTranspose3D({ filters: 2, kernelSize: 2, groups: 2 }), [[2, 2, 2, 2]]);
  });

  test('errors name the layer and show the numbers', () => {
    throwsMsg(() => new Conv2D({ name: 'c1', kernelSize: 3 } as never), /^Conv2D 'c1': needs filters/);
    throwsMsg(
      () => new Conv2D({ filters: 4, kernelSize: [3, 3, 3] }),
      /^Conv2D: kernelSize must be an integer >= 1 or 2 of them, got \[3,3,3\]/,
    );
    throwsMsg(
      () => new Conv2D({ filters: 3, kernelSize: 3, groups: 2 }),
      /filters \(3\) must be divisible by groups \(2\)/,
    );
    throwsMsg(
      () => new Conv2D({ name: 'c', filters: 4, kernelSize: 3, groups: 2 }).build([[3, 5, 5]]),
      /^Conv2D 'c': input channels \(3\) must be divisible by groups \(2\)/,
    );
    throwsMsg(
      () => new Conv2D({ filters: 1, kernelSize: 5 }).build([[1, 3, 8]]),
      /^Conv2D: kernel extent 5 is larger than the padded input 3 on spatial axis 0 \(input \[1,3,8\]\)/,
    );
    throwsMsg(
      () => new Conv2D({ filters: 1, kernelSize: 3 }).build([[1, 8]]),
      /^Conv2D: expects input \[C,H,W\] \(without batch\), got \[1,8\]/,
    );
    throwsMsg(
      () => new Conv2D({ filters: 1, kernelSize: 3, padding: 'full' as never }),
      /padding must be .*got "full"/,
    );
    throwsMsg(
      () => new ConvTranspose2D({ filters: 1, kernelSize: 3, stride: 2, outputPadding: 2 }),
      /outputPadding \(2\) must be smaller than stride \(2\) or dilation \(1\) on spatial axis 0/,
    );
    throwsMsg(
      () => new ConvTranspose2D({ filters: 1, kernelSize: 3, padding: 'same' as never }),
      /padding must be a number or a list, got 'same'/,
    );
  });
});

describe('pooling layers', () => {
  test('max and average pooling shapes', () => {
    expectShape(new MaxPool2D({ kernelSize: 2 }), [[3, 7, 7]], [3, 3, 3]);
    expectShape(new MaxPool2D({ kernelSize: 2, ceilMode: true }), [[3, 7, 7]], [3, 4, 4]);
    // floor((8 + 2 − 3)/2) + 1 = 4
    expectShape(new MaxPool2D({ kernelSize: 3, stride: 2, padding: 1 }), [[1, 8, 8]], [1, 4, 4]);
    // dilation 2, stride 1: 6 − 2·(2 − 1) = 4
    expectShape(new MaxPool2D({ kernelSize: 2, stride: 1, dilation: 2 }), [[1, 6, 5]], [1, 4, 3]);
    expectShape(new MaxPool1D({ kernelSize: 3, stride: 2 }), [[2, 9]], [2, 4]);
    expectShape(new MaxPool3D({ kernelSize: [1, 2, 2] }), [[2, 3, 4, 5]], [2, 3, 2, 2]);
    expectShape(new AvgPool2D({ kernelSize: 3, stride: 2, padding: 'same' }), [[2, 7, 6]], [2, 4, 3]);
    const a = expectShape(new AvgPool3D({ kernelSize: 2 }), [[2, 4, 4, 4]], [2, 2, 2, 2]);
    assert.equal(a.paramCount(), 0);
    assert.equal(a.flops(a.inputShapes), 16 * 8);
  });

  test('global pooling keeps [C,1,1] by default', () => {
    expectShape(new GlobalAvgPool2D(), [[3, 4, 5]], [3, 1, 1]);
    expectShape(new GlobalMaxPool2D({ keepDims: false }), [[3, 4, 5]], [3]);
    expectShape(new GlobalAvgPool3D(), [[2, 2, 3, 4]], [2, 1, 1, 1]);
  });

  test('config round trips', () => {
    roundTrip(
      new MaxPool2D({ kernelSize: [3, 2], stride: [2, 1], padding: 1, ceilMode: true, returnIndices: true }),
      [[2, 6, 5]],
    );
    roundTrip(
      new AvgPool2D({
        kernelSize: 3,
        padding: [
          [1, 0],
          [0, 1],
        ],
        countIncludePad: false,
      }),
      [[1, 5, 5]],
    );
    roundTrip(new AvgPool3D({ kernelSize: 2, stride: 1 }), [[1, 3, 3, 3]]);
    roundTrip(new GlobalMaxPool2D({ keepDims: false }), [[2, 3, 3]]);
    roundTrip(new GlobalAvgPool3D(), [[2, 2, 2, 2]]);
  });

  test('errors', () => {
    throwsMsg(() => new MaxPool2D({} as never), /^MaxPool2D: needs a kernelSize/);
    throwsMsg(
      () => new MaxPool2D({ kernelSize: 4 }).build([[1, 3, 3]]),
      /^MaxPool2D: kernel extent 4 .* larger than the padded input 3/,
    );
    throwsMsg(
      () => new MaxPool2D({ kernelSize: 2, padding: 2, stride: 1 }).build([[1, 3, 3]]),
      /^MaxPool2D: window 0 on spatial axis 0 covers only padding/,
    );
    throwsMsg(
      () => new AvgPool2D({ kernelSize: 2, dilation: 2 } as never),
      /^AvgPool2D: average pooling has no dilation/,
    );
    throwsMsg(() => new GlobalAvgPool2D().build([[3, 4]]), /^GlobalAvgPool2D: expects input \[C,H,W\]/);
  });
});

describe('max-unpooling from a max-pool layer', () => {
  const graphConfig = () =>
    new Graph({
      inputs: { x: [2, 6, 4] },
      nodes: [
        { layer: new MaxPool2D({ name: 'pool', kernelSize: 2, returnIndices: true }), inputs: ['x'] },
        { layer: new Conv2D({ name: 'mix', filters: 2, kernelSize: 1 }), inputs: ['pool'] },
        { layer: new MaxUnpool2D({ name: 'unpool' }), inputs: ['mix', 'pool', 'x'] },
      ],
    });

  test('the indices travel with the pool output; the unpooled values sit at the maxima', () => {
    const g = new Graph({
      inputs: { x: [1, 4, 4] },
      nodes: [
        { layer: new MaxPool2D({ name: 'pool', kernelSize: 2, returnIndices: true }), inputs: ['x'] },
        { layer: new MaxUnpool2D({ name: 'unpool', kernelSize: 2 }), inputs: ['pool', 'pool'] },
      ],
    }).build();
    const x = randn([2, 1, 4, 4], { seed: 3 });
    const y = g.forward(x);
    assert.deepEqual(y.shape, [2, 1, 4, 4]);
    const xs = x.data();
    const ys = y.data();
    // Each 2×2 window keeps exactly its maximum, in place.
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 4; i += 2)
        for (let j = 0; j < 4; j += 2) {
          const at = [0, 1].flatMap((a) => [0, 1].map((b) => n * 16 + (i + a) * 4 + j + b));
          const m = Math.max(...at.map((k) => xs[k]));
          for (const k of at) assert.equal(ys[k], xs[k] === m ? m : 0);
        }
  });

  test('the graph config saves and loads (the connection is an ordinary graph edge)', () => {
    const g = graphConfig().build({ seed: 2 });
    const x = randn([3, 2, 6, 4], { seed: 4 });
    const y = g.forward(x);
    assert.deepEqual(y.shape, [3, 2, 6, 4]);
    const loaded = Graph.fromConfig(JSON.parse(JSON.stringify(g.toConfig()))).build({ seed: 2 });
    assert.deepEqual(Array.from(loaded.forward(x).data()), Array.from(y.data()));
  });

  test('a pool layer applied twice keeps each output its own indices', () => {
    const pool = new MaxPool2D({ kernelSize: 2, returnIndices: true });
    pool.build([[1, 4, 4]]);
    const a = pool.call([randn([1, 1, 4, 4], { seed: 1 })], { training: false } as never);
    const b = pool.call([randn([1, 1, 4, 4], { seed: 2 })], { training: false } as never);
    assert.ok(maxPoolIndicesOf(a) && maxPoolIndicesOf(b));
    assert.notDeepEqual(Array.from(maxPoolIndicesOf(a)!.data()), Array.from(maxPoolIndicesOf(b)!.data()));
  });

  test('3-D unpooling with outputSize, and errors', () => {
    const g = new Graph({
      inputs: { x: [1, 5, 4, 4] },
      nodes: [
        { layer: new MaxPool3D({ name: 'p', kernelSize: 2, returnIndices: true }), inputs: ['x'] },
        { layer: new MaxUnpool3D({ outputSize: [5, 4, 4] }), inputs: ['p', 'p'] },
      ],
    }).build();
    assert.deepEqual(g.forward(randn([1, 1, 5, 4, 4])).shape, [1, 1, 5, 4, 4]);

    const noIdx = new Graph({
      inputs: { x: [1, 4, 4] },
      nodes: [
        { layer: new MaxPool2D({ name: 'p', kernelSize: 2 }), inputs: ['x'] },
        { layer: new MaxUnpool2D({ name: 'u', kernelSize: 2 }), inputs: ['p', 'p'] },
      ],
    }).build();
    throwsMsg(
      () => noIdx.forward(randn([1, 1, 4, 4])),
      /^MaxUnpool2D 'u': input 1 must be the output of a MaxPool layer with returnIndices: true/,
    );
    throwsMsg(
      () =>
        new MaxUnpool2D({ name: 'u' }).build([
          [1, 2, 2],
          [1, 2, 2],
        ]),
      /^MaxUnpool2D 'u': needs the output size: a third input \(the layer that fed the pool\), outputSize, or kernelSize/,
    );
    throwsMsg(
      () =>
        new MaxUnpool2D({ kernelSize: 2 }).build([
          [1, 2, 2],
          [1, 3, 2],
        ]),
      /input 1 .* has shape \[1,3,2\], input 0 \(the values\) \[1,2,2\]/,
    );
    throwsMsg(
      () => new MaxUnpool2D({ kernelSize: 2 }).build([[1, 2, 2]]),
      /^MaxUnpool2D: takes 2 to 3 input\(s\), got 1/,
    );
    // A size that is not the pooled input's: the indices would point elsewhere.
    const wrong = new Graph({
      inputs: { x: [1, 5, 5] },
      nodes: [
        { layer: new MaxPool2D({ name: 'p', kernelSize: 2, returnIndices: true }), inputs: ['x'] },
        { layer: new MaxUnpool2D({ name: 'u', kernelSize: 2 }), inputs: ['p', 'p'] },
      ],
    }).build();
    throwsMsg(
      () => wrong.forward(randn([1, 1, 5, 5])),
      /output size \[4,4\] differs from the size \[5,5\] the max-pool indices point into/,
    );
  });

  test('a pool layer with returnIndices still works in a Sequential', () => {
    const s = new Sequential([new MaxPool2D({ kernelSize: 2, returnIndices: true }), new ReLU()], {
      inputShape: [1, 4, 4],
    }).build();
    assert.deepEqual(s.forward(randn([2, 1, 4, 4])).shape, [2, 1, 2, 2]);
  });
});
