// Batch normalization's gradients on the reference backend in float64: the fused ops
// (src/ops/batchnorm.ts) against the composed formula they replace, to second order, and second
// derivatives against finite differences; and the autograd fix that second-order paths through
// pass-through gradients (add, sub) keep their history.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { moments } from '../../src/functional/normalization.js';
import { backendByName } from '../../src/core/backend.js';
import * as S from '../../src/index.js';

const ref = backendByName('reference');
describe('batchNorm gradients (reference, float64)', () => {
  const f64 = { backend: ref, dtype: 'float64' as const };
  const rnd = (shape: number[], seed: number) => S.randn(shape, { ...f64, seed });
  /** The composed batch norm the fused ops replace. */
  const composed = (x: S.Tensor, w: S.Tensor, b: S.Tensor, eps: number) => {
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const m = moments(x, axes);
    const cs = (v: S.Tensor) => S.reshape(v, [x.shape[1], ...x.shape.slice(2).map(() => 1)]);
    const y = S.add(S.mul(S.mul(m.centered, S.pow(S.add(m.variance, eps), -0.5)), cs(w)), cs(b));
    return [y, S.reshape(m.mean, [x.shape[1]]), S.reshape(m.variance, [x.shape[1]])];
  };
  const fused = (x: S.Tensor, w: S.Tensor, b: S.Tensor, eps: number) => {
    const r = S.batchNormWithStats(x, { weight: w, bias: b, eps, training: true });
    return [r.output, r.mean, r.variance];
  };

  test('fused and composed agree: outputs, first and second derivatives', () => {
    for (const s of [
      [6, 3],
      [2, 3, 4, 5],
      [1, 2, 3, 2, 3],
    ]) {
      const C = s[1];
      S.scope(() => {
        const [x, w, b] = [rnd(s, 1), rnd([C], 2), rnd([C], 3)].map((t) => t.requireGrad());
        const u = [rnd(s, 4), rnd([C], 5), rnd([C], 6)];
        const v = rnd(s, 7);
        const results = [fused, composed].map((f) => {
          const outs = f(x, w, b, 1e-3);
          const loss = S.add(
            S.add(S.sum(S.mul(outs[0], u[0])), S.sum(S.mul(outs[1], u[1]))),
            S.sum(S.mul(outs[2], u[2])),
          );
          const [gx, gw, gb] = S.gradOf(loss, [x, w, b], { createGraph: true });
          // a second-order quantity: the gradient of Σ gx·v (a Hessian-vector product)
          const hv = S.gradOf(S.add(S.sum(S.mul(gx, v)), S.sum(S.mul(gw, gb))), [x, w, b]);
          return [...outs, gx, gw, gb, ...hv].map((t) => Array.from(t.data()));
        });
        results[0].forEach((a, k) => {
          const e = results[1][k];
          for (let i = 0; i < a.length; i++)
            assert.ok(
              Math.abs(a[i] - e[i]) <= 1e-9 * (1 + Math.abs(e[i])),
              `[${s}] result ${k}[${i}]: ${a[i]} vs ${e[i]}`,
            );
        });
      });
    }
  });

  test('second derivatives match finite differences', () => {
    const s = [3, 2, 5];
    const u = rnd(s, 9);
    // gradcheck's numeric pass runs without recording: the function records its own graph.
    const leaf = (t: S.Tensor) => (t.requiresGrad ? t : S.detach(t).requireGrad());
    const r = S.gradcheck(
      (...xs) =>
        S.enableGrad(() => {
          const [x, w, b] = xs.map(leaf);
          const y = S.batchNorm(x, { weight: w, bias: b, eps: 1e-3, training: true });
          return S.gradOf(S.sum(S.mul(S.mul(y, y), u)), [x, w, b], { createGraph: true });
        }),
      [rnd(s, 1), rnd([2], 2), rnd([2], 3)],
    );
    assert.ok(r.ok, r.failures.join('\n'));
  });

  test('second derivatives through pass-through gradients keep their history', () => {
    // sub passes dy through unchanged; the alias autograd makes of it must be recorded.
    const r = S.gradcheck(
      (...xs) =>
        S.enableGrad(() => {
          const x = xs[0].requiresGrad ? xs[0] : S.detach(xs[0]).requireGrad();
          const c = S.sub(x, S.mean(x, [0], true));
          return S.gradOf(S.sum(S.mul(S.mul(c, c), c)), [x], { createGraph: true });
        }),
      [rnd([4, 3], 1)],
    );
    assert.ok(r.ok, r.failures.join('\n'));
  });
});
