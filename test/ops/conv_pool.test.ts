// Convolution and pooling outputs computed by hand. The op-database drivers (test/ops/gradcheck,
// errors, golden) cover the entries of test/opdb/conv.ts and pool.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  avgPool1d,
  conv1d,
  convTranspose1d,
  maxPool2d,
  maxUnpool2d,
  type NestedArray,
  setBackend,
  tensor,
} from '../../src/index.js';

// float64 hand-computed values: the reference backend (wasm, the default, has no float64).
setBackend('reference');

const f64 = { dtype: 'float64' as const };

const close = (got: NestedArray, want: NestedArray) => {
  const a = [got].flat(9) as number[];
  const b = [want].flat(9) as number[];
  assert.equal(a.length, b.length);
  for (const [i, v] of a.entries()) assert.ok(Math.abs(v - b[i]) < 1e-12, `element ${i}: ${v} vs ${b[i]}`);
};

describe('by hand', () => {
  const x = tensor([[[1, 2, 3, 4, 5]]], undefined, f64);
  const w = tensor([[[1, 0, -1]]], undefined, f64);

  test('conv1d', () => {
    // y[o] = x[o] − x[o + 2]
    close(conv1d(x, w).toArray(), [[[-2, -2, -2]]]);
    // padded 0 1 2 3 4 5 0, windows at 0, 2, 4: 0−2, 2−4, 4−0
    close(conv1d(x, w, { stride: 2, padding: 1 }).toArray(), [[[-2, -2, 4]]]);
    // per-side padding [2, 0]: 0 0 1 2 3 4 5 → 0−1, 0−2, 1−3, 2−4, 3−5
    close(conv1d(x, w, { padding: [[2, 0]] }).toArray(), [[[-1, -2, -2, -2, -2]]]);
    // dilation 2: x[o] − x[o + 4]
    close(conv1d(x, tensor([[[1, 0, -1]]], undefined, f64), { dilation: 2 }).toArray(), [[[-4]]]);
  });

  test('convTranspose1d scatters each input through the kernel', () => {
    // x = [1, 2], w = [1, 10, 100], stride 2: 1·w at 0, 2·w at 2 → [1, 10, 102, 20, 200], + outputPadding 1
    const y = convTranspose1d(tensor([[[1, 2]]], undefined, f64), tensor([[[1, 10, 100]]], undefined, f64), {
      stride: 2,
      outputPadding: 1,
    });
    close(y.toArray(), [[[1, 10, 102, 20, 200, 0]]]);
  });

  test('maxPool2d values and indices', () => {
    const p = tensor(
      [
        [
          [
            [1, 5, 2, 0],
            [3, 4, 8, 7],
            [6, 9, 1, 2],
          ],
        ],
      ],
      undefined,
      f64,
    );
    const [y, i] = maxPool2d(p, { kernelSize: 2, returnIndices: true });
    close(y.toArray(), [[[[5, 8]]]]);
    assert.deepEqual(i.toArray(), [[[[1, 6]]]]);
    assert.equal(i.dtype, 'int32');
    // ceil mode adds a last row of windows over row 2 only: maxima 9 (index 9) and 2 (index 11)
    const [yc, ic] = maxPool2d(p, { kernelSize: 2, ceilMode: true, returnIndices: true });
    close(yc.toArray(), [
      [
        [
          [5, 8],
          [9, 2],
        ],
      ],
    ]);
    assert.deepEqual(ic.toArray(), [
      [
        [
          [1, 6],
          [9, 11],
        ],
      ],
    ]);
    // unpooling puts each maximum back at its place
    close(maxUnpool2d(yc, ic, { kernelSize: 2, outputSize: [3, 4] }).toArray(), [
      [
        [
          [0, 5, 0, 0],
          [0, 0, 8, 0],
          [0, 9, 0, 2],
        ],
      ],
    ]);
  });

  test('avgPool1d count-include-pad and ceil mode', () => {
    // padded 0 | 1 2 3 4 5 | 0; windows of 3 at stride 2: [0 1 2] [2 3 4] [4 5 0]
    close(avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1 }).toArray(), [[[1, 3, 3]]]);
    close(avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }).toArray(), [
      [[1.5, 3, 4.5]],
    ]);
    // ceil mode, no padding, kernel 2: [1 2] [3 4] [5 | beyond the edge], which never counts
    close(avgPool1d(x, { kernelSize: 2, ceilMode: true }).toArray(), [[[1.5, 3.5, 5]]]);
  });

  test('max-pool gradient accumulates over overlapping windows', () => {
    const v = tensor([[[0, 3, 1, 2]]], undefined, f64).requireGrad();
    const [y] = maxPool2d(v.reshape([1, 1, 1, 4]), { kernelSize: [1, 2], stride: 1, returnIndices: true });
    close(y.toArray(), [[[[3, 3, 2]]]]);
    y.sum().backward();
    close(v.grad!.toArray(), [[[0, 2, 0, 1]]]);
  });
});
