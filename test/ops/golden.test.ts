// Forward outputs and input gradients (of Σ output·w) of every case against PyTorch, in float64 on the
// reference backend. The fixtures are written by tools/golden (see its README); CI never runs Python.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  caseKey,
  caseSeed,
  compareArrays,
  evaluateCase,
  families,
  type HostTensor,
  inputsFingerprint,
  inputValues,
  skipOf,
} from '../opdb/index.js';

/** Float64 against float64: only summation order and libm differ. */
const ATOL = 1e-13;
const RTOL = 1e-12;

interface FixtureTensor {
  shape: number[];
  values: number[];
}
interface FixtureCase {
  inputs: string;
  outputs: FixtureTensor[];
  grads: (FixtureTensor | null)[] | null;
}
interface Fixture {
  family: string;
  torch: string;
  cases: Record<string, FixtureCase>;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'golden');
const fixtures = new Map<string, Fixture>();
if (existsSync(dir))
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')))
    fixtures.set(f.slice(0, -5), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture);

const regen = 'regenerate with tools/golden (see tools/golden/README.md)';

function compareTensor(what: string, got: HostTensor, want: FixtureTensor): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape [${got.shape}], PyTorch gives [${want.shape}]`);
  const r = compareArrays(got.data, want.values, ATOL, RTOL);
  assert.ok(r.ok, `${what}: ${r.worst}`);
}

for (const [family, es] of families) {
  const fx = fixtures.get(family);
  describe(`golden ${family}`, () => {
    const known = new Set<string>();
    for (const e of es)
      describe(e.op, () => {
        for (const c of e.cases) {
          const key = caseKey(e, c);
          known.add(key);
          test(c.name, { skip: skipOf(e, c, 'golden') }, () => {
            const want = fx?.cases[key];
            assert.ok(
              want,
              `no golden fixture for '${key}' in test/fixtures/golden/${family}.json: ${regen}, or give the case skip.golden with a reason`,
            );
            const fp = inputsFingerprint(inputValues(c, caseSeed(e, c)));
            assert.equal(
              want.inputs,
              fp,
              `the inputs of '${key}' changed since its fixture was made: ${regen}`,
            );
            const r = evaluateCase(e, c, { dtype: 'float64', backend: 'reference' });
            assert.equal(r.outputs.length, want.outputs.length, 'number of outputs');
            r.outputs.forEach((o, k) => {
              compareTensor(`output ${k}`, o, want.outputs[k]);
            });
            assert.equal(
              r.grads === null,
              want.grads === null,
              r.grads === null
                ? 'Strata gives no gradient, PyTorch does'
                : 'Strata gives a gradient, PyTorch none',
            );
            r.grads?.forEach((g, i) => {
              const w = want.grads![i];
              assert.equal(g === null, w === null, `gradient of input ${i} present in one only`);
              if (g && w) compareTensor(`gradient of input ${i}`, g, w);
            });
          });
        }
      });
    test('no stale fixtures', { skip: fx ? undefined : 'no fixture file for this family' }, () => {
      const stale = Object.keys(fx!.cases).filter((k) => !known.has(k));
      assert.deepEqual(stale, [], `fixtures of cases that no longer exist: ${regen}`);
    });
  });
}
