// The fused ops' epilogue (JOB_BIAS_ACT) on the wasm backend is bit for bit the separate ops: the
// product, then add(y, bias) and relu(·) — at 1 and 2 threads, every shape class of the kernel (inner
// size 1 with the bias as a vector, inner ≥ 4 with a splatted bias, inner 2–3 and vector tails, no
// bias), with NaN, ±0 and ±Infinity in the bias so relu's treatment of NaN and −0 is compared too.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  add,
  conv,
  convBiasAct,
  fromTypedArray,
  Generator,
  linearBiasAct,
  matmul,
  relu,
  reshape,
  type Tensor,
} from '../../src/index.js';
import { atThreads, wasm } from './helpers.js';

function rand(shape: number[], seed: number, special = false): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = g.normal();
  if (special) {
    const s = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (let i = 0; i < Math.min(n, s.length); i++) a[(i * 7) % n] = s[i];
  }
  return fromTypedArray(a, shape, { backend: wasm });
}

/** Bitwise equality (strict deepEqual compares numbers with Object.is: −0 ≠ 0, NaN = NaN). */
function same(what: string, got: Tensor, want: Tensor): void {
  assert.deepEqual(got.shape, want.shape, what);
  assert.deepEqual(Array.from(got.data()), Array.from(want.data()), what);
}

const convCases: Array<[string, number[], number[], number]> = [
  // name, x, w, pad
  ['inner 1 (1x1 output)', [3, 4, 3, 3], [9, 4, 3, 3], 0],
  ['inner 2', [2, 3, 2, 1], [5, 3, 1, 1], 0],
  ['inner 3', [2, 3, 3, 1], [6, 3, 1, 1], 0],
  ['inner 4', [1, 2, 2, 2], [7, 2, 1, 1], 0],
  ['inner 30, vector tail', [2, 3, 5, 6], [5, 3, 3, 3], 1],
  ['large, threaded', [2, 3, 40, 40], [8, 3, 3, 3], 1],
];

describe('wasm fused epilogue equals the separate ops bitwise', () => {
  for (const [name, xs, ws, pad] of convCases)
    test(`convBiasAct ${name}`, () =>
      atThreads(() => {
        const x = rand(xs, 1);
        const w = rand(ws, 2);
        const b = rand([ws[0]], 3, true);
        const r = xs.length - 2;
        const a = {
          stride: Array(r).fill(1),
          padBegin: Array(r).fill(pad),
          padEnd: Array(r).fill(pad),
          dilation: Array(r).fill(1),
          groups: 1,
        };
        const y = conv(x, w, a);
        const yb = add(y, reshape(b, [ws[0], ...Array(r).fill(1)]));
        same('bias relu', convBiasAct(x, w, b, { ...a, act: 'relu' }), relu(yb));
        same('bias none', convBiasAct(x, w, b, { ...a, act: 'none' }), yb);
        same('relu no bias', convBiasAct(x, w, null, { ...a, act: 'relu' }), relu(y));
      }));

  for (const [N, K, U] of [
    [1, 17, 10],
    [5, 8, 3],
    [64, 40, 33],
  ])
    test(`linearBiasAct ${N}×${K} → ${U}`, () =>
      atThreads(() => {
        const x = rand([N, K], 4);
        const w = rand([U, K], 5);
        const b = rand([U], 6, true);
        const y = matmul(x, w, { transB: true });
        same('bias relu', linearBiasAct(x, w, b, 'relu'), relu(add(y, b)));
        same('bias none', linearBiasAct(x, w, b, 'none'), add(y, b));
        same('relu no bias', linearBiasAct(x, w, null, 'relu'), relu(y));
      }));
});
