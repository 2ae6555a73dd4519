// Tensors made inside a scope are registered with the FinalizationRegistry only when they outlive
// the outermost scope, or when the scope throws (core/memory.ts): those must still be reclaimed by
// the garbage collector, and the tensors a scope disposes must not be counted twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  add,
  keep,
  memoryInfo,
  mul,
  noGrad,
  randn,
  scope,
  setBackend,
  type Tensor,
} from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects until the live tensor count comes back to `want` (finalizers run on later turns). */
async function collectUntil(want: number): Promise<number> {
  for (let i = 0; i < 50 && memoryInfo().liveTensors !== want; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
  return memoryInfo().liveTensors;
}

test('tensors that outlive their scopes, or come from a scope that threw, are reclaimed by the collector', async () => {
  setBackend('wasm');
  const a = randn([1000], { seed: 1 });
  const base = memoryInfo();
  let held: Tensor[] = [];
  for (let i = 0; i < 20; i++) {
    held.push(scope(() => add(a, 1))); // escapes the only scope
    held.push(noGrad(() => scope(() => scope(() => mul(a, 2))))); // escapes two nested scopes
    held.push(scope(() => keep(add(a, 3)))); // kept, escapes
    try {
      scope(() => {
        add(a, 2);
        throw new Error('boom');
      });
    } catch {}
  }
  // 3 held + the result and the scalar of the throwing scope per round
  assert.equal(memoryInfo().liveTensors, base.liveTensors + 20 * 5);
  held[0].dispose(); // an explicit dispose of a registered tensor counts once
  assert.equal(memoryInfo().liveTensors, base.liveTensors + 20 * 5 - 1);
  held = [];
  assert.equal(await collectUntil(base.liveTensors), base.liveTensors);
  assert.equal(memoryInfo().bytesInUse, base.bytesInUse);
});

test('a scope disposes its own intermediates once, registered or not', () => {
  setBackend('wasm');
  const a = randn([10], { seed: 2 });
  const base = memoryInfo();
  const r = scope(() => {
    const t = add(a, 1);
    t.dispose(); // disposed inside: the scope's own dispose is then a no-op
    const u = scope(() => mul(a, 2)); // survives the inner scope, dies with the outer one
    return add(u, 1);
  });
  assert.equal(memoryInfo().liveTensors, base.liveTensors + 1);
  r.dispose();
  assert.equal(memoryInfo().liveTensors, base.liveTensors);
  assert.equal(memoryInfo().bytesInUse, base.bytesInUse);
});
