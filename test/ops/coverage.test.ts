// The op database covers every op of the op table and every public function of src/ops, and its
// entries are well formed: every skip carries a reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as strata from '../../src/index.js';
import { opTable } from '../../src/index.js';
import * as ops from '../../src/ops/index.js';
import { entries, familyOf } from '../opdb/index.js';
import type { OpEntry, Skips } from '../opdb/types.js';

/** Public functions of src/ops that are not computations to check, with the reason. */
const notOps: Record<string, string> = {
  zerosLike: 'creation helper for autograd: no computation to check',
  onesLike: 'creation helper for autograd: no computation to check',
};

const byOp = new Map<string, OpEntry[]>();
for (const e of entries) byOp.set(e.op, [...(byOp.get(e.op) ?? []), e]);
const baseName = (op: string) => op.split('.')[0];
const covered = new Set(entries.map((e) => baseName(e.op)));

test('every op of the op table has an entry', () => {
  const missing = Object.keys(opTable).filter((k) => !byOp.has(k));
  assert.deepEqual(missing, [], `ops without an entry in test/opdb: ${missing.join(', ')}`);
});

test('every public function of src/ops has an entry', () => {
  const fns = Object.entries(ops)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k);
  const missing = fns.filter((k) => !covered.has(k) && !(k in notOps));
  assert.deepEqual(missing, [], `public functions without an entry in test/opdb: ${missing.join(', ')}`);
});

test('every entry names an op of the op table or a public function', () => {
  const unknown = entries
    .map((e) => e.op)
    .filter(
      (op) =>
        !(baseName(op) in opTable) && typeof (strata as Record<string, unknown>)[baseName(op)] !== 'function',
    );
  assert.deepEqual(unknown, []);
});

test('one entry per op', () => {
  const dup = [...byOp]
    .filter(([, es]) => es.length > 1)
    .map(([op, es]) => `${op} (${es.map(familyOf).join(', ')})`);
  assert.deepEqual(dup, [], `ops with several entries: ${dup.join('; ')}`);
});

test('every entry has cases with unique names', () => {
  for (const e of entries) {
    assert.ok(e.cases.length > 0, `${e.op} has no case`);
    const names = e.cases.map((c) => c.name);
    const dups = names.filter((n, i) => names.indexOf(n) !== i);
    assert.deepEqual(dups, [], `${e.op}: repeated case names`);
    const errNames = (e.errors ?? []).map((c) => c.name);
    assert.deepEqual(
      errNames.filter((n, i) => errNames.indexOf(n) !== i),
      [],
      `${e.op}: repeated error case names`,
    );
  }
});

test('every skip and tolerance carries a reason', () => {
  const bad: string[] = [];
  const checkSkips = (where: string, s?: Skips) => {
    for (const [k, v] of Object.entries(s ?? {}))
      if (typeof v !== 'string' || v.trim().length < 5) bad.push(`${where}: skip.${k}`);
  };
  for (const e of entries) {
    checkSkips(e.op, e.skip);
    if (e.tolerance && !e.tolerance.reason?.trim()) bad.push(`${e.op}: tolerance`);
    for (const c of e.cases) {
      checkSkips(`${e.op}/${c.name}`, c.skip);
      if (c.tolerance && !c.tolerance.reason?.trim()) bad.push(`${e.op}/${c.name}: tolerance`);
    }
  }
  assert.deepEqual(bad, [], 'skips and tolerances need a reason');
});

test('ops without a gradient skip gradcheck with a reason', () => {
  const bad = entries
    .filter((e) => e.op in opTable && !(opTable as Record<string, { grad?: unknown }>)[e.op].grad)
    .filter((e) => !e.skip?.gradcheck)
    .map((e) => e.op);
  assert.deepEqual(bad, [], `ops that define no gradient need skip.gradcheck: ${bad.join(', ')}`);
});

test('every entry has a size-1 and an odd (>= 17) dimension among its cases (SIMD tails)', () => {
  const bad: string[] = [];
  for (const e of entries) {
    if (e.skip?.shapes) continue;
    const dims = e.cases.flatMap((c) => c.inputs.flatMap((s) => (s.shape.length ? s.shape : [1])));
    if (!dims.includes(1)) bad.push(`${e.op}: no size-1 dimension`);
    if (!dims.some((d) => d >= 17 && d % 2 === 1)) bad.push(`${e.op}: no odd dimension >= 17`);
  }
  assert.deepEqual(bad, [], 'add such cases, or skip.shapes with a reason');
});
