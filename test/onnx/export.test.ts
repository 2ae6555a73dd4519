// ONNX export checked by an independent runtime: every model of the zoo (together every exportable layer
// type, 2-D and 3-D) is written to ONNX and run by onnxruntime-node; its outputs match Strata's within
// rtol 1e-4, atol 1e-5. The exported file also imports back into Strata with the same outputs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Dense,
  exportableLayerTypes,
  exportOnnx,
  FunctionLayer,
  fromTypedArray,
  type Graph,
  importOnnx,
  type Model,
  registerFunctionLayer,
  registeredLayerTypes,
  Sequential,
  decodeModel,
} from '../../src/index.js';
import { assertClose, ortRun } from './_ort.js';
import { zoo } from './_zoo.js';

/** The layer types whose output reaches the model's output. */
function typesOnOutputPath(model: Model): string[] {
  const c = model.toConfig() as {
    type: string;
    output?: string;
    layers: Array<{ name: string; type: string; inputs?: string[] }>;
  };
  if (c.type === 'Sequential') return c.layers.map((l) => l.type);
  const byName = new Map(c.layers.map((l) => [l.name, l]));
  const seen = new Set<string>();
  const stack = [c.output ?? c.layers[c.layers.length - 1].name];
  while (stack.length) {
    const l = byName.get(stack.pop()!);
    if (!l || seen.has(l.name)) continue;
    seen.add(l.name);
    stack.push(...(l.inputs ?? []));
  }
  return [...seen].map((n) => byName.get(n)!.type);
}

function inputNames(model: Model): string[] {
  const c = model.toConfig() as { type: string; inputs?: Record<string, number[]> };
  return c.type === 'Graph' ? Object.keys(c.inputs!) : ['input'];
}

async function checkAgainstOrt(
  model: Model,
  inputs: Array<{ shape: number[]; data: Float32Array }>,
  opset?: number,
) {
  const bytes = exportOnnx(model, { opset });
  const xs = inputs.map((i) => fromTypedArray(i.data, i.shape));
  const want = model.predict(xs);
  const names = inputNames(model);
  const r = await ortRun(bytes, Object.fromEntries(names.map((n, k) => [n, inputs[k]])));
  assert.deepEqual(r.names.inputs, names);
  assert.deepEqual(r.names.outputs, ['output']);
  assert.deepEqual(r.shape, want.shape, `${model.name}: output shape`);
  assertClose(r.data, want.data(), `${model.name} (opset ${opset ?? 17}) vs onnxruntime`);
  return { bytes, xs, want };
}

describe('ONNX export, checked by onnxruntime', () => {
  const models = zoo();
  const covered = new Set<string>();

  for (const z of models)
    test(`${z.name}: onnxruntime matches Strata, and the file imports back`, async () => {
      const { bytes, xs, want } = await checkAgainstOrt(z.model, z.inputs());
      for (const t of typesOnOutputPath(z.model)) covered.add(t);
      // Round trip: Strata → ONNX → Strata.
      const back = importOnnx(bytes);
      assertClose(back.model.predict(xs).data(), want.data(), `${z.name} round trip`);
    });

  test('the zoo covers every exportable layer type on an output path', () => {
    const want = exportableLayerTypes().filter((t) => t !== 'OnnxOp');
    const missing = want.filter((t) => !covered.has(t));
    assert.deepEqual(missing, [], `layer types not checked against onnxruntime: ${missing.join(', ')}`);
    // Every registered layer type has an ONNX form, except formulas (FunctionLayer).
    const catalog = registeredLayerTypes().filter((t) => t !== 'FunctionLayer' && t !== 'OnnxOp');
    assert.deepEqual(
      catalog.filter((t) => !want.includes(t)),
      [],
    );
    console.log(
      `ONNX export: ${covered.size} layer types checked against onnxruntime (of ${catalog.length} catalog types)`,
    );
  });

  for (const opset of [13, 18, 20, 21])
    test(`opset ${opset}: normalizations, GELU and resizing match onnxruntime`, async () => {
      for (const name of ['norms', 'seq1d', 'unet2d', '3d-cnn']) {
        const z = models.find((m) => m.name === name)!;
        const { bytes } = await checkAgainstOrt(z.model, z.inputs(), opset);
        assert.equal(decodeModel(bytes).opset, opset);
      }
    });

  test('the batch axis is dynamic: other batch sizes run', async () => {
    const z = models.find((m) => m.name === 'cnn2d')!;
    for (const n of [1, 5]) {
      const [x] = z.inputs();
      const per = x.data.length / x.shape[0];
      const data = Float32Array.from({ length: n * per }, (_, i) => x.data[i % x.data.length]);
      await checkAgainstOrt(z.model, [{ shape: [n, ...x.shape.slice(1)], data }]);
    }
    const m = decodeModel(exportOnnx(z.model, { batch: 'batch' }));
    assert.deepEqual(m.inputs[0].shape, ['batch', 3, 12, 11]);
    assert.deepEqual(m.outputs[0].shape, ['batch', 4]);
  });

  test('input and output names, and the opset range', () => {
    const z = models.find((m) => m.name === 'mlp')!;
    const m = decodeModel(exportOnnx(z.model, { inputNames: ['features'], outputName: 'probabilities' }));
    assert.deepEqual(
      m.inputs.map((v) => v.name),
      ['features'],
    );
    assert.deepEqual(
      m.outputs.map((v) => v.name),
      ['probabilities'],
    );
    assert.ok(
      [...m.initializers.keys()].includes('dense_1.weight'),
      'weights are initializers named after the parameters',
    );
    assert.throws(() => exportOnnx(z.model, { opset: 12 }), /opset must be an integer from 13 to 21/);
  });

  test('layers without an ONNX form are refused, naming them', () => {
    registerFunctionLayer('square', (x) => x.mul(x));
    const m = new Sequential([new Dense({ units: 2 }), new FunctionLayer({ fn: 'square', name: 'sq' })], {
      inputShape: [3],
    }).build();
    assert.throws(() => exportOnnx(m), /no ONNX form for FunctionLayer\(square\) 'sq'/);
  });

  test('graphs keep their input names', async () => {
    const z = models.find((m) => m.name === 'norms')!;
    const g = z.model as Graph;
    const m = decodeModel(exportOnnx(g));
    assert.deepEqual(
      m.inputs.map((v) => v.name),
      ['a', 'b'],
    );
  });
});
