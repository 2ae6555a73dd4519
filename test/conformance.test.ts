import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_ROOT, formatReport, runConformance } from '../tools/conformance/run.js';
import { skips } from '../tools/conformance/skips.js';

const absent = !existsSync(DEFAULT_ROOT);
if (absent)
  console.log(
    `conformance: skipped — the ONNX node tests are not at ${DEFAULT_ROOT} (../shared/onnx-node-tests)`,
  );

test('ONNX operator conformance: no failures', {
  skip: absent ? `ONNX node tests not found at ${DEFAULT_ROOT}` : false,
}, () => {
  const r = runConformance();
  assert.ok(r, 'the data folder exists, so there is a report');
  const failed = r.cases.filter((c) => c.status === 'failed');
  assert.deepEqual(
    failed.map((c) => `${c.op} ${c.name}: ${c.message}`),
    [],
    formatReport(r),
  );
  // Every skip carries a reason from the one list.
  const reasons = new Set(skips.map((s) => s.reason));
  for (const c of r.cases.filter((x) => x.status === 'skipped'))
    assert.ok(c.message && reasons.has(c.message), `${c.name} is skipped without a listed reason`);
  // Guard against silently losing cases (for example a mapping that starts skipping everything).
  assert.ok(r.totals.passed >= 300, `only ${r.totals.passed} cases passed`);
  for (const op of ['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'BatchNormalization', 'LRN', 'Gemm'])
    assert.ok((r.perOp.get(op)?.passed ?? 0) > 0, `no ${op} case passed`);
});
