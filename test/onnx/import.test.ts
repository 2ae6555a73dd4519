// ONNX import: models exported by PyTorch (test/fixtures/onnx/pytorch, written by
// tools/golden/onnx_pytorch.py) import into Strata Graph networks that match PyTorch's outputs, run at
// any batch size, fine-tune, save and load, and export back to files onnxruntime agrees with.
// The reference backend is the specification; the wasm backend is checked against it by its own tests.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  Adam,
  crossEntropy,
  exportOnnx,
  fromTypedArray,
  type ImportedModel,
  importOnnx,
  loadModel,
  loadOnnx,
  mse,
  mul,
  noGrad,
  OnnxOp,
  randn,
  saveModel,
  setBackend,
  sub,
  tensor,
  valueAndGradOf,
} from '../../src/index.js';
import { assertClose, ortRun } from './_ort.js';
import { zoo } from './_zoo.js';

setBackend('reference');

const FIX = join('test', 'fixtures', 'onnx', 'pytorch');
const NAMES = ['lenet', 'residual', 'conv3d', 'unet'];

interface Fixture {
  opset: number;
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
}
const fixture = (name: string): Fixture => JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8'));
const inputOf = (f: Fixture) => fromTypedArray(Float32Array.from(f.input.data), f.input.shape);

describe('ONNX import: models from PyTorch', () => {
  const matched: string[] = [];
  for (const name of NAMES)
    test(`${name}: imports and matches PyTorch`, () => {
      const f = fixture(name);
      const imp = loadOnnx(join(FIX, `${name}.onnx`));
      assert.equal(imp.opset, f.opset);
      // Every node became a catalog layer.
      assert.deepEqual(
        [...imp.mapping.keys()].filter((k) => k.startsWith('OnnxOp')),
        [],
        `mapping: ${JSON.stringify([...imp.mapping])}`,
      );
      const y = imp.model.predict(inputOf(f));
      assert.deepEqual(y.shape, f.output.shape);
      assertClose(y.data(), f.output.data, `${name} vs PyTorch`);
      matched.push(name);
    });

  test('the four PyTorch fixtures match', () => {
    assert.deepEqual(matched.sort(), [...NAMES].sort());
    console.log(
      `ONNX import: ${matched.length} of ${NAMES.length} PyTorch fixtures match (${matched.join(', ')})`,
    );
  });

  test('shape_ops: non-catalog ops and shape arithmetic on the dynamic batch axis', async () => {
    const f = fixture('shape_ops');
    const imp = loadOnnx(join(FIX, 'shape_ops.onnx'));
    for (const op of ['Shape', 'Gather', 'Concat', 'Reshape', 'Erf', 'Slice', 'ReduceMean'])
      assert.ok(
        imp.mapping.has(`OnnxOp(${op})`),
        `${op} stays in the network: ${JSON.stringify([...imp.mapping])}`,
      );
    const x = inputOf(f);
    assertClose(imp.model.predict(x).data(), f.output.data, 'shape_ops vs PyTorch');
    assertClose(imp.model.predict(x.slice([1], [2])).data(), f.output.data.slice(5), 'batch 1');
    // It trains, and exports back to a file onnxruntime agrees with.
    const params = imp.model.parameters();
    const target = randn([2, 5], { seed: 4 });
    const { grads } = valueAndGradOf(
      () => mse(imp.model.forward(x, { training: true }), target),
      params.map((p) => p.value),
    );
    assert.ok(
      grads.every((g) => g.data().every(Number.isFinite)) && grads.some((g) => g.data().some((v) => v !== 0)),
    );
    const r = await ortRun(exportOnnx(imp.model), {
      input: { shape: f.input.shape, data: Float32Array.from(f.input.data) },
    });
    assertClose(r.data, f.output.data, 'shape_ops re-exported, onnxruntime vs PyTorch');
  });

  test('the batch axis stays dynamic', () => {
    const f = fixture('lenet');
    const { model } = loadOnnx(join(FIX, 'lenet.onnx'));
    const x = inputOf(f);
    const per = f.output.shape[1];
    for (const n of [1, 2]) {
      const y = model.predict(x.slice([0], [n]));
      assert.deepEqual(y.shape, [n, per]);
      assertClose(y.data(), f.output.data.slice(0, n * per), `batch ${n}`);
    }
    const big = model.predict(randn([7, 1, 28, 28], { seed: 3 }));
    assert.deepEqual(big.shape, [7, 10]);
  });

  test('every node as an OnnxOp layer (catalog: false) gives the same outputs', () => {
    const f = fixture('unet');
    const imp = loadOnnx(join(FIX, 'unet.onnx'), { catalog: false });
    assert.ok(imp.model.layers.every((l) => l instanceof OnnxOp));
    assertClose(imp.model.predict(inputOf(f)).data(), f.output.data, 'generic unet vs PyTorch');
  });

  test('fine-tuning: an imported LeNet trains (initializers are parameters)', () => {
    const imp = loadOnnx(join(FIX, 'lenet.onnx'));
    const x = randn([8, 1, 28, 28], { seed: 5 });
    const labels = tensor([0, 1, 2, 3, 4, 5, 6, 7], [8], { dtype: 'int32' });
    assert.equal(imp.model.paramCount(), 16102);
    const before = Array.from(imp.model.parameters()[0].value.data());
    const params = imp.model.parameters();
    const opt = new Adam({ lr: 0.01 });
    const losses: number[] = [];
    for (let k = 0; k < 10; k++) {
      const { value, grads } = valueAndGradOf(
        () => crossEntropy(imp.model.forward(x, { training: true }), labels),
        params.map((p) => p.value),
      );
      losses.push(value.item());
      opt.step(params, grads);
    }
    assert.ok(losses.every(Number.isFinite));
    assert.ok(
      losses[losses.length - 1] < 0.7 * losses[0],
      `loss should fall: ${losses.map((l) => l.toFixed(3))}`,
    );
    assert.notDeepEqual(Array.from(imp.model.parameters()[0].value.data()), before);
  });

  test('batch normalization imports with its running statistics and trains', () => {
    const imp = loadOnnx(join(FIX, 'residual.onnx'));
    assert.equal(imp.mapping.get('BatchNormalization'), 3);
    const bn = imp.model.layers.find((l) => l.type === 'BatchNormalization')!;
    const running = Array.from(bn.params.get('runningMean')!.value.data());
    assert.ok(
      running.some((v) => v !== 0),
      'PyTorch running statistics, not the defaults',
    );
    const x = randn([4, 3, 12, 12], { seed: 9 });
    const labels = tensor([0, 1, 2, 3], [4], { dtype: 'int32' });
    const params = imp.model.parameters();
    const opt = new Adam({ lr: 0.01 });
    const losses: number[] = [];
    for (let k = 0; k < 5; k++) {
      const { value, grads } = valueAndGradOf(
        () => crossEntropy(imp.model.forward(x, { training: true }), labels),
        params.map((p) => p.value),
      );
      losses.push(value.item());
      opt.step(params, grads);
    }
    assert.ok(losses[4] < losses[0], `loss should fall: ${losses}`);
    assert.notDeepEqual(
      Array.from(bn.params.get('runningMean')!.value.data()),
      running,
      'training updates the running mean',
    );
  });

  test('fine-tuning through OnnxOp layers: gradients reach their parameters', () => {
    // The 'norms' zoo network exports LayerNormalization over a leading axis and GroupNormalization as
    // small graphs of primitive ops; they import as OnnxOp layers with parameters.
    const z = zoo().find((m) => m.name === 'norms')!;
    const imp = importOnnx(exportOnnx(z.model));
    const ops = imp.model.layers.filter((l) => l instanceof OnnxOp);
    assert.ok(ops.length >= 8, `${ops.length} OnnxOp layers`);
    const owned = ops.filter((l) => l.params.size > 0);
    assert.ok(owned.length > 0);
    const xs = z.inputs().map((i) => fromTypedArray(i.data, i.shape));
    const target = randn([3, 4, 5, 6], { seed: 11 });
    const params = imp.model.parameters();
    const before = owned.map((l) => Array.from([...l.params.values()][0].value.data()));
    const { grads } = valueAndGradOf(
      () => mse(imp.model.forward(xs, { training: true }), target),
      params.map((p) => p.value),
    );
    assert.ok(grads.every((g) => g.data().every(Number.isFinite)));
    const losses: number[] = [];
    for (let k = 0; k < 6; k++) {
      const r = valueAndGradOf(
        () => mse(imp.model.forward(xs, { training: true }), target),
        params.map((p) => p.value),
      );
      losses.push(r.value.item());
      noGrad(() => {
        for (const [j, p] of params.entries()) p.assign(sub(p.value, mul(r.grads[j], 0.5)));
      });
    }
    assert.ok(losses[losses.length - 1] < losses[0], `loss should fall: ${losses}`);
    assert.ok(
      owned.some((l, k) =>
        Array.from([...l.params.values()][0].value.data()).some((v, i) => v !== before[k][i]),
      ),
    );
  });

  test('an imported network saves and loads (OnnxOp layers included)', () => {
    const z = zoo().find((m) => m.name === 'cnn2d')!;
    const imp: ImportedModel = importOnnx(exportOnnx(z.model));
    assert.ok(
      imp.model.layers.some((l) => l instanceof OnnxOp),
      'input normalization imports as Sub/Div',
    );
    const dir = mkdtempSync(join(tmpdir(), 'strata-onnx-'));
    try {
      saveModel(imp.model, dir);
      const back = loadModel(dir).model;
      const [x] = z.inputs();
      const xt = fromTypedArray(x.data, x.shape);
      assert.deepEqual(Array.from(back.predict(xt).data()), Array.from(imp.model.predict(xt).data()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an imported model exports back: onnxruntime agrees with PyTorch', async () => {
    for (const name of ['lenet', 'unet']) {
      const f = fixture(name);
      const imp = loadOnnx(join(FIX, `${name}.onnx`));
      const bytes = exportOnnx(imp.model);
      const r = await ortRun(bytes, {
        input: { shape: f.input.shape, data: Float32Array.from(f.input.data) },
      });
      assertClose(r.data, f.output.data, `${name} re-exported, onnxruntime vs PyTorch`);
    }
    // Networks with OnnxOp layers export at the opset they were imported at.
    const z = zoo().find((m) => m.name === 'norms')!;
    const imp = importOnnx(exportOnnx(z.model, { opset: 18 }));
    assert.throws(
      () => exportOnnx(imp.model, { opset: 17 }),
      /was imported at opset 18; export the network at that opset/,
    );
    const ins = z.inputs();
    const r = await ortRun(exportOnnx(imp.model), { a: ins[0], b: ins[1] });
    assertClose(
      r.data,
      z.model.predict(ins.map((i) => fromTypedArray(i.data, i.shape))).data(),
      'norms twice through ONNX',
    );
  });

  test('unsupported operators: one error lists every one with its node', () => {
    assert.throws(
      () => loadOnnx(join('test', 'fixtures', 'onnx', 'hostile', 'unsupported_ops.onnx')),
      (e: Error) => {
        assert.equal(e.name, 'StrataError');
        assert.match(e.message, /uses 3 unsupported operator node\(s\)/);
        assert.match(e.message, /NonZero \(node 'find'\)/);
        assert.match(e.message, /TopK \(node 'best'\)/);
        assert.match(e.message, /com\.microsoft\.FusedConv \(node 'fused'\)/);
        assert.doesNotMatch(e.message, /Relu|Add/);
        return true;
      },
    );
  });
});
