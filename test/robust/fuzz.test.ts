import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { allTargets } from '../../tools/fuzz/all.js';
import { fuzzLoader } from '../../tools/fuzz/harness.js';

// The short version of `npm run fuzz`: a few hundred mutations per loader, with a seed of its own (the
// full run uses seed 1), so that every test run also adds inputs the full runs have not tried.
const COUNT = 500;
const SEED = 20261;
const targets = await allTargets();
after(() => {
  for (const t of targets) t.teardown?.();
});

for (const [i, t] of targets.entries())
  test(`fuzz ${t.name}: ${COUNT} mutated inputs each load or throw StrataError within 100 ms and bounded memory`, () => {
    const r = fuzzLoader(t, i, { count: COUNT, seed: SEED });
    assert.equal(r.runs, COUNT);
    assert.ok(
      r.loaded > 0 && r.rejected > 0,
      `both outcomes occur (${r.loaded} loaded, ${r.rejected} rejected)`,
    );
    assert.equal(
      r.failed,
      0,
      r.failures
        .map(
          (f) => `${f.kind} at seed ${f.seed} (npm run fuzz -- --replay ${f.loader}:${f.seed}): ${f.message}`,
        )
        .join('\n'),
    );
  });
