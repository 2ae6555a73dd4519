import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matmul, setBackend, sum, tanh, tensor, valueAndGrad } from '../src/index.js';

// float64: the reference backend (wasm, the default, has no float64).
setBackend('reference');

test('valueAndGrad of a small expression', () => {
  const w = tensor(
    [
      [0.5, -1],
      [2, 0.25],
    ],
    undefined,
    { dtype: 'float64' },
  );
  const x = tensor([[1, 2]], undefined, { dtype: 'float64' });
  const { value, grads } = valueAndGrad((w) => sum(tanh(matmul(x, w))))(w);
  const h = [0.5 * 1 + 2 * 2, -1 + 0.25 * 2];
  assert.ok(Math.abs(value.item() - (Math.tanh(h[0]) + Math.tanh(h[1]))) < 1e-12);
  const g = grads[0].toArray() as number[][];
  const d = h.map((v) => 1 - Math.tanh(v) ** 2);
  assert.ok(Math.abs(g[1][0] - 2 * d[0]) < 1e-12);
});
