import type { Kernel } from '../../core/backend.js';
import type { AttrsOf, KernelTable } from '../../ops/registry.js';
import { type Geom3, geom3 } from '../../ops/window.js';
import { dataOf, out } from './storage.js';

/**
 * The three convolution ops are one trilinear form Σ x[xi]·w[wi]·dy[yi] over the taps of the
 * convolution, contracted three ways. `forEachTap` visits every tap (x, w and y flat offsets), with the
 * spatial axes padded to three; each kernel is then one line, accumulated in float64.
 */
function forEachTap(g: Geom3, visit: (xi: number, wi: number, yi: number) => void): void {
  const { N, C, F, G, S, K, O, stride: st, padBegin: pb, dilation: dl } = g;
  const Cg = C / G;
  const Fg = F / G;
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++) {
      const c0 = Math.floor(f / Fg) * Cg;
      for (let o0 = 0; o0 < O[0]; o0++)
        for (let o1 = 0; o1 < O[1]; o1++)
          for (let o2 = 0; o2 < O[2]; o2++) {
            const yi = (((n * F + f) * O[0] + o0) * O[1] + o1) * O[2] + o2;
            for (let c = 0; c < Cg; c++)
              for (let k0 = 0; k0 < K[0]; k0++) {
                const i0 = o0 * st[0] - pb[0] + k0 * dl[0];
                if (i0 < 0 || i0 >= S[0]) continue;
                for (let k1 = 0; k1 < K[1]; k1++) {
                  const i1 = o1 * st[1] - pb[1] + k1 * dl[1];
                  if (i1 < 0 || i1 >= S[1]) continue;
                  for (let k2 = 0; k2 < K[2]; k2++) {
                    const i2 = o2 * st[2] - pb[2] + k2 * dl[2];
                    if (i2 < 0 || i2 >= S[2]) continue;
                    const xi = (((n * C + c0 + c) * S[0] + i0) * S[1] + i1) * S[2] + i2;
                    const wi = (((f * Cg + c) * K[0] + k0) * K[1] + k1) * K[2] + k2;
                    visit(xi, wi, yi);
                  }
                }
              }
          }
    }
}

/** The geometry from the input shape x, the filter shape w and the output shape y. */
const convGeom = (x: readonly number[], w: readonly number[], y: readonly number[], a: AttrsOf<'conv'>) =>
  geom3(x[0], x[1], w[0], a.groups, x.slice(2), w.slice(2), y.slice(2), a);

const conv: Kernel<AttrsOf<'conv'>> = ([x, w], a, [m]) => {
  const xs = dataOf(x);
  const ws = dataOf(w);
  const acc = new Float64Array(m.shape.reduce((p, d) => p * d, 1));
  forEachTap(convGeom(x.shape, w.shape, m.shape, a), (xi, wi, yi) => {
    acc[yi] += xs[xi] * ws[wi];
  });
  const o = out(m);
  o.data.set(acc);
  return [o];
};

const convBackwardData: Kernel<AttrsOf<'convBackwardData'>> = ([dy, w], a, [m]) => {
  const ds = dataOf(dy);
  const ws = dataOf(w);
  const acc = new Float64Array(m.shape.reduce((p, d) => p * d, 1));
  forEachTap(convGeom(a.inputShape, w.shape, dy.shape, a), (xi, wi, yi) => {
    acc[xi] += ds[yi] * ws[wi];
  });
  const o = out(m);
  o.data.set(acc);
  return [o];
};

const convBackwardFilter: Kernel<AttrsOf<'convBackwardFilter'>> = ([x, dy], a, [m]) => {
  const xs = dataOf(x);
  const ds = dataOf(dy);
  const acc = new Float64Array(m.shape.reduce((p, d) => p * d, 1));
  forEachTap(convGeom(x.shape, a.filterShape, dy.shape, a), (xi, wi, yi) => {
    acc[wi] += xs[xi] * ds[yi];
  });
  const o = out(m);
  o.data.set(acc);
  return [o];
};

export const convKernels = { conv, convBackwardData, convBackwardFilter } satisfies Partial<KernelTable>;
