// Every ErrorCase of the op database throws a StrataError whose message matches.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StrataError } from '../../src/index.js';
import { entries } from '../opdb/index.js';

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
