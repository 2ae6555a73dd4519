import type { Kernel } from '../../core/backend.js';
import { broadcastStrides, sizeOf } from '../../core/shape.js';
import type { AttrsOf, KernelTable } from '../../ops/registry.js';
import { forEachStrided } from './elementwise.js';
import { dataOf, out } from './storage.js';

const matmul: Kernel<AttrsOf<'matmul'>> = ([a, b], { transA, transB }, [m]) => {
  const as = dataOf(a);
  const bs = dataOf(b);
  const o = out(m);
  const ys = o.data;
  const r = m.shape.length;
  const M = m.shape[r - 2];
  const N = m.shape[r - 1];
  const ra = a.shape.length;
  const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const batch = m.shape.slice(0, -2);
  const aMat = a.shape[ra - 2] * a.shape[ra - 1];
  const bMat = b.shape[b.shape.length - 2] * b.shape[b.shape.length - 1];
  const sa = broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * aMat);
  const sb = broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * bMat);
  // element strides of op(a) (rows i, inner k) and op(b) (inner k, columns j)
  const [aik, akk] = transA ? [1, M] : [K, 1];
  const [bkk, bjj] = transB ? [1, K] : [N, 1];
  forEachStrided(batch, [sa, sb], [0, 0], (bi, off) => {
    const oa = off[0];
    const ob = off[1];
    const oy = bi * M * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += as[oa + i * aik + k * akk] * bs[ob + k * bkk + j * bjj];
        ys[oy + i * N + j] = s;
      }
  });
  return [o];
};

function softmaxKernel(log: boolean): Kernel<AttrsOf<'softmax'>> {
  return ([x], { axis }, [m]) => {
    const xs = dataOf(x);
    const o = out(m);
    const ys = o.data;
    const outer = sizeOf(x.shape.slice(0, axis));
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    for (let a = 0; a < outer; a++)
      for (let c = 0; c < inner; c++) {
        const base = a * n * inner + c;
        let mx = -Infinity;
        for (let j = 0; j < n; j++) mx = Math.max(mx, xs[base + j * inner]);
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.exp(xs[base + j * inner] - mx);
        const ls = Math.log(s);
        for (let j = 0; j < n; j++) {
          const v = xs[base + j * inner] - mx;
          ys[base + j * inner] = log ? v - ls : Math.exp(v) / s;
        }
      }
    return [o];
  };
}

export const linalgKernels = {
  matmul,
  softmax: softmaxKernel(false),
  logSoftmax: softmaxKernel(true),
} satisfies Partial<KernelTable>;
