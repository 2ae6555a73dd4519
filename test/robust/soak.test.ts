// The short memory soak (npm run soak is the long one: 10,000 steps): digits-cnn trained with no
// dispose — the live tensor count and the wasm heap are constant at every epoch end after warm-up,
// and the resident set size does not drift.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak } from '../../tools/soak/soak.js';

test('short soak: 160 steps of digits-cnn, no dispose, nothing grows', () => {
  const r = runSoak({ steps: 160, batchSize: 32, limit: 320, warmupEpochs: 3, referenceStep: 60 });
  assert.equal(r.epochEnds.length, 15);
  assert.ok(
    r.checks.liveTensorsConstant,
    `live tensors at epoch ends: ${r.epochEnds.map((e) => e.liveTensors)}`,
  );
  assert.ok(
    r.checks.wasmHeapStopsGrowing,
    `wasm heap at epoch ends: ${r.epochEnds.map((e) => e.wasmHeapBytes)}`,
  );
  assert.ok(r.checks.rssWithinTolerance, `RSS changed by ${(100 * r.rssChange).toFixed(2)} %`);
});
