import type { KTensor } from '../../../core/backend.js';
import type { KernelTable } from '../../../ops/registry.js';
import * as C from '../opcodes.js';
import { out, ptr, rt, sizeOf } from '../storage.js';
import { MEM_WORK } from './elementwise.js';

/** N, C and P = prod(spatial) of an (N, C, …spatial) tensor. */
function ncp(x: KTensor): [number, number, number] {
  return [x.shape[0], x.shape[1], sizeOf(x.shape.slice(2))];
}

/** Shares for a job of `passes` passes over n floats split by channel (at most one share a channel). */
function shares(n: number, channels: number, passes: number): number {
  return Math.max(1, Math.min(rt().threadsFor(n * MEM_WORK * passes), channels));
}

export const normKernels = {
  batchNormTrain: ([x, w, b], { eps }, [my, mm, mv]) => {
    const [N, Ch, P] = ncp(x);
    const y = out(sizeOf(my.shape), my.dtype);
    const mo = out(mm.shape[0], mm.dtype);
    const vo = out(mv.shape[0], mv.dtype);
    if (Ch === 0) return [y, mo, vo];
    const r = rt();
    const p = r
      .params(10)
      .i(0, ptr(x))
      .i(1, y.ptr)
      .i(2, mo.ptr)
      .i(3, vo.ptr)
      .i(4, ptr(w))
      .i(5, ptr(b))
      .i(6, N)
      .i(7, Ch)
      .i(8, P)
      .f(9, eps);
    r.run(C.JOB_BATCHNORM_TRAIN, p, shares(N * Ch * P, Ch, 3), 'batchNormTrain');
    return [y, mo, vo];
  },
  batchNormBackward: ([dy, x, mean, variance, w, dmean, dvar], { eps }, [mx, mw, mb]) => {
    const [N, Ch, P] = ncp(x);
    const dx = out(sizeOf(mx.shape), mx.dtype);
    const dw = out(mw.shape[0], mw.dtype);
    const db = out(mb.shape[0], mb.dtype);
    if (Ch === 0) return [dx, dw, db];
    const r = rt();
    const p = r
      .params(14)
      .i(0, ptr(dy))
      .i(1, ptr(x))
      .i(2, ptr(mean))
      .i(3, ptr(variance))
      .i(4, ptr(w))
      .i(5, ptr(dmean))
      .i(6, ptr(dvar))
      .i(7, dx.ptr)
      .i(8, dw.ptr)
      .i(9, db.ptr)
      .i(10, N)
      .i(11, Ch)
      .i(12, P)
      .f(13, eps);
    r.run(C.JOB_BATCHNORM_BACKWARD, p, shares(N * Ch * P, Ch, 4), 'batchNormBackward');
    return [dx, dw, db];
  },
} satisfies Partial<KernelTable>;
