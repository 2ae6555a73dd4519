import type { Kernel } from '../../../core/backend.js';
import type { AttrsOf, KernelTable } from '../../../ops/registry.js';
import { type Geom3, geom3 } from '../../../ops/window.js';
import * as C from '../opcodes.js';
import { out, ptr, rt, sizeOf, zeros } from '../storage.js';

/**
 * The three convolution products (see kernels/conv.ts). The geometry comes from ops/window.ts with
 * the spatial axes padded to three, exactly as the reference kernels loop.
 */
function convRun(job: number, name: string, g: Geom3, in0: number, in1: number, outPtr: number): void {
  const { N, C: Ch, F, G, S, K, O } = g;
  const Cg = Ch / G;
  const KK = K[0] * K[1] * K[2];
  const P = O[0] * O[1] * O[2];
  const work = 2 * N * F * P * Cg * KK;
  const r = rt();
  const nt = r.threadsFor(work, 4);
  let split: number;
  if (job === C.JOB_CONV_BACKWARD_FILTER) split = G >= nt && (G % nt === 0 || G >= 4 * nt) ? 0 : 1;
  else {
    const units = N * G;
    split = units >= nt && (units % nt === 0 || units >= 4 * nt) ? 0 : 1;
  }
  const p = r.params(26);
  p.i(0, N).i(1, Ch).i(2, F).i(3, G).ints(4, S).ints(7, K).ints(10, O);
  p.ints(13, g.stride).ints(16, g.padBegin).ints(19, g.dilation);
  p.i(22, in0).i(23, in1).i(24, outPtr).i(25, split);
  r.run(job, p, nt, name);
}

const conv: Kernel<AttrsOf<'conv'>> = ([x, w], a, [m]) => {
  const n = sizeOf(m.shape);
  if (n === 0) return [out(0, m.dtype)];
  const o = out(n, m.dtype);
  const g = geom3(
    x.shape[0],
    x.shape[1],
    w.shape[0],
    a.groups,
    x.shape.slice(2),
    w.shape.slice(2),
    m.shape.slice(2),
    a,
  );
  convRun(C.JOB_CONV, 'conv', g, ptr(x), ptr(w), o.ptr);
  return [o];
};

const convBackwardData: Kernel<AttrsOf<'convBackwardData'>> = ([dy, w], a, [m]) => {
  const n = sizeOf(m.shape);
  if (n === 0) return [out(0, m.dtype)];
  if (sizeOf(dy.shape) === 0) return [zeros(n, m.dtype)];
  const o = out(n, m.dtype);
  const s = a.inputShape;
  const g = geom3(s[0], s[1], w.shape[0], a.groups, s.slice(2), w.shape.slice(2), dy.shape.slice(2), a);
  convRun(C.JOB_CONV_BACKWARD_DATA, 'convBackwardData', g, ptr(dy), ptr(w), o.ptr);
  return [o];
};

const convBackwardFilter: Kernel<AttrsOf<'convBackwardFilter'>> = ([x, dy], a, [m]) => {
  const n = sizeOf(m.shape);
  if (n === 0) return [out(0, m.dtype)];
  if (sizeOf(dy.shape) === 0 || sizeOf(x.shape) === 0) return [zeros(n, m.dtype)];
  const o = out(n, m.dtype);
  const f = a.filterShape;
  const g = geom3(x.shape[0], x.shape[1], f[0], a.groups, x.shape.slice(2), f.slice(2), dy.shape.slice(2), a);
  convRun(C.JOB_CONV_BACKWARD_FILTER, 'convBackwardFilter', g, ptr(x), ptr(dy), o.ptr);
  return [o];
};

export const convKernels = { conv, convBackwardData, convBackwardFilter } satisfies Partial<KernelTable>;
