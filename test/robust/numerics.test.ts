// NaN / Infinity: training stops at the first non-finite loss (or gradient) naming the step and the
// last finite loss, leaving the weights of the step before; onNonFinite: 'skip' skips such batches;
// check-numerics mode (fit option, setCheckNumerics, STRATA_CHECK_NUMERICS=1) names the first op and
// layer, forward or backward, that made the value.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ClassificationOutput,
  type Dataset,
  Dense,
  exp,
  FunctionLayer,
  fit,
  Input,
  ReLU,
  registerFunctionLayer,
  Sequential,
  StrataError,
  sqrt,
} from '../../src/index.js';
import { getCheckNumerics, setCheckNumerics } from '../../src/core/numerics.js';

registerFunctionLayer('sqrt', (x) => sqrt(x));
registerFunctionLayer('exp100', (x) => exp(x.mul(100)));

/** 16 examples of 3 features, 2 classes; example `nanAt` (if any) holds a NaN. */
function data(nanAt = -1, scale = 1): Dataset {
  const x = Float32Array.from({ length: 48 }, (_, i) => (((i * 7) % 11) / 11 - 0.3) * scale);
  if (nanAt >= 0) x[nanAt * 3 + 1] = Number.NaN;
  return { x, shape: [3], y: Int32Array.from({ length: 16 }, (_, i) => i % 2), classNames: ['a', 'b'] };
}

function net(middle: Array<Dense | ReLU | FunctionLayer> = []) {
  return new Sequential([
    new Input({ name: 'input', shape: [3] }),
    new Dense({ name: 'pre', units: 4 }),
    ...middle,
    new Dense({ name: 'fc', units: 2 }),
    new ClassificationOutput({ name: 'out' }),
  ]).build({ seed: 3 });
}

const base = {
  epochs: 2,
  batchSize: 4,
  shuffle: false,
  progress: false,
  adaptInput: false,
  lr: 0.01,
} as const;
const weights = (m: Sequential) => m.parameters().map((p) => Array.from(p.value.data()));

describe('a non-finite loss', () => {
  test('stops training by default, naming the step and the last finite loss; the weights are those before it', () => {
    const model = net();
    let before: number[][] = [];
    let steps = 0;
    const err = (() => {
      try {
        fit(model, data(10), {
          ...base,
          callbacks: [
            {
              name: 'spy',
              onBatchEnd: () => {
                steps++;
                before = weights(model);
              },
            },
          ],
        });
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    assert.ok(err instanceof StrataError, String(err));
    // example 10 is in batch 3 (examples 8–11) of the first epoch
    assert.match(
      err.message,
      /the loss became NaN at step 3 \(epoch 1, batch 3\); the last finite loss was [0-9.]+ at step 2/,
    );
    assert.equal(steps, 2);
    assert.deepEqual(weights(model), before, 'the bad step changed nothing');
  });

  test("onNonFinite: 'skip' skips that batch every epoch and trains on", () => {
    const model = net();
    const r = fit(model, data(10), { ...base, epochs: 3, onNonFinite: 'skip' });
    assert.equal(r.skippedBatches, 3);
    assert.deepEqual(
      r.history.map((h) => h.skippedBatches),
      [1, 1, 1],
    );
    assert.ok(r.history.every((h) => Number.isFinite(h.loss)));
    assert.ok(weights(model).flat().every(Number.isFinite));
  });

  test('a finite loss with a non-finite gradient is not applied either', () => {
    // sqrt of a ReLU output: the gradient at the zeros is infinite, and infinity × 0 is NaN
    const model = net([new ReLU({ name: 'relu' }), new FunctionLayer({ name: 'root', fn: 'sqrt' })]);
    const w0 = weights(model);
    assert.throws(
      () => fit(model, data(), base),
      /the gradient of 'pre\.(weight|bias)' holds NaN at step 1 \(epoch 1, batch 1\); no step before it had a finite loss/,
    );
    assert.deepEqual(weights(model), w0);
  });
});

describe('check numerics', () => {
  test('names the op and the layer of the backward pass that made the first non-finite value', () => {
    const model = net([new ReLU({ name: 'relu' }), new FunctionLayer({ name: 'root', fn: 'sqrt' })]);
    assert.throws(
      () => fit(model, data(), { ...base, checkNumerics: true }),
      /produced Infinity in the backward pass \(the gradient of 'sqrt' of layer FunctionLayer\(sqrt\) 'root'\)/,
    );
    assert.equal(getCheckNumerics(), false, 'fit restores the mode');
  });

  test('names the op and the layer of the forward pass', () => {
    const model = net([new FunctionLayer({ name: 'grow', fn: 'exp100' })]);
    assert.throws(
      () => fit(model, data(-1, 40), { ...base, checkNumerics: true }),
      /^StrataError: exp: produced Infinity in the forward pass of layer FunctionLayer\(exp100\) 'grow': output 0 \[4,4\]/,
    );
  });

  test('a NaN that came from the data is traced to it', () => {
    setCheckNumerics(true);
    try {
      assert.throws(
        () => fit(net(), data(1), base),
        /linearBiasAct: produced NaN in the forward pass of layer Dense 'pre'.*input 0 \[4,3\] already held a non-finite value \(it came from the data/,
      );
    } finally {
      setCheckNumerics(false);
    }
  });

  test('STRATA_CHECK_NUMERICS=1 turns it on for a whole process', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = `
      import { Tensor, exp, fromTypedArray } from './src/index.ts';
      try { exp(fromTypedArray(Float32Array.of(1, 1000), [2])); console.log('no error'); }
      catch (e) { console.log(e.message); }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, STRATA_CHECK_NUMERICS: '1' },
      encoding: 'utf8',
    });
    assert.match(
      r.stdout,
      /exp: produced Infinity in the forward pass \(outside any layer\): output 0 \[2\], element 1/,
    );
    void join;
  });
});
