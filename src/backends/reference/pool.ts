import type { Kernel } from '../../core/backend.js';
import { StrataError } from '../../core/errors.js';
import type { AttrsOf, KernelTable } from '../../ops/registry.js';
import { type Geom3, geom3 } from '../../ops/window.js';
import { dataOf, out } from './storage.js';

const sizeOf = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** Pooling geometry: every channel is its own group. */
const poolGeom = (x: readonly number[], y: readonly number[], a: AttrsOf<'maxPool'>): Geom3 =>
  geom3(x[0], x[1], x[1], x[1], x.slice(2), a.kernel, y.slice(2), a);

/**
 * Visits every window: its (n, c) plane, its flat output offset, the in-plane offsets of the taps
 * inside the input (in row-major tap order, which decides ties as PyTorch does), and how many taps
 * lie within the padded extent [−padBegin, S + padEnd) (the count-include-pad divisor).
 */
function forEachWindow(
  g: Geom3,
  visit: (plane: number, yi: number, taps: Int32Array, nTaps: number, nPadded: number) => void,
): void {
  const { S, K, O, stride: st, padBegin: pb, padEnd: pe, dilation: dl } = g;
  const taps = new Int32Array(K[0] * K[1] * K[2]);
  const Op = O[0] * O[1] * O[2];
  // Per axis and output position: the tap positions inside the input and the count in the padded extent.
  const axes = [0, 1, 2].map((ax) =>
    Array.from({ length: O[ax] }, (_, o) => {
      const inside: number[] = [];
      let padded = 0;
      for (let k = 0; k < K[ax]; k++) {
        const p = o * st[ax] - pb[ax] + k * dl[ax];
        if (p >= -pb[ax] && p < S[ax] + pe[ax]) padded++;
        if (p >= 0 && p < S[ax]) inside.push(p);
      }
      return { inside, padded };
    }),
  );
  for (let plane = 0; plane < g.N * g.C; plane++)
    for (let o0 = 0; o0 < O[0]; o0++)
      for (let o1 = 0; o1 < O[1]; o1++)
        for (let o2 = 0; o2 < O[2]; o2++) {
          const [a0, a1, a2] = [axes[0][o0], axes[1][o1], axes[2][o2]];
          let n = 0;
          for (const i0 of a0.inside)
            for (const i1 of a1.inside) for (const i2 of a2.inside) taps[n++] = (i0 * S[1] + i1) * S[2] + i2;
          const yi = plane * Op + (o0 * O[1] + o1) * O[2] + o2;
          visit(plane, yi, taps, n, a0.padded * a1.padded * a2.padded);
        }
}

const maxPool: Kernel<AttrsOf<'maxPool'>> = ([x], a, [m, mi]) => {
  const xs = dataOf(x);
  const y = out(m);
  const idx = out(mi);
  const Sp = sizeOf(x.shape.slice(2));
  forEachWindow(poolGeom(x.shape, m.shape, a), (plane, yi, taps, n) => {
    let best = Number.NEGATIVE_INFINITY;
    let bi = taps[0];
    for (let t = 0; t < n; t++) {
      const v = xs[plane * Sp + taps[t]];
      if (v > best || v !== v) {
        best = v;
        bi = taps[t];
      }
    }
    y.data[yi] = best;
    idx.data[yi] = bi;
  });
  return [y, idx];
};

/** Divisor of a window: taps in the padded extent, or only those inside the input; 0 taps give 0. */
const divisor = (a: AttrsOf<'avgPool'>, n: number, nPadded: number) =>
  (a.countIncludePad ? nPadded : n) || Number.POSITIVE_INFINITY;

const avgPool: Kernel<AttrsOf<'avgPool'>> = ([x], a, [m]) => {
  const xs = dataOf(x);
  const y = out(m);
  const Sp = sizeOf(x.shape.slice(2));
  forEachWindow(poolGeom(x.shape, m.shape, a), (plane, yi, taps, n, nPadded) => {
    let s = 0;
    for (let t = 0; t < n; t++) s += xs[plane * Sp + taps[t]];
    y.data[yi] = n ? s / divisor(a, n, nPadded) : 0;
  });
  return [y];
};

const avgPoolBackward: Kernel<AttrsOf<'avgPoolBackward'>> = ([dy], a, [m]) => {
  const ds = dataOf(dy);
  const acc = new Float64Array(sizeOf(m.shape));
  const Sp = sizeOf(m.shape.slice(2));
  forEachWindow(poolGeom(a.inputShape, dy.shape, a), (plane, yi, taps, n, nPadded) => {
    const v = ds[yi] / divisor(a, n, nPadded);
    for (let t = 0; t < n; t++) acc[plane * Sp + taps[t]] += v;
  });
  const o = out(m);
  o.data.set(acc);
  return [o];
};

function indexError(op: string, v: number, i: number, plane: number, spatial: readonly number[]) {
  return new StrataError(
    op,
    `index ${v} at position ${i} is out of range for a plane of ${plane} elements (spatial [${spatial}])`,
  );
}

const unpoolScatter: Kernel<AttrsOf<'unpoolScatter'>> = ([v, idx], { outputSpatial }, [m]) => {
  const vs = dataOf(v);
  const is = dataOf(idx);
  const Op = sizeOf(outputSpatial);
  const Ip = sizeOf(v.shape.slice(2));
  const acc = new Float64Array(sizeOf(m.shape));
  for (let i = 0; i < vs.length; i++) {
    const k = is[i];
    if (!(k >= 0 && k < Op)) throw indexError('unpoolScatter', k, i, Op, outputSpatial);
    acc[Math.floor(i / Ip) * Op + k] += vs[i];
  }
  const o = out(m);
  o.data.set(acc);
  return [o];
};

const poolGather: Kernel<AttrsOf<'poolGather'>> = ([x, idx], _a, [m]) => {
  const xs = dataOf(x);
  const is = dataOf(idx);
  const Sp = sizeOf(x.shape.slice(2));
  const Ip = sizeOf(idx.shape.slice(2));
  for (let i = 0; i < is.length; i++)
    if (!(is[i] >= 0 && is[i] < Sp)) throw indexError('poolGather', is[i], i, Sp, x.shape.slice(2));
  const o = out(m);
  for (let i = 0; i < is.length; i++) o.data[i] = xs[Math.floor(i / Ip) * Sp + is[i]];
  return [o];
};

export const poolKernels = {
  maxPool,
  avgPool,
  avgPoolBackward,
  unpoolScatter,
  poolGather,
} satisfies Partial<KernelTable>;
