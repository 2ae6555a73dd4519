// Every backend other than reference against the reference backend: float32 forward outputs and every
// input gradient (of Σ output·w) compared with float64 reference results, at 1 and 2 threads when the
// backend's module exports setThreads. Tolerance atol 1e-4 / rtol 1e-3 unless the entry says otherwise.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { backendByName, listBackends } from '../../src/core/backend.js';
import {
  type CaseResult,
  caseKey,
  compareArrays,
  entries,
  evaluateCase,
  type OpCase,
  type OpEntry,
  skipOf,
  toleranceOf,
} from '../opdb/index.js';

interface BackendModule {
  setThreads?: (n: number) => void | Promise<void>;
  ready?: () => Promise<unknown>;
}

// Load every backend module (src/backends/<dir>/index.ts) so each registers itself; a backend's module
// is the one whose import registered it, else the folder of the same name.
const backendsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'backends');
const modules = new Map<string, BackendModule>();
for (const d of readdirSync(backendsDir).sort()) {
  const file = join(backendsDir, d, 'index.ts');
  if (d === 'reference' || !existsSync(file)) continue;
  const before = new Set(listBackends());
  const mod = (await import(pathToFileURL(file).href)) as BackendModule;
  for (const name of [d, ...listBackends().filter((b) => !before.has(b))]) modules.set(name, mod);
}
const others = listBackends().filter((b) => b !== 'reference');

if (others.length === 0) {
  test('backends match the reference', { skip: 'no backend besides reference is registered yet' }, () => {});
  console.log('# backends.test: no backend besides reference is registered; nothing to compare');
}

function compare(what: string, got: CaseResult, want: CaseResult, atol: number, rtol: number): void {
  assert.equal(got.outputs.length, want.outputs.length, `${what}: number of outputs`);
  got.outputs.forEach((o, k) => {
    const w = want.outputs[k];
    assert.deepEqual(o.shape, w.shape, `${what}: output ${k} shape`);
    assert.equal(
      o.dtype === 'int32',
      w.dtype === 'int32',
      `${what}: output ${k} is ${o.dtype}, reference ${w.dtype}`,
    );
    // Integer outputs (indices, casts) must match exactly.
    const r =
      o.dtype === 'int32' ? compareArrays(o.data, w.data, 0, 0) : compareArrays(o.data, w.data, atol, rtol);
    assert.ok(r.ok, `${what}: output ${k}: ${r.worst}`);
  });
  assert.equal(got.grads === null, want.grads === null, `${what}: gradient present on one backend only`);
  got.grads?.forEach((g, i) => {
    const w = want.grads![i];
    if (!g || !w) return;
    const r = compareArrays(g.data, w.data, atol, rtol);
    assert.ok(r.ok, `${what}: gradient of input ${i}: ${r.worst}`);
  });
}

const reference = new Map<string, CaseResult>();
function referenceResult(e: OpEntry, c: OpCase): CaseResult {
  const k = caseKey(e, c);
  let r = reference.get(k);
  if (!r) reference.set(k, (r = evaluateCase(e, c, { dtype: 'float64', backend: 'reference' })));
  return r;
}

for (const name of others) {
  const mod = modules.get(name);
  const threads = mod?.setThreads ? [1, 2] : [null];
  for (const t of threads)
    describe(`backend ${name}${t === null ? '' : ` threads=${t}`}`, () => {
      test('set up', async () => {
        await mod?.ready?.();
        if (t !== null) await mod!.setThreads!(t);
        const b = backendByName(name);
        assert.ok(b.dtypes.includes('float32'), `backend '${name}' must store float32`);
      });
      for (const e of entries)
        describe(e.op, () => {
          for (const c of e.cases) {
            const skip = skipOf(e, c, name) ?? skipOf(e, c, 'backends');
            test(c.name, { skip }, () => {
              const tol = toleranceOf(e, c);
              const got = evaluateCase(e, c, { dtype: 'float32', backend: name });
              compare(`${caseKey(e, c)} on ${name}`, got, referenceResult(e, c), tol.atol, tol.rtol);
            });
          }
        });
    });
}
