import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { oneCycle, ReduceOnPlateau, scheduleFromConfig, warmup, cosineDecay } from '../../src/index.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/train/schedules.json', import.meta.url), 'utf8'));

for (const s of fx.schedules)
  test(`schedule ${JSON.stringify(s.config)} matches PyTorch`, () => {
    const sch = scheduleFromConfig(s.config);
    s.lrs.forEach((want: number, t: number) => {
      const got = sch.at(t);
      assert.ok(Math.abs(got - want) <= 1e-12 + 1e-9 * want, `step ${t}: got ${got}, PyTorch ${want}`);
    });
    assert.deepEqual(scheduleFromConfig(sch.toConfig()).toConfig(), sch.toConfig());
  });

for (const p of fx.plateau)
  test(`reduce-on-plateau ${JSON.stringify(p.options)} matches PyTorch`, () => {
    const r = new ReduceOnPlateau(p.lr, p.options);
    const got = p.metrics.map((m: number) => r.observe(m));
    for (const [i, g] of got.entries())
      assert.ok(Math.abs(g - p.lrs[i]) < 1e-12, `epoch ${i}: ${got} vs ${p.lrs}`);
  });

test('schedules reject bad settings with clear errors', () => {
  assert.throws(() => oneCycle(0.1, 1), /totalSteps must be an integer >= 2/);
  assert.throws(() => warmup(0, cosineDecay(0.1, 10)), /steps must be a positive integer/);
  assert.throws(() => cosineDecay(0.1, 10).at(-1), /step must be an integer >= 0/);
  assert.throws(() => scheduleFromConfig({ type: 'nope' } as never), /unknown schedule type 'nope'/);
});
