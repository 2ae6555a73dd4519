// Initializer configs are checked when the layer is made: a bad one is a StrataError naming the
// layer and what was expected, never a TypeError or NaN weights at build time.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatchNormalization, Conv2D, Dense, StrataError } from '../../src/index.js';
import type { Initializer } from '../../src/layers/init.js';

const bad: [unknown, RegExp][] = [
  ['heUniformm', /unknown name 'heUniformm'/],
  [{ constant: Number.NaN }, /constant needs a finite number/],
  [{ uniform: [1, 0] }, /low ≤ high/],
  [{ uniform: [0] }, /two finite numbers/],
  [{ normal: [0, -1] }, /standard deviation ≥ 0/],
  [{ normal: [0, Number.POSITIVE_INFINITY] }, /two finite numbers/],
  [{ gaussian: [0, 1] }, /key 'gaussian'/],
  [{ constant: 1, uniform: [0, 1] }, /keys \[constant, uniform\]/],
  [42, /got 42/],
];

describe('initializer configs', () => {
  test('bad ones are refused when the layer is made, naming it', () => {
    for (const [init, msg] of bad) {
      for (const make of [
        () => new Dense({ units: 3, weightInit: init as Initializer }),
        () => new Conv2D({ filters: 2, kernelSize: 3, biasInit: init as Initializer }),
        () => new BatchNormalization({ weightInit: init as Initializer }),
      ]) {
        assert.throws(make, (e: unknown) => {
          assert.ok(e instanceof StrataError, `${JSON.stringify(init)}: ${e}`);
          assert.match(e.message, msg);
          assert.match(e.message, /(Dense|Conv2D|BatchNormalization).*(weightInit|biasInit)/);
          return true;
        });
      }
    }
  });

  test('good ones build', () => {
    for (const init of [
      'orthogonal',
      { constant: 0.5 },
      { uniform: [-1, 1] },
      { normal: [0, 0] },
    ] as Initializer[]) {
      const d = new Dense({ units: 3, weightInit: init });
      d.build([[4]]);
      assert.equal(d.paramCount(), 15);
    }
  });
});
