import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  binaryCrossEntropy,
  crossEntropy,
  huber,
  mae,
  mse,
  setBackend,
  type Tensor,
  tensor,
  valueAndGrad,
} from '../../src/index.js';

setBackend('reference'); // float64, to compare with PyTorch's float32 goldens at 1e-6
const fx = JSON.parse(readFileSync(new URL('../fixtures/train/losses.json', import.meta.url), 'utf8'));
const t64 = (v: number[], shape: number[]) => tensor(Float64Array.from(v), shape);

function close(got: ArrayLike<number>, want: number[], what: string): void {
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= 1e-6 * (1 + Math.abs(want[i])),
      `${what}[${i}]: ${got[i]} vs PyTorch ${want[i]}`,
    );
}

const logits = () => t64(fx.logits, fx.logitsShape);
const targets = tensor(Int32Array.from(fx.targets), [fx.targets.length]);
const probsBin = () => t64(fx.probsBin, fx.binShape);
const labelsBin = t64(fx.labelsBin, fx.binShape);
const pred = () => t64(fx.pred, fx.regShape);
const target = t64(fx.target, fx.regShape);

const cases: Record<string, (o: Record<string, any>) => [Tensor, (x: Tensor) => Tensor]> = {
  crossEntropy: (o) => [
    logits(),
    (x) => crossEntropy(x, targets, { labelSmoothing: o.label_smoothing, weight: o.weight }),
  ],
  binaryCrossEntropy: () => [probsBin(), (x) => binaryCrossEntropy(x, labelsBin, { fromLogits: false })],
  binaryCrossEntropyWithLogits: () => [pred(), (x) => binaryCrossEntropy(x, labelsBin)],
  mse: () => [pred(), (x) => mse(x, target)],
  mae: () => [pred(), (x) => mae(x, target)],
  huber: (o) => [pred(), (x) => huber(x, target, { delta: o.delta })],
};

for (const c of fx.cases)
  test(`${c.name} ${JSON.stringify(c.options)}: value and gradient match PyTorch`, () => {
    const [x, f] = cases[c.name](c.options);
    const { value, grads } = valueAndGrad(f)(x);
    close([value.item()], [c.value], 'value');
    close(grads[0].data(), c.grad, 'grad');
  });

test('cross-entropy from probabilities matches PyTorch nll(log(softmax))', () => {
  const p = t64(fx.fromProbs.probs, fx.logitsShape);
  close([crossEntropy(p, targets, { fromLogits: false }).item()], [fx.fromProbs.value], 'value');
});
