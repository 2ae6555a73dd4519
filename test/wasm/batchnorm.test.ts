// Batch normalization in training (src/ops/batchnorm.ts) on wasm: the kernels against the reference
// at 1 and 2 threads (every op split however small), bit-identical results at any thread count, the
// statistics' accuracy far from zero. Gradients: test/ops/batchnorm.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setThreads } from '../../src/backends/wasm/index.js';
import * as S from '../../src/index.js';
import { opTable } from '../../src/index.js';
import { atThreads, compare, makeData, op, ref, type Spec, wasm } from './helpers.js';

const F = (shape: number[], kind: Spec['kind'] = 'normal'): Spec => ({ shape, kind });
const shapes = [
  [5, 3],
  [17, 2],
  [1, 3, 17],
  [2, 3, 4, 5],
  [3, 2, 8, 8],
  [2, 2, 3, 2, 3],
  [4, 1, 1],
  [2, 5, 33],
  // (N, C) with C ≥ 4: four channels in the lanes, the rest one at a time
  [6, 9],
  [33, 8],
];

describe('wasm batch normalization', () => {
  test('matches the reference, forward and backward', () => {
    atThreads(() => {
      for (const s of shapes) {
        const C = s[1];
        compare(
          `batchNormTrain [${s}]`,
          [F(s), F([C]), F([C])],
          op(opTable.batchNormTrain, { eps: 1e-5 }, 3),
          {
            rtol: 1e-5,
            atol: 1e-5,
          },
        );
        compare(
          `batchNormBackward [${s}]`,
          [F(s), F(s), F([C]), F([C], 'positive'), F([C]), F([C]), F([C])],
          op(opTable.batchNormBackward, { eps: 1e-3 }, 3),
          { rtol: 1e-4, atol: 1e-4 },
        );
      }
    });
  });

  for (const s of [
    [8, 16, 14, 14],
    [40, 18],
  ])
    test(`results do not depend on the thread count [${s}]`, () => {
      const C = s[1];
      const mk = (spec: Spec, seed: number) => S.tensor(makeData(spec, seed), spec.shape, { backend: wasm });
      const run = () =>
        S.scope(() => {
          const x = mk(F(s), 1);
          const [y, m, v] = S.batchNormTrain(x, mk(F([C]), 2), mk(F([C]), 3), 1e-5);
          const g = S.batchNormBackward(
            mk(F(s), 4),
            x,
            m,
            v,
            mk(F([C]), 5),
            mk(F([C]), 6),
            mk(F([C]), 7),
            1e-5,
          );
          return [y, m, v, ...g].map((t) => Array.from(t.data()));
        });
      setThreads(1);
      const one = run();
      setThreads(2);
      assert.deepEqual(run(), one);
    });

  test('statistics stay accurate far from zero', () => {
    // mean 1000, standard deviation 0.01: a one-pass Σx² − M·mean² in f32 would lose the variance.
    const s = [4, 3, 50];
    const d = makeData(F(s), 11) as Float32Array;
    const x = Float32Array.from(d, (v) => 1000 + 0.01 * v);
    const [, mw, vw] = S.batchNormTrain(
      S.tensor(x, s, { backend: wasm }),
      S.ones([3], { backend: wasm }),
      S.zeros([3], { backend: wasm }),
      0,
    );
    const [, mr, vr] = S.batchNormTrain(
      S.tensor(Float64Array.from(x), s, { backend: ref, dtype: 'float64' }),
      S.ones([3], { backend: ref, dtype: 'float64' }),
      S.zeros([3], { backend: ref, dtype: 'float64' }),
      0,
    );
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(mw.data()[c] - mr.data()[c]) < 1e-4, `mean ${c}`);
      assert.ok(
        Math.abs(vw.data()[c] / vr.data()[c] - 1) < 1e-3,
        `variance ${c}: ${vw.data()[c]} vs ${vr.data()[c]}`,
      );
    }
  });
});
