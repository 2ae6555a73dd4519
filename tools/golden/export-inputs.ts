// Writes every golden case's inputs, attributes, output shapes and output weights w to
// tools/golden/inputs.json, for gen.py to compute the PyTorch goldens from.
//   npx tsx tools/golden/export-inputs.ts [family ...]
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  caseKey,
  caseSeed,
  evaluateCase,
  families,
  inputsFingerprint,
  inputValues,
  isDiffInput,
  skipOf,
} from '../../test/opdb/index.js';

const only = process.argv.slice(2);
const unknown = only.filter((f) => !families.has(f));
if (unknown.length) {
  console.error(`unknown families: ${unknown.join(', ')}; known: ${[...families.keys()].join(', ')}`);
  process.exit(1);
}

const out: Record<string, unknown[]> = {};
let count = 0;
let skipped = 0;
for (const [family, es] of families) {
  if (only.length && !only.includes(family)) continue;
  const cases: unknown[] = [];
  for (const e of es)
    for (const c of e.cases) {
      if (skipOf(e, c, 'golden')) {
        skipped++;
        continue;
      }
      const xs = inputValues(c, caseSeed(e, c));
      // Strata's own results travel along so gen.py can report where PyTorch disagrees.
      const r = evaluateCase(e, c, { dtype: 'float64', backend: 'reference' });
      cases.push({
        key: caseKey(e, c),
        op: e.op,
        case: c.name,
        attrs: c.attrs ?? {},
        fingerprint: inputsFingerprint(xs),
        inputs: xs.map((x, i) => ({
          shape: x.shape,
          dtype: x.int ? 'int32' : 'float64',
          requiresGrad: isDiffInput(c.inputs[i]),
          values: [...x.values],
        })),
        outputs: r.outputs.map((o, k) => ({
          shape: o.shape,
          dtype: o.dtype,
          weights: [...r.weights[k]],
          strata: [...o.data],
        })),
        strataGrads: r.grads?.map((g) => (g ? [...g.data] : null)) ?? null,
      });
      count++;
    }
  out[family] = cases;
}
const file = join(dirname(fileURLToPath(import.meta.url)), 'inputs.json');
writeFileSync(file, JSON.stringify({ version: 1, families: out }));
console.log(
  `wrote ${count} cases of ${Object.keys(out).length} families to ${file} (${skipped} skip.golden)`,
);
