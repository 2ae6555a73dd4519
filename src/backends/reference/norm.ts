import type { KTensor } from '../../core/backend.js';
import { sizeOf } from '../../core/shape.js';
import type { KernelTable } from '../../ops/registry.js';
import { dataOf, out } from './storage.js';

/** N, C and P = prod(spatial) of an (N, C, …spatial) tensor: channel c is N blocks of P values. */
function ncp(x: KTensor): [number, number, number] {
  return [x.shape[0], x.shape[1], sizeOf(x.shape.slice(2))];
}

export const normKernels = {
  batchNormTrain: ([x, w, b], { eps }, [my, mm, mv]) => {
    const [N, C, P] = ncp(x);
    const xs = dataOf(x);
    const ws = dataOf(w);
    const bs = dataOf(b);
    const y = out(my);
    const mo = out(mm);
    const vo = out(mv);
    const M = N * P;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let i = (n * C + c) * P, e = i + P; i < e; i++) s += xs[i];
      const mean = s / M;
      let q = 0;
      for (let n = 0; n < N; n++)
        for (let i = (n * C + c) * P, e = i + P; i < e; i++) q += (xs[i] - mean) * (xs[i] - mean);
      const v = q / M;
      const scale = ws[c] / Math.sqrt(v + eps);
      for (let n = 0; n < N; n++)
        for (let i = (n * C + c) * P, e = i + P; i < e; i++) y.data[i] = (xs[i] - mean) * scale + bs[c];
      mo.data[c] = mean;
      vo.data[c] = v;
    }
    return [y, mo, vo];
  },
  batchNormBackward: ([dy, x, mean, variance, w, dmean, dvar], { eps }, [mx, mw, mb]) => {
    const [N, C, P] = ncp(x);
    const [dys, xs, ms, vs, ws, dms, dvs] = [dy, x, mean, variance, w, dmean, dvar].map(dataOf);
    const dx = out(mx);
    const dw = out(mw);
    const db = out(mb);
    const M = N * P;
    for (let c = 0; c < C; c++) {
      const m = ms[c];
      const s = 1 / Math.sqrt(vs[c] + eps);
      let A = 0;
      let B = 0;
      for (let n = 0; n < N; n++)
        for (let i = (n * C + c) * P, e = i + P; i < e; i++) {
          A += dys[i];
          B += dys[i] * (xs[i] - m);
        }
      B *= s;
      // dx = w·s·(dy − A/M − x̂·B/M) + dmean/M + 2·(x − mean)·dvariance/M
      const ky = ws[c] * s;
      const kx = (2 * dvs[c] - ws[c] * s * s * B) / M;
      const k0 = (dms[c] - ws[c] * s * A) / M;
      for (let n = 0; n < N; n++)
        for (let i = (n * C + c) * P, e = i + P; i < e; i++) dx.data[i] = ky * dys[i] + kx * (xs[i] - m) + k0;
      dw.data[c] = B;
      db.data[c] = A;
    }
    return [dx, dw, db];
  },
} satisfies Partial<KernelTable>;
