// The dropout mask drawn in one pass (Generator.fillDropMask) is the mask of the per-element draws it
// replaced: the same values from the same seed, and the generator left in the same state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generator } from '../../src/core/random.js';
import { dropout, ones } from '../../src/index.js';

describe('dropout mask', () => {
  test('fillDropMask draws exactly what random() per element draws', () => {
    for (const seed of [0, 1, 2026, 0xffffffff])
      for (const p of [0, 0.25, 0.5, 0.9, 1]) {
        const keep = p === 1 ? 0 : 1 / (1 - p);
        const a = new Generator(seed);
        const b = new Generator(seed);
        const want = new Float64Array(1000);
        for (let i = 0; i < want.length; i++) want[i] = a.random() < p ? 0 : keep;
        const got = new Float64Array(1000);
        b.fillDropMask(got, p, keep);
        assert.deepEqual(got, want, `seed ${seed}, p ${p}`);
        const f32 = new Float32Array(1000);
        new Generator(seed).fillDropMask(f32, p, keep);
        assert.deepEqual(f32, Float32Array.from(want), 'float32 mask = the float64 one rounded');
        // the state afterwards: the next draws agree too
        for (let i = 0; i < 10; i++) assert.equal(b.nextUint32(), a.nextUint32());
        assert.equal(b.normal(), a.normal());
      }
  });

  test('dropout keeps about 1 − p of the values, scaled by 1/(1 − p)', () => {
    const y = Array.from(dropout(ones([20000]), 0.3, { generator: new Generator(7) }).data());
    const kept = y.filter((v) => v !== 0);
    assert.ok(Math.abs(kept.length / y.length - 0.7) < 0.02, `kept ${kept.length}`);
    for (const v of kept) assert.ok(Math.abs(v - 1 / 0.7) < 1e-6);
  });
});
