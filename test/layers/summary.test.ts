import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BatchNormalization,
  Dense,
  Flatten,
  FunctionLayer,
  Graph,
  GroupNormalization,
  Layer,
  LayerNormalization,
  LocalResponseNormalization,
  mul,
  normal,
  ReLU,
  registerFunctionLayer,
  Sequential,
  SequenceInput,
  StrataError,
  setBackend,
  type Tensor,
} from '../../src/index.js';

setBackend('reference');

/** Counts its forward calls: a pre-flight failure must come before any of them. */
class Counter extends Layer {
  static override readonly type: string = 'Counter';
  calls = 0;
  computeOutputShape([s]: number[][]) {
    return [...s];
  }
  forward([x]: Tensor[]) {
    this.calls++;
    return x;
  }
  getConfig() {
    return {};
  }
}

const isErrorAt = (where: RegExp, msg: RegExp) => (e: unknown) =>
  e instanceof StrataError && where.test(e.where) && msg.test(e.message);

describe('pre-flight: the first layer whose input does not fit is named before any computation', () => {
  const net = () => {
    const counter = new Counter({ name: 'counter' });
    const model = new Sequential([
      new SequenceInput({ shape: [6, 5] }),
      counter,
      new BatchNormalization({ name: 'bn' }),
      new GroupNormalization({ name: 'gn', groups: 4 }), // 6 channels: does not fit
      new LayerNormalization({ name: 'ln', axes: [2] }), // rank 2: would not fit either
      new Flatten(),
      new Dense({ units: 2 }),
    ]);
    return { model, counter };
  };
  test('forward', () => {
    const { model, counter } = net();
    assert.throws(
      () => model.forward(normal([2, 6, 5], 0, 1, { seed: 1 })),
      isErrorAt(/^GroupNormalization 'gn'$/, /channels \(6\) must be divisible by groups \(4\)/),
    );
    assert.equal(counter.calls, 0);
  });
  test('summary and build', () => {
    const { model, counter } = net();
    assert.throws(() => model.summary(), isErrorAt(/'gn'/, /divisible/));
    assert.throws(() => model.build(), isErrorAt(/'gn'/, /divisible/));
    assert.equal(counter.calls, 0);
  });
  test('a graph names the layer and shows the shapes', () => {
    registerFunctionLayer('summaryProduct', (a, b) => mul(a, b), {
      inputs: 2,
      outputShape: ([a, b]) => {
        if (a.join() !== b.join()) throw new StrataError('summaryProduct', `[${a}] and [${b}] differ`);
        return [...a];
      },
    });
    const counter = new Counter({ name: 'counter' });
    const g = new Graph({
      inputs: { a: [3, 4], b: [3, 5] },
      nodes: [
        { layer: counter, inputs: ['a'] },
        { layer: new FunctionLayer({ fn: 'summaryProduct', name: 'prod' }), inputs: ['counter', 'b'] },
      ],
    });
    assert.throws(
      () => g.forward([normal([1, 3, 4]), normal([1, 3, 5])]),
      isErrorAt(/FunctionLayer\(summaryProduct\) 'prod'/, /\[3,4\] and \[3,5\] differ/),
    );
    assert.equal(counter.calls, 0);
  });
  test('a batch of the wrong shape is named as the model input', () => {
    const { model, counter } = net();
    assert.throws(
      () => model.forward(normal([2, 5, 6])),
      isErrorAt(/sequential input/, /\[N,6,5\].*\[2,5,6\]/),
    );
    assert.equal(counter.calls, 0);
  });
});

describe('summary: output shapes, parameters and FLOPs of a small net', () => {
  const model = new Sequential([
    new SequenceInput({ name: 'input', shape: [4, 6] }),
    new BatchNormalization({ name: 'bn' }),
    new LocalResponseNormalization({ name: 'lrn', size: 3 }),
    new LayerNormalization({ name: 'ln', axes: [-1] }),
    new Flatten({ name: 'flat' }),
    new Dense({ name: 'fc1', units: 3 }),
    new ReLU({ name: 'relu' }),
    new Dense({ name: 'fc2', units: 2 }),
  ]).build({ seed: 0 });
  const rows = model.summaryRows();
  test('rows', () => {
    assert.deepEqual(
      rows.map((r) => [r.name, r.outputShape, r.params, r.flops]),
      [
        ['input', [4, 6], 0, 0],
        ['bn', [4, 6], 8, 4 * 24], // weight, bias per channel; running stats are not parameters
        ['lrn', [4, 6], 0, (3 + 5) * 24],
        ['ln', [4, 6], 12, 7 * 24], // weight, bias over the last axis (6)
        ['flat', [24], 0, 0],
        ['fc1', [3], 24 * 3 + 3, 2 * 24 * 3],
        ['relu', [3], 0, 0],
        ['fc2', [2], 3 * 2 + 2, 2 * 3 * 2],
      ],
    );
  });
  test('totals and the table', () => {
    const params = 8 + 12 + 75 + 8;
    const flops = 96 + 192 + 168 + 144 + 12;
    assert.equal(model.paramCount(), params);
    const s = model.summary();
    assert.match(
      s,
      new RegExp(`total: ${params} parameters, ${flops} FLOPs per example, input \\[\\[4,6\\]\\]`),
    );
    assert.match(s, /^bn\s+BatchNormalization\s+\[4,6\]\s+8\s+96$/m);
    // Buffers are state, saved with the model, but not counted as parameters.
    assert.deepEqual(
      [...model.namedState().keys()].filter((k) => k.startsWith('bn.')),
      ['bn.weight', 'bn.bias', 'bn.runningMean', 'bn.runningVar'],
    );
  });
});
