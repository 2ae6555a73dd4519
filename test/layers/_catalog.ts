// Helpers of the layer-catalog tests (files starting with `_` hold no tests).
import assert from 'node:assert/strict';
import {
  type Layer,
  layerFromConfig,
  type Model,
  mul,
  noGrad,
  outputLayerOf,
  randn,
  sub,
  type Tensor,
  valueAndGradOf,
} from '../../src/index.js';
import { Generator } from '../../src/core/random.js';

export const ctx = (training = false, seed = 0) => ({ training, generator: new Generator(seed) });

/** Builds `layer` for `inputShapes` (without batch) and runs it on a random batch of 2. */
export function runLayer(layer: Layer, inputShapes: number[][], seed = 1): { xs: Tensor[]; y: Tensor } {
  layer.build(inputShapes, { generator: new Generator(seed), dtype: 'float64' });
  const xs = inputShapes.map((s, i) => randn([2, ...s], { dtype: 'float64', seed: seed + i }));
  return { xs, y: layer.call(xs, ctx()) };
}

/**
 * The layer's output shape (built) and actual output shape (run) both equal `want`; returns the layer.
 */
export function expectShape(layer: Layer, inputShapes: number[][], want: number[]): Layer {
  const { y } = runLayer(layer, inputShapes);
  assert.deepEqual(layer.outputShape, want, `${layer.where}: outputShape`);
  assert.deepEqual(y.shape, [2, ...want], `${layer.where}: forward shape`);
  return layer;
}

/**
 * toConfig → JSON → layerFromConfig gives a layer with the same config that, with the same parameter
 * values, gives the same output.
 */
export function roundTrip(layer: Layer, inputShapes: number[][]): void {
  const { xs, y } = runLayer(layer, inputShapes);
  const cfg = JSON.parse(JSON.stringify(layer.toConfig()));
  const copy = layerFromConfig(cfg);
  assert.equal(copy.constructor, layer.constructor);
  assert.deepEqual(copy.toConfig(), cfg, `${layer.where}: config after a round trip`);
  copy.build(inputShapes, { dtype: 'float64' });
  assert.deepEqual([...copy.params.keys()], [...layer.params.keys()]);
  for (const [k, p] of layer.params) copy.params.get(k)!.assign(p.value.detach());
  const y2 = copy.call(xs, ctx());
  assert.deepEqual(Array.from(y2.data()), Array.from(y.data()), `${layer.where}: output after a round trip`);
}

/** Plain SGD on the model's output layer loss; returns the loss of each step. */
export function sgd(model: Model, x: Tensor | Tensor[], y: Tensor, steps: number, lr: number): number[] {
  const out = outputLayerOf(model.layers);
  assert.ok(out, 'the model needs an output layer');
  const params = model.parameters();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { value, grads } = valueAndGradOf(
      () => out.loss(model.forward(x, { training: true }), y),
      params.map((p) => p.value),
    );
    losses.push(value.item());
    noGrad(() => {
      params.forEach((p, j) => {
        p.assign(sub(p.value, mul(grads[j], lr)));
      });
    });
  }
  return losses;
}

/** The loss fell: the last is below `factor` × the first, and every value is finite. */
export function assertFalls(losses: number[], factor = 0.9): void {
  assert.ok(losses.every(Number.isFinite), `losses must be finite: ${losses}`);
  assert.ok(
    losses[losses.length - 1] < factor * losses[0],
    `loss should fall: ${losses.map((l) => l.toFixed(4)).join(' → ')}`,
  );
}

/** assert.throws with a StrataError message matching `re`. */
export function throwsMsg(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: Error) => {
    assert.equal(e.name, 'StrataError');
    assert.match(e.message, re);
    return true;
  });
}
