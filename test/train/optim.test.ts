import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  add,
  clipGradNorm,
  makeOptimizer,
  matmul,
  mean,
  memoryInfo,
  mul,
  Parameter,
  scope,
  SGD,
  sub,
  tanh,
  tensor,
  valueAndGradOf,
} from '../../src/index.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/train/optimizers.json', import.meta.url), 'utf8'));
const P = fx.problem;

function close(got: ArrayLike<number>, want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])),
      `${what}[${i}]: got ${got[i]}, PyTorch ${want[i]}`,
    );
}

function problem() {
  const w = new Parameter('w', tensor(Float32Array.from(P.w), P.wShape));
  const b = new Parameter('b', tensor(Float32Array.from(P.b), [P.wShape[0]]));
  const x = tensor(Float32Array.from(P.x), P.xShape);
  const y = tensor(Float32Array.from(P.y), P.yShape);
  const loss = () => {
    const d = sub(tanh(add(matmul(x, w.value, { transB: true }), b.value)), y);
    return mean(mul(d, d));
  };
  return { w, b, loss };
}

for (const c of fx.cases) {
  const { factors, clipNorm, clipValue, ...opts } = c.options;
  const label = `${c.optimizer} ${JSON.stringify(c.options)} matches PyTorch over ${fx.steps} steps`;
  test(label, () => {
    const { w, b, loss } = problem();
    if (factors) {
      b.lrFactor = 2;
      b.decayFactor = 0;
    }
    const opt = makeOptimizer(c.optimizer, { ...opts, clipNorm, clipValue });
    const losses: number[] = [];
    for (let s = 0; s < fx.steps; s++) {
      const { value, grads } = valueAndGradOf(loss, [w.value, b.value]);
      losses.push(value.item());
      opt.step([w, b], grads);
    }
    close(losses, c.losses, 2e-5, 'loss');
    close(w.value.data(), c.w, 2e-5, 'w');
    close(b.value.data(), c.b, 2e-5, 'b');
  });
}

test('the .grad path: backward + step + zeroGrad gives the same as passing gradients', () => {
  const a = problem();
  const b = problem();
  const oa = new SGD({ lr: 0.1, momentum: 0.9 });
  const ob = new SGD({ lr: 0.1, momentum: 0.9 });
  for (let s = 0; s < 3; s++) {
    const { grads } = valueAndGradOf(a.loss, [a.w.value, a.b.value]);
    oa.step([a.w, a.b], grads);
    ob.zeroGrad([b.w, b.b]);
    b.loss().backward();
    ob.step([b.w, b.b]);
  }
  assert.deepEqual(a.w.value.data(), b.w.value.data());
  assert.throws(() => ob.step([b.w, b.b]), /has no gradient/);
});

test('steps in a scope leak no tensors: the live tensor count is flat', () => {
  const { w, b, loss } = problem();
  const opt = makeOptimizer('adam', { lr: 0.01, amsgrad: true, clipNorm: 1 });
  const counts: number[] = [];
  for (let s = 0; s < 6; s++) {
    scope(() => {
      const { grads } = valueAndGradOf(loss, [w.value, b.value]);
      opt.step([w, b], grads);
    });
    counts.push(memoryInfo().liveTensors);
  }
  // Values, grads and state of the previous step are released; later steps hold a constant number.
  assert.equal(counts[5], counts[2], `live tensors per step: ${counts}`);
});

test('optimizer state round-trips through stateDict / loadStateDict', () => {
  const a = problem();
  const b = problem();
  const oa = makeOptimizer('adam', { lr: 0.05 });
  for (let s = 0; s < 2; s++) oa.step([a.w, a.b], valueAndGradOf(a.loss, [a.w.value, a.b.value]).grads);
  // Copy a's parameters and state into b, then both take two more steps.
  b.w.assign(tensor(a.w.value.data(), a.w.shape));
  b.b.assign(tensor(a.b.value.data(), a.b.shape));
  const st = oa.stateDict();
  const ob = makeOptimizer(st.type, st.config);
  const copy = Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [k, tensor(t.data(), t.shape)]));
  ob.loadStateDict([b.w, b.b], { ...st, tensors: copy });
  for (let s = 0; s < 2; s++) {
    oa.step([a.w, a.b], valueAndGradOf(a.loss, [a.w.value, a.b.value]).grads);
    ob.step([b.w, b.b], valueAndGradOf(b.loss, [b.w.value, b.b.value]).grads);
  }
  assert.deepEqual(b.w.value.data(), a.w.value.data());
});

test('bad options and mismatched gradients are clear errors', () => {
  assert.throws(() => makeOptimizer('adamax'), /unknown optimizer 'adamax'/);
  assert.throws(() => new SGD({ lr: -1 }), /lr must be/);
  assert.throws(() => new SGD({ nesterov: true }), /Nesterov/);
  const { w, b } = problem();
  assert.throws(() => new SGD().step([w, b], [tensor([1, 2, 3])]), /got 2 parameters and 1 gradients/);
  assert.throws(() => new SGD().step([w], [tensor([1, 2, 3])]), /gradient 0 has shape \[3\]/);
  const { totalNorm } = clipGradNorm([tensor([3, 4])], 1);
  assert.equal(totalNorm, 5);
});
