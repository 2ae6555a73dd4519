import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
// Registers the wasm backend (built by `npm test`'s pretest), so the per-backend tests cover it.
import '../../src/backends/wasm/index.js';
import {
  BatchNormalization,
  CrossChannelNormalization,
  checkLayer,
  Dense,
  Flatten,
  getBackend,
  fromTypedArray,
  GroupNormalization,
  gradOf,
  InstanceNormalization,
  type Layer,
  LayerNormalization,
  LocalResponseNormalization,
  layerFromConfig,
  listBackends,
  memoryInfo,
  mean,
  mul,
  noGrad,
  normal,
  Sequential,
  SequenceInput,
  StrataError,
  scope,
  setBackend,
  sub,
  sum,
  type Tensor,
  tensor,
  valueAndGradOf,
} from '../../src/index.js';

setBackend('reference');

const f64 = (data: number[], shape: number[]) => fromTypedArray(Float64Array.from(data), shape);
const ctx = (training: boolean) => ({ training, generator: undefined as never });

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-10): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])),
      `${what}[${i}]: got ${got[i]}, want ${want[i]}`,
    );
}

/** Sets a layer's parameters and buffers to the given values (float64). */
function setState(l: Layer, state: Record<string, { shape: number[]; data: number[] }>): void {
  for (const [k, v] of Object.entries(state)) {
    const p = l.params.get(k);
    assert.ok(p, `${l.where} has parameter ${k}`);
    p.assign(f64(v.data, v.shape));
  }
}

const rand = (shape: number[], seed: number) => normal(shape, 0, 1, { dtype: 'float64', seed });

// ---------------------------------------------------------------- PyTorch goldens

interface Golden {
  name: string;
  layer: { type: string; config: Record<string, unknown> };
  training: boolean;
  shape: number[];
  x: number[];
  params: Record<string, { shape: number[]; data: number[] }>;
  w: number[];
  y: number[];
  grads: Record<string, number[]>;
  buffersAfter: Record<string, number[]>;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/layers/normalization.json', import.meta.url), 'utf8'),
) as { torch: string; cases: Golden[] };

describe('normalization layers match PyTorch (float64, forward and gradients)', () => {
  for (const c of fixture.cases)
    test(c.name, () => {
      const l = layerFromConfig({ type: c.layer.type, config: c.layer.config });
      l.build([c.shape.slice(1)], { dtype: 'float64' });
      setState(l, c.params);
      const x = f64(c.x, c.shape).requireGrad();
      const y = l.forward([x], ctx(c.training));
      close(y.data(), c.y, 'output');
      const trainable = l.trainableParams();
      const g = gradOf(sum(mul(y, f64(c.w, y.shape))), [x, ...trainable.map((p) => p.value)]);
      close(g[0].data(), c.grads.x, 'input gradient');
      trainable.forEach((p, i) => {
        const short = p.name.split('.').pop()!;
        close(g[i + 1].data(), c.grads[short], `gradient of ${short}`);
      });
      for (const [k, v] of Object.entries(c.buffersAfter))
        close(l.params.get(k)!.value.data(), v, `${k} after the call`);
    });
});

// ---------------------------------------------------------------- shapes, parameters, options

describe('shapes and parameter counts', () => {
  const built = (l: Layer, s: number[]) => {
    l.build([s]);
    return l;
  };
  test('batch normalization: 2C trainable, 2C buffers, any rank 1–4', () => {
    for (const s of [[3], [3, 7], [3, 4, 5], [3, 2, 4, 5]]) {
      const l = built(new BatchNormalization(), s);
      assert.deepEqual(l.outputShape, s);
      assert.equal(l.paramCount(), 6);
      assert.deepEqual([...l.params.keys()], ['weight', 'bias', 'runningMean', 'runningVar']);
      assert.deepEqual(
        l.trainableParams().map((p) => p.name.split('.').pop()),
        ['weight', 'bias'],
      );
    }
    assert.equal(built(new BatchNormalization({ affine: false }), [4, 2]).paramCount(), 0);
  });
  test('layer normalization: parameters of the normalized axes', () => {
    assert.equal(built(new LayerNormalization(), [3, 4, 5]).paramCount(), 2 * 60);
    const l = built(new LayerNormalization({ axes: [-1] }), [3, 4, 5]);
    assert.equal(l.paramCount(), 10);
    assert.deepEqual(l.params.get('weight')!.shape, [5]);
    assert.deepEqual(
      built(new LayerNormalization({ axes: [0, 2] }), [3, 4, 5]).params.get('bias')!.shape,
      [3, 5],
    );
    assert.equal(built(new LayerNormalization({ affine: false }), [3, 4]).paramCount(), 0);
  });
  test('group, instance, local response', () => {
    assert.equal(built(new GroupNormalization({ groups: 2 }), [4, 3, 3]).paramCount(), 8);
    assert.equal(built(new InstanceNormalization(), [3, 5]).paramCount(), 6);
    assert.equal(built(new InstanceNormalization({ affine: false }), [3, 5]).paramCount(), 0);
    assert.equal(built(new LocalResponseNormalization(), [6, 3, 3]).paramCount(), 0);
    assert.equal(new CrossChannelNormalization({ size: 3 }).type, 'CrossChannelNormalization');
  });
  test('FLOPs per example', () => {
    assert.equal(built(new BatchNormalization(), [3, 4, 4]).flops([[3, 4, 4]]), 4 * 48);
    assert.equal(built(new LayerNormalization(), [3, 4]).flops([[3, 4]]), 7 * 12);
    assert.equal(built(new LocalResponseNormalization({ size: 3 }), [5, 2]).flops([[5, 2]]), 8 * 10);
  });
});

describe('bad options and shapes name the layer', () => {
  const throwsAt = (f: () => unknown, where: RegExp, msg: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof StrataError && where.test(e.where) && msg.test(e.message));
  test('constructor options', () => {
    throwsAt(
      () => new BatchNormalization({ name: 'bn', momentum: 2 }),
      /BatchNormalization 'bn'/,
      /momentum/,
    );
    throwsAt(() => new BatchNormalization({ epsilon: -1 }), /BatchNormalization/, /epsilon/);
    throwsAt(() => new GroupNormalization({} as never), /GroupNormalization/, /groups/);
    throwsAt(() => new LocalResponseNormalization({ size: 0 }), /LocalResponse/, /size/);
    throwsAt(() => new LayerNormalization({ axes: [] }), /LayerNormalization/, /axes/);
  });
  test('input shapes', () => {
    throwsAt(() => new GroupNormalization({ name: 'gn', groups: 2 }).build([[3, 4, 4]]), /'gn'/, /divisible/);
    throwsAt(() => new BatchNormalization().build([[2, 2, 2, 2, 2]]), /BatchNormalization/, /\[C,D,H,W\]/);
    throwsAt(() => new LayerNormalization({ axes: [3] }).build([[3, 4]]), /LayerNormalization/, /axis 3/);
    throwsAt(() => new InstanceNormalization().build([[3]]), /InstanceNormalization/, /\[C,T\]/);
  });
});

// ---------------------------------------------------------------- train vs inference

describe('batch normalization: training and inference', () => {
  test('training normalizes with batch statistics and updates the running ones (PyTorch rule)', () => {
    const l = new BatchNormalization({ momentum: 0.25 });
    l.build([[2]], { dtype: 'float64' });
    const x = f64([1, 10, 3, 20, 5, 60], [3, 2]);
    const y = l.forward([x], ctx(true)).data();
    // Channel 0: 1,3,5 → mean 3, biased var 8/3, unbiased 4.
    close(
      [y[0], y[2], y[4]],
      [-2, 0, 2].map((d) => d / Math.sqrt(8 / 3 + 1e-5)),
      'normalized',
    );
    close(l.params.get('runningMean')!.value.data(), [0.75 * 0 + 0.25 * 3, 0.25 * 30], 'running mean');
    // Channel 1: 10, 20, 60 → mean 30, unbiased variance (400 + 100 + 900) / 2 = 700.
    close(l.params.get('runningVar')!.value.data(), [0.75 + 0.25 * 4, 0.75 + 0.25 * 700], 'running var');
    // Inference uses the running statistics and leaves them alone.
    const before = l.params.get('runningMean')!.value;
    const yi = l.forward([x], ctx(false)).data();
    close([yi[0]], [(1 - 0.75) / Math.sqrt(1.75 + 1e-5)], 'inference output');
    assert.equal(l.params.get('runningMean')!.value, before);
  });
  test('the running update records no graph and leaks no tensors', () => {
    const l = new BatchNormalization();
    l.build([[3, 4]]);
    const x = rand([4, 3, 4], 1).cast('float32');
    const step = () =>
      scope(() => {
        const y = l.forward([x], ctx(true));
        return sum(y).item();
      });
    step();
    const live = memoryInfo().liveTensors;
    for (let i = 0; i < 20; i++) step();
    assert.equal(memoryInfo().liveTensors, live);
    const rm = l.params.get('runningMean')!.value;
    assert.equal(rm.node, null);
    assert.equal(rm.requiresGrad, false);
  });
  test('training needs more than one value per channel', () => {
    const l = new BatchNormalization({ name: 'bn' });
    l.build([[3]]);
    assert.throws(
      () => l.forward([tensor([[1, 2, 3]])], ctx(true)),
      /BatchNormalization 'bn'.*more than one value/,
    );
    assert.doesNotThrow(() => l.forward([tensor([[1, 2, 3]])], ctx(false)));
  });
  test('inference output does not depend on the batch; training output does', () => {
    const l = new BatchNormalization();
    l.build([[2, 3]], { dtype: 'float64' });
    const a = rand([2, 2, 3], 2);
    const b = rand([2, 2, 3], 3);
    const first = (t: Tensor) => Array.from(t.data()).slice(0, 6);
    const both = (training: boolean) =>
      l.forward([f64([...a.data(), ...b.data()], [4, 2, 3])], ctx(training));
    close(first(both(false)), first(l.forward([a], ctx(false))), 'inference');
    assert.notDeepEqual(first(both(true)), first(l.forward([a], ctx(true))));
  });
});

// ---------------------------------------------------------------- config round trip, checkLayer

const all = (): Array<[Layer, number[]]> => [
  [new BatchNormalization({ name: 'bn', momentum: 0.2, epsilon: 1e-4 }), [3, 2, 2]],
  [new BatchNormalization({ affine: false }), [2]],
  [new LayerNormalization({ axes: [-1], epsilon: 1e-3 }), [2, 3, 2]],
  [new GroupNormalization({ groups: 2, affine: true }), [4, 3]],
  [new InstanceNormalization({ affine: true }), [2, 2, 3]],
  [new LocalResponseNormalization({ size: 3, alpha: 0.5, beta: 0.75, k: 2 }), [4, 2, 2]],
  [new CrossChannelNormalization({ size: 2, alpha: 0.3, beta: 0.5, k: 1 }), [3, 4]],
];

describe('config round trip', () => {
  for (const [l] of all())
    test(l.type, () => {
      const cfg = JSON.parse(JSON.stringify(l.toConfig()));
      const back = layerFromConfig(cfg);
      assert.equal(back.type, l.type);
      assert.equal(back.name, l.name);
      assert.deepEqual(back.getConfig(), l.getConfig());
    });
});

describe('checkLayer passes on every normalization layer (with non-trivial parameters)', () => {
  for (const [l, s] of all())
    test(`${l.type} ${JSON.stringify(l.getConfig())}`, () => {
      l.build([s], { dtype: 'float64' });
      noGrad(() => {
        let seed = 10;
        for (const p of l.params.values()) {
          const r = rand(p.shape, seed++);
          p.assign(p.name.endsWith('runningVar') ? mul(r, r).add(0.5) : r.mul(0.5).add(1));
        }
      });
      const report = checkLayer(l, s);
      assert.ok(report.passed, report.toString());
      assert.equal(report.checks.filter((c) => c.name === 'gradient').length, 2);
    });
});

// ---------------------------------------------------------------- every backend

/** Runs `f` with `name` as the current backend, then goes back to the reference backend. */
function on<T>(name: string, f: () => T): T {
  setBackend(name);
  try {
    return f();
  } finally {
    setBackend('reference');
  }
}

describe('every backend agrees with the reference backend (float32, forward and gradients)', () => {
  for (const backend of listBackends().filter((b) => b !== 'reference'))
    for (const [make, s, training] of [
      [() => new BatchNormalization(), [3, 4, 5], true],
      [() => new BatchNormalization(), [3, 4, 5], false],
      [() => new LayerNormalization({ axes: [-1] }), [3, 4, 5], true],
      [() => new GroupNormalization({ groups: 3 }), [6, 4], true],
      [() => new InstanceNormalization(), [2, 3, 5], true],
      [() => new LocalResponseNormalization({ size: 3, alpha: 0.5 }), [5, 3, 3], true],
    ] as Array<[() => Layer, number[], boolean]>)
      test(`${backend}: ${make().type} ${JSON.stringify(s)} ${training ? 'training' : 'inference'}`, () => {
        const run = (name: string) =>
          on(name, () => {
            const l = make();
            l.build([s]);
            let seed = 20;
            for (const p of l.params.values()) {
              const r = normal(p.shape, 0.5, 0.5, { seed: seed++ });
              p.assign(p.name.endsWith('runningVar') ? mul(r, r).add(0.1) : r);
            }
            const x = normal([3, ...s], 0.2, 1.5, { seed: 1 }).requireGrad();
            const y = l.forward([x], ctx(training));
            const w = normal(y.shape, 0, 1, { seed: 2 });
            const ps = l.trainableParams().map((p) => p.value);
            const g = gradOf(sum(mul(y, w)), [x, ...ps]);
            assert.equal(getBackend().name, name);
            return [y, ...g].map((t) => Array.from(t.data()));
          });
        const [want, got] = [run('reference'), run(backend)];
        want.forEach((v, i) => {
          close(got[i], v, i === 0 ? 'output' : `gradient ${i - 1}`, 2e-4);
        });
      });
});

// ---------------------------------------------------------------- a tiny network learns

for (const backend of listBackends())
  test(`on ${backend}: a small network with every normalization layer, the loss falls`, () =>
    on(backend, () => {
      const model = new Sequential([
        new SequenceInput({ shape: [4, 6] }),
        new BatchNormalization(),
        new LocalResponseNormalization({ size: 3, alpha: 0.1 }),
        new GroupNormalization({ groups: 2 }),
        new InstanceNormalization(),
        new LayerNormalization({ axes: [-1] }),
        new Flatten(),
        new Dense({ units: 2 }),
      ]).build({ seed: 1 });
      const x = normal([16, 4, 6], 0, 1, { seed: 2 });
      // A target the network can fit: a fixed linear function of the input.
      const target = noGrad(() => mean(x, 2).slice([0, 0], [16, 2]).mul(3));
      const params = model.parameters();
      const loss = () => {
        const y = model.forward(x, { training: true });
        const d = sub(y, target);
        return mean(mul(d, d));
      };
      const losses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const { value, grads } = valueAndGradOf(
          loss,
          params.map((p) => p.value),
        );
        losses.push(value.item());
        noGrad(() => {
          params.forEach((p, k) => {
            p.assign(sub(p.value, mul(grads[k], 0.1)));
          });
        });
      }
      assert.ok(losses[39] < 0.5 * losses[0], `loss ${losses[0]} → ${losses[39]}`);
      // The running statistics moved, and inference runs on them.
      const bn = model.layers[1];
      assert.notDeepEqual(Array.from(bn.params.get('runningMean')!.value.data()), [0, 0, 0, 0]);
      assert.deepEqual(model.predict(x).shape, [16, 2]);
    }));
