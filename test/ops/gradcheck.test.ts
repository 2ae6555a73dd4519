// Float64 central differences on the reference backend for every case of every entry that has an
// input requiring a gradient (src/autograd/gradcheck.ts: eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradcheck, scope } from '../../src/index.js';
import { caseKey, caseSeed, diffInputs, entries, makeInputs, skipOf } from '../opdb/index.js';

for (const e of entries) {
  describe(`gradcheck ${e.op}`, () => {
    for (const c of e.cases) {
      const check = diffInputs(c);
      const skip = skipOf(e, c, 'gradcheck') ?? (check.length ? undefined : 'no input requires a gradient');
      test(c.name, { skip }, () => {
        const r = scope(() =>
          gradcheck(c.run, makeInputs(c, { dtype: 'float64', backend: 'reference', seed: caseSeed(e, c) }), {
            check,
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
          }),
        );
        assert.ok(r.ok, `${caseKey(e, c)}:\n  ${r.failures.join('\n  ')}`);
      });
    }
  });
}
