// Dropout, crop/resize, combination and output layers: shapes, train vs inference, config round trips,
// reference inputs in a Graph, loss behaviour, error messages.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Add,
  arange,
  BinaryOutput,
  binaryCrossEntropy,
  crossEntropy,
  ClassificationOutput,
  Concatenation,
  Crop2D,
  Crop3D,
  DepthConcatenation,
  Dropout,
  Graph,
  huber,
  Multiply,
  mae,
  mse,
  mul,
  ones,
  RegressionOutput,
  Resize2D,
  Resize3D,
  randn,
  Sequential,
  SpatialDropout2D,
  SpatialDropout3D,
  setBackend,
  sum,
  tensor,
  valueAndGradOf,
} from '../../src/index.js';
import { Generator } from '../../src/core/random.js';
import { ctx, expectShape, roundTrip, throwsMsg } from './_catalog.js';

setBackend('reference');

describe('dropout', () => {
  test('identity at inference, inverted scaling in training', () => {
    const d = new Dropout({ probability: 0.3 });
    d.build([[50]]);
    const x = ones([200, 50]);
    assert.equal(d.call([x], ctx(false)), x);
    const y = d.call([x], ctx(true, 7)).data();
    const zeros = y.filter((v) => v === 0).length / y.length;
    assert.ok(Math.abs(zeros - 0.3) < 0.02, `dropped fraction ${zeros}`);
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
    const meanY = Array.from(y).reduce((a, b) => a + b, 0) / y.length;
    assert.ok(Math.abs(meanY - 1) < 0.03, `mean ${meanY}`);
  });

  test('the mask comes from the context generator: seeded runs repeat', () => {
    const d = new Dropout();
    d.build([[30]]);
    const x = randn([4, 30], { seed: 1 });
    const a = d.call([x], ctx(true, 5)).data();
    const b = d.call([x], ctx(true, 5)).data();
    const c = d.call([x], ctx(true, 6)).data();
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.notDeepEqual(Array.from(a), Array.from(c));
    // Through a model: forward({ training }) uses the model's seeded generator.
    const m1 = new Sequential([new Dropout()], { inputShape: [30] }).build({ seed: 3 });
    const m2 = new Sequential([new Dropout()], { inputShape: [30] }).build({ seed: 3 });
    assert.deepEqual(
      Array.from(m1.forward(x, { training: true }).data()),
      Array.from(m2.forward(x, { training: true }).data()),
    );
    assert.deepEqual(Array.from(m1.predict(x).data()), Array.from(x.data()));
  });

  test('the gradient is the mask', () => {
    const d = new Dropout({ probability: 0.5 });
    d.build([[20]]);
    const x = randn([3, 20], { dtype: 'float64', seed: 2 });
    const g = new Generator(9);
    const { grads } = valueAndGradOf(
      () => sum(d.call([x], { training: true, generator: g })),
      [x.requireGrad()],
    );
    const y = d.call([x], { training: true, generator: new Generator(9) }).data();
    const xs = x.data();
    grads[0].data().forEach((v, i) => {
      assert.ok(Math.abs(v * xs[i] - y[i]) < 1e-12);
    });
  });

  test('spatial dropout drops whole channels', () => {
    const d = new SpatialDropout2D({ probability: 0.5 });
    d.build([[16, 3, 3]]);
    const y = d.call([ones([8, 16, 3, 3])], ctx(true, 1)).data();
    let dropped = 0;
    for (let p = 0; p < 8 * 16; p++) {
      const plane = y.slice(p * 9, p * 9 + 9);
      assert.ok(plane.every((v) => v === plane[0]) && (plane[0] === 0 || plane[0] === 2));
      if (plane[0] === 0) dropped++;
    }
    assert.ok(dropped > 40 && dropped < 88, `${dropped} of 128 channels dropped`);
    expectShape(new SpatialDropout3D(), [[2, 2, 2, 2]], [2, 2, 2, 2]);
    throwsMsg(() => new SpatialDropout2D().build([[3, 4]]), /^SpatialDropout2D: expects input \[C,H,W\]/);
  });

  test('config round trip and errors', () => {
    roundTrip(new Dropout({ probability: 0.2 }), [[3, 4]]);
    roundTrip(new SpatialDropout3D({ probability: 0.1 }), [[2, 2, 2, 2]]);
    throwsMsg(
      () => new Dropout({ name: 'd', probability: 1 }),
      /^Dropout 'd': probability must be in \[0, 1\), got 1/,
    );
  });
});

describe('crop and resize', () => {
  test('crop: centre, offset, reference', () => {
    const c = new Crop2D({ size: [2, 3] });
    c.build([[1, 5, 6]]);
    const x = arange(0, 30).reshape([1, 1, 5, 6]);
    // centre offset floor((5 − 2)/2) = 1, floor((6 − 3)/2) = 1
    assert.deepEqual(c.call([x], ctx()).toArray(), [
      [
        [
          [7, 8, 9],
          [13, 14, 15],
        ],
      ],
    ]);
    const o = new Crop2D({ size: [2, 2], offset: [3, 0] });
    o.build([[1, 5, 6]]);
    assert.deepEqual(o.call([x], ctx()).toArray(), [
      [
        [
          [18, 19],
          [24, 25],
        ],
      ],
    ]);
    expectShape(new Crop3D({ size: [1, 2, 3] }), [[2, 3, 4, 5]], [2, 1, 2, 3]);
    expectShape(
      new Crop2D(),
      [
        [3, 9, 8],
        [1, 4, 4],
      ],
      [3, 4, 4],
    );
  });

  test('crop to a reference input in a Graph (U-Net skip connection)', () => {
    const g = new Graph({
      inputs: { enc: [2, 8, 8], dec: [3, 6, 6] },
      nodes: [
        { layer: new Crop2D({ name: 'crop' }), inputs: ['enc', 'dec'] },
        { layer: new DepthConcatenation({ name: 'cat' }), inputs: ['crop', 'dec'] },
      ],
    }).build();
    const y = g.forward([randn([2, 2, 8, 8]), randn([2, 3, 6, 6])]);
    assert.deepEqual(y.shape, [2, 5, 6, 6]);
    assert.deepEqual(
      Graph.fromConfig(JSON.parse(JSON.stringify(g.toConfig()))).build().outputShape,
      [5, 6, 6],
    );
  });

  test('resize shapes: scale, size, reference', () => {
    expectShape(new Resize2D({ scale: 2 }), [[3, 4, 5]], [3, 8, 10]);
    expectShape(new Resize2D({ scale: [0.5, 1.5], mode: 'bilinear' }), [[1, 5, 5]], [1, 2, 7]);
    expectShape(
      new Resize2D({ size: [3, 9], mode: 'linear', coordinateMode: 'align_corners' }),
      [[2, 4, 4]],
      [2, 3, 9],
    );
    expectShape(new Resize3D({ scale: 2, mode: 'trilinear' }), [[1, 2, 3, 1]], [1, 4, 6, 2]);
    expectShape(
      new Resize2D(),
      [
        [2, 3, 3],
        [5, 7, 6],
      ],
      [2, 7, 6],
    );
  });

  test('nearest ×2 repeats values; bilinear of a ramp stays a ramp inside', () => {
    const r = new Resize2D({ scale: 2 });
    r.build([[1, 2, 2]]);
    assert.deepEqual(
      r
        .call(
          [
            tensor([
              [
                [
                  [1, 2],
                  [3, 4],
                ],
              ],
            ]),
          ],
          ctx(),
        )
        .toArray(),
      [
        [
          [
            [1, 1, 2, 2],
            [1, 1, 2, 2],
            [3, 3, 4, 4],
            [3, 3, 4, 4],
          ],
        ],
      ],
    );
    const l = new Resize2D({ size: [1, 7], mode: 'linear', coordinateMode: 'align_corners' });
    l.build([[1, 1, 4]]);
    const y = l.call([tensor([[[[0, 3, 6, 9]]]], undefined, { dtype: 'float64' })], ctx()).data();
    assert.deepEqual(Array.from(y), [0, 1.5, 3, 4.5, 6, 7.5, 9]);
  });

  test('config round trips and errors', () => {
    roundTrip(new Crop2D({ size: [2, 2], offset: [1, 0] }), [[2, 4, 4]]);
    roundTrip(new Crop3D({ size: [1, 1, 2] }), [[1, 2, 2, 3]]);
    roundTrip(new Resize2D({ scale: [2, 1.5], mode: 'linear', coordinateMode: 'asymmetric' }), [[1, 3, 4]]);
    roundTrip(new Resize3D({ size: [2, 3, 2], nearestMode: 'ceil' }), [[1, 3, 3, 3]]);
    throwsMsg(
      () => new Crop2D({ name: 'c', size: [4, 4] }).build([[1, 3, 5]]),
      /^Crop2D 'c': a crop of size \[4,4\] at offset \[-1,0\] does not fit the input \[1,3,5\] on spatial axis 0/,
    );
    throwsMsg(
      () => new Crop2D({ size: [2, 2], offset: [2, 2] }).build([[1, 3, 5]]),
      /does not fit the input \[1,3,5\] on spatial axis 0/,
    );
    throwsMsg(
      () => new Crop2D().build([[1, 3, 5]]),
      /^Crop2D: needs a size, or a second \(reference\) input/,
    );
    throwsMsg(() => new Resize2D({ scale: 2, size: [3, 3] }), /^Resize2D: give a scale or a size, not both/);
    throwsMsg(
      () => new Resize2D().build([[1, 3, 3]]),
      /^Resize2D: needs a scale, a size, or a second \(reference\) input/,
    );
    throwsMsg(
      () => new Resize2D({ mode: 'cubic' as never }),
      /^Resize2D: mode must be one of 'nearest', 'linear', 'bilinear', 'trilinear', got "cubic"/,
    );
    throwsMsg(
      () => new Resize3D({ scale: 0.1 }).build([[1, 3, 3, 3]]),
      /^Resize3D: scale \[0.1,0.1,0.1\] makes an empty output from input size \[3,3,3\]/,
    );
  });
});

describe('combination layers', () => {
  test('shapes, FLOPs, n inputs', () => {
    const a = expectShape(
      new Add(),
      [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
      [2, 3],
    );
    assert.equal(a.flops(a.inputShapes), 12);
    expectShape(new Multiply(), [[4], [4]], [4]);
    expectShape(
      new DepthConcatenation(),
      [
        [1, 2, 2],
        [3, 2, 2],
      ],
      [4, 2, 2],
    );
    expectShape(
      new Concatenation({ axis: -1 }),
      [
        [2, 3, 1],
        [2, 3, 4],
      ],
      [2, 3, 5],
    );
  });

  test('residual block in a Graph', () => {
    const g = new Graph({
      inputs: { x: [3] },
      nodes: [
        { layer: new Multiply({ name: 'sq' }), inputs: ['x', 'x'] },
        { layer: new Add({ name: 'res' }), inputs: ['sq', 'x'] },
      ],
    }).build();
    assert.deepEqual(g.forward(tensor([[1, 2, 3]])).toArray(), [[2, 6, 12]]);
  });

  test('round trips and errors', () => {
    roundTrip(new Add(), [[2], [2]]);
    roundTrip(new Concatenation({ axis: 1 }), [
      [1, 2],
      [1, 3],
    ]);
    roundTrip(new DepthConcatenation(), [
      [1, 2],
      [2, 2],
    ]);
    throwsMsg(
      () =>
        new Add({ name: 'a' }).build([
          [2, 3],
          [3, 2],
        ]),
      /^Add 'a': all inputs must have one shape: input 0 is \[2,3\], input 1 is \[3,2\]/,
    );
    throwsMsg(() => new Add().build([[2]]), /^Add: takes 2 to Infinity input\(s\), got 1/);
    throwsMsg(
      () =>
        new Concatenation().build([
          [1, 2],
          [1, 3],
        ]),
      /^Concatenation: inputs must match outside axis 0: input 0 is \[1,2\], input 1 is \[1,3\]/,
    );
    throwsMsg(
      () => new DepthConcatenation({ axis: 1 }),
      /^DepthConcatenation: joins along the channel axis only/,
    );
  });
});

describe('output layers', () => {
  test('classification: probabilities, class names, stable loss', () => {
    const c = new ClassificationOutput({ classes: ['cat', 'dog', 'owl'] });
    c.build([[3]]);
    const logits = tensor(
      [
        [1, 5, 2],
        [900, -900, 0],
      ],
      undefined,
      { dtype: 'float64' },
    );
    const p = c.call([logits], ctx(true));
    for (const row of p.toArray() as number[][]) assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-12);
    assert.deepEqual(c.decode(p), ['dog', 'cat']);
    // The logits give a finite loss where log(probabilities) would give −∞ (clamped to 100 in the fallback).
    const target = tensor([1, 1], undefined, { dtype: 'int32' });
    const l = c.loss(p, target).item();
    const want = (Math.log(Math.exp(-4) + 1 + Math.exp(-3)) + 1800) / 2;
    assert.ok(Math.abs(l - want) < 1e-9, `${l} vs ${want}`);
    const fallback = c.loss(mul(p, 1), target).item();
    assert.ok(
      Number.isFinite(fallback) &&
        Math.abs(fallback - (Math.log(Math.exp(-4) + 1 + Math.exp(-3)) + 100) / 2) < 1e-9,
    );
    throwsMsg(
      () => new ClassificationOutput({ name: 'out', classes: ['a', 'b'] }).build([[3]]),
      /^ClassificationOutput 'out': has 2 classes but its input has 3 channels/,
    );
    throwsMsg(
      () => c.loss(p, tensor([0, 3], undefined, { dtype: 'int32' })),
      /^crossEntropy: target index 3 at position 1 is not a class in \[0, 3\)/,
    );
  });

  test('binary and regression outputs', () => {
    const b = new BinaryOutput({ classes: ['no', 'yes'] });
    b.build([[1]]);
    const y = b.call([tensor([[0], [1000]], undefined, { dtype: 'float64' })], ctx(true));
    assert.deepEqual(y.toArray(), [[0.5], [1]]);
    const l = b.loss(y, tensor([1, 0], undefined, { dtype: 'float64' })).item();
    assert.ok(Math.abs(l - (Math.log(2) + 1000) / 2) < 1e-9);
    const r = new RegressionOutput();
    r.build([[2]]);
    const x = tensor([[1, 2]], undefined, { dtype: 'float64' });
    assert.equal(r.call([x], ctx()), x);
    assert.equal(r.loss(x, tensor([[0, 0]], undefined, { dtype: 'float64' })).item(), 2.5);
  });

  test('round trips', () => {
    roundTrip(new ClassificationOutput({ classes: ['a', 'b'], labelSmoothing: 0.1, classWeights: [1, 2] }), [
      [2],
    ]);
    roundTrip(new ClassificationOutput(), [[4, 2, 2]]);
    roundTrip(new BinaryOutput({ posWeight: 3 }), [[2]]);
    roundTrip(new RegressionOutput({ loss: 'huber', delta: 0.5 }), [[3]]);
    throwsMsg(
      () => new RegressionOutput({ loss: 'l3' as never }),
      /^RegressionOutput: loss must be one of 'mse', 'mae', 'huber', got "l3"/,
    );
  });
});

describe('loss functions', () => {
  const x = tensor(
    [
      [1, 2, 3],
      [0, 0, 0],
    ],
    undefined,
    { dtype: 'float64' },
  );
  test('reductions', () => {
    const t = tensor([2, 0], undefined, { dtype: 'int32' });
    const none = crossEntropy(x, t, { reduction: 'none' }).data();
    assert.equal(none.length, 2);
    assert.ok(Math.abs(none[1] - Math.log(3)) < 1e-12);
    assert.ok(Math.abs(crossEntropy(x, t, { reduction: 'sum' }).item() - (none[0] + none[1])) < 1e-12);
    assert.ok(Math.abs(crossEntropy(x, t).item() - (none[0] + none[1]) / 2) < 1e-12);
    assert.equal(mse(x, x, { reduction: 'none' }).shape.join(), '2,3');
  });
  test('errors', () => {
    throwsMsg(
      () => crossEntropy(x, tensor([1, 2, 0], undefined, { dtype: 'int32' })),
      /^crossEntropy: target must hold class indices of shape \[2\] or probabilities of the input's shape \[2,3\], got \[3\]/,
    );
    throwsMsg(
      () => crossEntropy(x, tensor([0.5, 1]), { labelSmoothing: 1 }),
      /^crossEntropy: labelSmoothing must be in \[0, 1\), got 1/,
    );
    throwsMsg(
      () => crossEntropy(x, tensor([0, 1], undefined, { dtype: 'int32' }), { weight: [1, 2] }),
      /weight must hold one value per class \(3\)/,
    );
    throwsMsg(() => mse(x, tensor([1, 2])), /^mse: target \[2\] must have the input's shape \[2,3\]/);
    throwsMsg(
      () => mae(x, x, { reduction: 'avg' as never }),
      /^mae: reduction must be 'mean', 'sum' or 'none', got 'avg'/,
    );
    throwsMsg(() => binaryCrossEntropy(x, x, { fromLogits: false, posWeight: 2 }), /posWeight needs logits/);
    throwsMsg(() => huber(x, x, { delta: 0 }), /^huber: delta must be positive, got 0/);
  });
});
