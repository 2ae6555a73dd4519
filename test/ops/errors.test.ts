// Every ErrorCase of the op database throws a StrataError whose message matches.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StrataError, setBackend } from '../../src/index.js';
import { entries } from '../opdb/index.js';

// The error cases build float64 tensors on the current backend: run them on the reference backend
// (wasm, the default, stores float32 and int32 only). The messages come from the ops, not the backend.
setBackend('reference');

for (const e of entries) {
  if (!e.errors?.length) continue;
  describe(`errors ${e.op}`, () => {
    for (const ec of e.errors ?? [])
      test(ec.name, () => {
        let thrown: unknown = null;
        try {
          ec.run();
        } catch (err) {
          thrown = err;
        }
        assert.ok(thrown !== null, `${e.op}/${ec.name}: nothing was thrown`);
        assert.ok(
          thrown instanceof StrataError,
          `${e.op}/${ec.name}: expected a StrataError, got ${(thrown as Error)?.constructor?.name}: ${(thrown as Error)?.message ?? thrown}`,
        );
        assert.match(thrown.message, ec.message);
      });
  });
}
