// The layers of the catalog against PyTorch in float64 on the reference backend: forward output and the
// gradients of Σ output·w with respect to every input and parameter (fixtures from
// tools/golden/layers_gen.py), and the loss functions and output layers' losses with their gradients.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  binaryCrossEntropy,
  crossEntropy,
  Graph,
  huber,
  isOutputLayer,
  type Layer,
  layerFromConfig,
  mae,
  mse,
  mul,
  setBackend,
  sum,
  type Tensor,
  tensor,
  valueAndGradOf,
} from '../../src/index.js';
import { Generator } from '../../src/core/random.js';

setBackend('reference');
const ATOL = 1e-11;
const RTOL = 1e-9;

interface FT {
  shape: number[];
  values: number[];
}
interface LayerCase {
  name: string;
  layer?: { type: string; config: Record<string, unknown> };
  graph?: Record<string, unknown>;
  inputs: FT[];
  params: Record<string, FT>;
  output: FT;
  weights: number[];
  gradInputs: (FT | null)[];
  gradParams: Record<string, FT>;
}
interface LossCase {
  name: string;
  fn: string;
  options: Record<string, unknown>;
  input: FT;
  target: FT & { dtype: 'float64' | 'int32' };
  value: number;
  grad: number[];
  layer?: { type: string; config: Record<string, unknown> };
}

const dir = new URL('../fixtures/layers/', import.meta.url);
const read = (f: string) => JSON.parse(readFileSync(new URL(f, dir), 'utf8'));
const t64 = (f: FT) => tensor(Float64Array.from(f.values), f.shape, { dtype: 'float64' });

function close(what: string, got: ArrayLike<number>, want: readonly number[]): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, PyTorch has ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert.ok(
      err <= ATOL + RTOL * Math.abs(want[i]),
      `${what}[${i}]: ${got[i]}, PyTorch ${want[i]} (|Δ| ${err})`,
    );
  }
}

function runLayerCase(c: LayerCase): void {
  const xs = c.inputs.map((f) => t64(f).requireGrad());
  let forward: () => Tensor;
  let params: Array<[string, Tensor]> = [];
  if (c.graph) {
    const g = Graph.fromConfig(c.graph).build({ dtype: 'float64' });
    forward = () => g.forward(xs);
  } else {
    const layer: Layer = layerFromConfig(c.layer!);
    layer.build(
      xs.map((x) => x.shape.slice(1)),
      { dtype: 'float64', generator: new Generator(1) },
    );
    for (const [k, f] of Object.entries(c.params)) {
      const p = layer.params.get(k);
      assert.ok(p, `layer has no parameter '${k}'`);
      p.assign(t64(f));
    }
    assert.deepEqual([...layer.params.keys()].sort(), Object.keys(c.params).sort(), 'parameters');
    params = [...layer.params.entries()].map(([k, p]) => [k, p.value]);
    forward = () => layer.call(xs, { training: false, generator: new Generator(0) });
  }
  const y = forward();
  assert.deepEqual(y.shape, c.output.shape, 'output shape');
  close('output', y.data(), c.output.values);
  const w = tensor(Float64Array.from(c.weights), y.shape, { dtype: 'float64' });
  const { grads } = valueAndGradOf(() => sum(mul(forward(), w)), [...xs, ...params.map(([, p]) => p)]);
  c.gradInputs.forEach((g, i) => {
    if (g) close(`gradient of input ${i}`, grads[i].data(), g.values);
    else
      assert.ok(
        grads[i].data().every((v) => v === 0),
        `input ${i} gets no gradient in PyTorch`,
      );
  });
  params.forEach(([k], j) => {
    close(`gradient of ${k}`, grads[xs.length + j].data(), c.gradParams[k].values);
  });
}

const lossFns: Record<string, (x: Tensor, t: Tensor, o: any) => Tensor> = {
  crossEntropy,
  binaryCrossEntropy,
  mse,
  mae,
  huber,
};

function runLossCase(c: LossCase): void {
  const x = t64(c.input).requireGrad();
  const t = tensor(Float64Array.from(c.target.values), c.target.shape, { dtype: c.target.dtype });
  let f: () => Tensor;
  if (c.layer) {
    const layer = layerFromConfig(c.layer);
    assert.ok(isOutputLayer(layer));
    layer.build([x.shape.slice(1)], { dtype: 'float64' });
    f = () => layer.loss(layer.call([x], { training: true, generator: new Generator(0) }), t);
  } else f = () => lossFns[c.fn](x, t, c.options);
  const { value, grads } = valueAndGradOf(f, [x]);
  close('loss', [value.item()], [c.value]);
  close('gradient', grads[0].data(), c.grad);
}

// The families tools/golden/layers_gen.py writes (other fixtures in this folder belong to other tests).
const files = ['conv', 'pool', 'crop_resize', 'combine', 'output', 'losses'].map((f) => `${f}.json`);
for (const f of files) {
  const fx = read(f);
  describe(`layer goldens ${f.slice(0, -5)} (torch ${fx.torch})`, () => {
    for (const c of fx.cases)
      test(c.name, () => {
        if (f === 'losses.json') runLossCase(c);
        else runLayerCase(c);
      });
  });
}
