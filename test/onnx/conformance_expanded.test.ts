// The `_expanded` ONNX node tests run through the importer (tools/conformance, docs/CONFORMANCE.md):
// guards against silently losing cases (test/conformance.test.ts fails on any failure).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_ROOT, runConformance } from '../../tools/conformance/run.js';

test('expanded ONNX cases through the importer: none fails, most pass', {
  skip: existsSync(DEFAULT_ROOT) ? false : `ONNX node tests not found at ${DEFAULT_ROOT}`,
}, () => {
  const r = runConformance({ filter: /_expanded(_ver\d+)?$/ })!;
  const t = r.expanded.totals;
  assert.equal(t.failed, 0);
  assert.ok(t.passed >= 280, `only ${t.passed} expanded cases passed`);
  for (const op of ['LayerNormalization', 'Softmax', 'GroupNormalization', 'Attention', 'RMSNormalization'])
    assert.ok((r.expanded.perOp.get(op)?.passed ?? 0) > 0, `no expanded ${op} case passed`);
  console.log(
    `ONNX conformance, expanded through the importer: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`,
  );
});
