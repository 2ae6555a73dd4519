import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profileReport, resetProfile, setProfiling } from '../src/core/profile.js';
import {
  ClassificationOutput,
  Dense,
  outputLayerOf,
  ReLU,
  randn,
  SGD,
  Sequential,
  scope,
  tensor,
  valueAndGradOf,
} from '../src/index.js';

test('the profiler charges forward and backward ops to the layers that recorded them', () => {
  const model = new Sequential(
    [
      new Dense({ units: 8, name: 'hidden' }),
      new ReLU(),
      new Dense({ units: 3 }),
      new ClassificationOutput(),
    ],
    { inputShape: [5] },
  ).build({ seed: 1 });
  const out = outputLayerOf(model.layers)!;
  const params = model.parameters();
  const opt = new SGD();
  const x = randn([4, 5], { seed: 2 });
  const y = tensor([0, 1, 2, 1], undefined, { dtype: 'int32' });
  const step = () =>
    scope(() => {
      const { value, grads } = valueAndGradOf(
        () => out.loss(model.forward(x, { training: true }), y),
        params.map((p) => p.value),
      );
      opt.step(params, grads);
      return value.item();
    });
  const before = step();
  resetProfile();
  setProfiling(true);
  let after: number;
  try {
    step();
    after = step();
  } finally {
    setProfiling(false);
  }
  assert.ok(after < before, 'training still trains with the profiler on');
  const report = profileReport();
  assert.match(report, /2 steps \(backward passes\)/);
  // each Dense layer is one fused op; the ReLU after 'hidden' runs inside it (no layer row of its own)
  assert.match(report, /forward {2}linearBiasAct +2\.0/);
  assert.doesNotMatch(report, /forward {2}relu/);
  assert.doesNotMatch(report, /^relu_1 /m);
  assert.match(report, /backward matmul/);
  const hidden = report.split('\n').find((l) => l.startsWith('hidden'));
  assert.ok(hidden, report);
  const [fwd, , bwd] = hidden.split(/\s+/).slice(2).map(Number);
  assert.ok(fwd > 0 && bwd > 0, hidden);
  assert.match(report, /\(outside layers\)/);
  resetProfile();
});
