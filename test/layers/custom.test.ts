import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type CallContext,
  checkLayer,
  Dense,
  FunctionLayer,
  type Generator,
  Graph,
  Layer,
  type LayerConfig,
  layerFromConfig,
  mean,
  mul,
  normal,
  registerFunctionLayer,
  registerLayer,
  Sequential,
  SequenceInput,
  StrataError,
  setBackend,
  sub,
  sum,
  type Tensor,
  tanh,
} from '../../src/index.js';

setBackend('reference');

// ---------------------------------------------------------------- a custom layer as a class

/** y = tanh(x)·scale per channel, scale learned (starts at `init`). */
class ScaledTanh extends Layer {
  static override readonly type: string = 'ScaledTanh';
  readonly init: number;
  constructor(c: LayerConfig & { init?: number } = {}) {
    super(c);
    this.init = c.init ?? 1;
  }
  computeOutputShape([s]: number[][]): number[] {
    if (s.length < 1) throw new StrataError(this.where, `needs a channel axis, got [${s}]`);
    return [...s];
  }
  protected override createParams([s]: number[][], gen: Generator, dtype: 'float32' | 'float64'): void {
    this.addParam('scale', [s[0]], { constant: this.init }, gen, dtype);
  }
  forward([x]: Tensor[]): Tensor {
    const c = this.p('scale');
    return mul(tanh(x), c.reshape([c.size, ...x.shape.slice(2).map(() => 1)]));
  }
  getConfig() {
    return { init: this.init };
  }
}
registerLayer(ScaledTanh);

describe('a custom layer as a class', () => {
  test('passes checkLayer', () => {
    const r = checkLayer(new ScaledTanh({ init: 0.7 }), [3, 4]);
    assert.ok(r.passed, r.toString());
    assert.deepEqual(
      r.checks.map((c) => c.name),
      ['outputShape', 'batchConsistency', 'gradient', 'gradient', 'serialization'],
    );
  });
  test('saves and loads inside a model, with its parameters', () => {
    const m = new Sequential([
      new SequenceInput({ shape: [3, 4] }),
      new ScaledTanh({ init: 2 }),
      new Dense({ units: 2 }),
    ]).build({ seed: 3 });
    const cfg = JSON.parse(JSON.stringify(m.toConfig()));
    assert.deepEqual(cfg.layers[1], { type: 'ScaledTanh', name: 'scaledtanh_1', config: { init: 2 } });
    const back = Sequential.fromConfig(cfg).build({ seed: 99 });
    for (const [k, p] of m.namedState()) back.namedState().get(k)!.assign(p.value);
    const x = normal([2, 3, 4], 0, 1, { seed: 1 });
    assert.deepEqual(Array.from(back.predict(x).data()), Array.from(m.predict(x).data()));
  });
});

// ---------------------------------------------------------------- function layers

registerFunctionLayer('softsign', (x) => x.div(x.abs().add(1)), { description: 'x / (1 + |x|)' });
registerFunctionLayer('product', (a, b) => mul(a, b), {
  inputs: 2,
  outputShape: ([a, b]) => {
    if (a.join() !== b.join()) throw new StrataError('product', `shapes [${a}] and [${b}] differ`);
    return [...a];
  },
});
registerFunctionLayer('channelMean', (x) => mean(x, 1));

describe('function layers', () => {
  test('the formula is found by name; checkLayer passes', () => {
    const r = checkLayer(new FunctionLayer({ fn: 'softsign' }), [2, 3]);
    assert.ok(r.passed, r.toString());
    const r2 = checkLayer(new FunctionLayer({ fn: 'product' }), [
      [2, 3],
      [2, 3],
    ]);
    assert.ok(r2.passed, r2.toString());
  });
  test('the output shape comes from outputShape, or from running the formula once', () => {
    const l = new FunctionLayer({ fn: 'channelMean', name: 'cm' });
    assert.deepEqual(l.build([[4, 5, 6]]), [5, 6]);
    assert.throws(
      () =>
        new FunctionLayer({ fn: 'product', name: 'p' }).build([
          [2, 3],
          [3, 2],
        ]),
      (e: unknown) =>
        e instanceof StrataError &&
        /FunctionLayer\(product\) 'p'/.test(e.message) &&
        /differ/.test(e.message),
    );
    assert.throws(() => new FunctionLayer({ fn: 'product' }).build([[2, 3]]), /takes 2 input\(s\), got 1/);
  });
  test('the config holds the name only; loading looks it up and never evaluates code', () => {
    const l = new FunctionLayer({ fn: 'softsign', name: 's' });
    assert.deepEqual(JSON.parse(JSON.stringify(l.toConfig())), {
      type: 'FunctionLayer',
      name: 's',
      config: { fn: 'softsign' },
    });
    const g = globalThis as { strataRan?: boolean };
    const evil = {
      type: 'FunctionLayer',
      name: 'e',
      config: { fn: '(x) => { globalThis.strataRan = true; return x }' },
    };
    assert.throws(
      () => layerFromConfig(evil),
      (e: unknown) => e instanceof StrataError && /no formula registered/.test(e.message),
    );
    assert.equal(g.strataRan, undefined);
  });
  test('in a graph with two inputs, saved and loaded', () => {
    const g = new Graph({
      inputs: { a: [2, 3], b: [2, 3] },
      nodes: [
        { layer: new FunctionLayer({ fn: 'product', name: 'prod' }), inputs: ['a', 'b'] },
        { layer: new FunctionLayer({ fn: 'softsign', name: 'soft' }), inputs: ['prod'] },
      ],
    });
    const a = normal([2, 2, 3], 0, 1, { seed: 1 });
    const b = normal([2, 2, 3], 0, 1, { seed: 2 });
    const y = g.predict([a, b]);
    const back = Graph.fromConfig(JSON.parse(JSON.stringify(g.toConfig())));
    assert.deepEqual(Array.from(back.predict([a, b]).data()), Array.from(y.data()));
    const p = mul(a, b);
    const want = p.div(p.abs().add(1));
    assert.deepEqual(Array.from(y.data()), Array.from(want.data()));
  });
});

// ---------------------------------------------------------------- checkLayer finds broken layers

class WrongShape extends Layer {
  static override readonly type: string = 'WrongShape';
  computeOutputShape([s]: number[][]) {
    return [...s, 1];
  }
  forward([x]: Tensor[]) {
    return x.mul(2);
  }
  getConfig() {
    return {};
  }
}
/** Mixes the examples of a batch (subtracts the batch mean even in inference). */
class MixesBatch extends Layer {
  static override readonly type: string = 'MixesBatch';
  computeOutputShape([s]: number[][]) {
    return [...s];
  }
  forward([x]: Tensor[]) {
    return sub(x, mean(x, 0, true));
  }
  getConfig() {
    return {};
  }
}
/** x·stopgrad(x): the analytic gradient misses half of d(x²)/dx. */
class BadGradient extends Layer {
  static override readonly type: string = 'BadGradient';
  computeOutputShape([s]: number[][]) {
    return [...s];
  }
  forward([x]: Tensor[]) {
    return mul(x, x.detach());
  }
  getConfig() {
    return {};
  }
}
/** Forgets its option in getConfig, so a loaded copy computes something else. */
class ForgetsOption extends Layer {
  static override readonly type: string = 'ForgetsOption';
  readonly factor: number;
  constructor(c: LayerConfig & { factor?: number } = {}) {
    super(c);
    this.factor = c.factor ?? 1;
  }
  computeOutputShape([s]: number[][]) {
    return [...s];
  }
  forward([x]: Tensor[], _ctx: CallContext) {
    return x.mul(this.factor);
  }
  getConfig() {
    return {};
  }
}
registerLayer(WrongShape);
registerLayer(MixesBatch);
registerLayer(BadGradient);
registerLayer(ForgetsOption);
/** Not registered: it cannot be loaded. */
class Unregistered extends MixesBatch {
  static override readonly type: string = 'Unregistered';
  override forward([x]: Tensor[]) {
    return x.neg();
  }
}

describe('checkLayer reports what is wrong', () => {
  const failed = (l: Layer, s: number[]) => {
    const r = checkLayer(l, s);
    assert.equal(r.passed, false);
    return r.checks.filter((c) => !c.passed);
  };
  test('output shape', () => {
    const f = failed(new WrongShape(), [3]);
    assert.deepEqual(
      f.map((c) => c.name),
      ['outputShape'],
    );
    assert.match(f[0].message, /forward gave \[2,3\].*computeOutputShape says \[3,1\]/);
  });
  test('batch consistency', () => {
    const f = failed(new MixesBatch(), [3]);
    assert.deepEqual(
      f.map((c) => c.name),
      ['batchConsistency'],
    );
  });
  test('gradient', () => {
    const f = failed(new BadGradient(), [2]);
    assert.deepEqual(
      f.map((c) => `${c.name} ${c.detail}`),
      ['gradient inference', 'gradient training'],
    );
    assert.match(f[0].message, /input 0 element 0: analytic/);
  });
  test('serialization: unregistered type, and a config that forgets an option', () => {
    const f = failed(new Unregistered(), [2]);
    assert.deepEqual(
      f.map((c) => c.name),
      ['serialization'],
    );
    assert.match(f[0].message, /unknown layer type 'Unregistered'/);
    const g = failed(new ForgetsOption({ factor: 3 }), [2]);
    assert.deepEqual(
      g.map((c) => c.name),
      ['serialization'],
    );
  });
  test('skips with a reason, and a readable report', () => {
    const r = checkLayer(new MixesBatch({ name: 'mix' }), [3], {
      skip: { batchConsistency: 'normalizes over the batch on purpose' },
    });
    assert.ok(r.passed);
    const s = r.toString();
    assert.match(s, /checkLayer MixesBatch 'mix': passed/);
    assert.match(s, /skip batchConsistency: skipped: normalizes over the batch on purpose/);
  });
  test('a shape the layer rejects fails every check with the layer’s message', () => {
    const r = checkLayer(new ScaledTanh({ name: 'st' }), []);
    assert.equal(r.passed, false);
    assert.ok(r.checks.every((c) => /ScaledTanh 'st': needs a channel axis/.test(c.message)));
  });
  test('the layer is left as it was (sum of a forward unchanged)', () => {
    const l = new ScaledTanh({ init: 0.5 });
    l.build([[2]]);
    const x = normal([3, 2], 0, 1, { seed: 4 });
    const run = () => sum((l as Layer).forward([x], { training: false } as CallContext)).item();
    const before = run();
    checkLayer(l, [2]);
    assert.equal(run(), before);
  });
});
