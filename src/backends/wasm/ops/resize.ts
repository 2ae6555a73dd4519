import type { Kernel } from '../../../core/backend.js';
import type { AttrsOf, KernelTable } from '../../../ops/registry.js';
// The coordinate mapping of ONNX Resize is specified once, next to the reference kernel.
import { axisMap } from '../../reference/resize.js';
import * as C from '../opcodes.js';
import { out, ptr, rt, sizeOf, zeros } from '../storage.js';
import { MEM_WORK } from './elementwise.js';

type ResizeAttrs = AttrsOf<'resize'>;

/** Runs the resize gather (or its adjoint scatter) with the per-axis maps in the parameter block. */
function resizeRun(
  job: number,
  name: string,
  a: ResizeAttrs,
  planes: number,
  S: readonly number[],
  src: number,
  dst: number,
) {
  const pad = 3 - S.length;
  const S3 = [...new Array<number>(pad).fill(1), ...S];
  const O3 = [...new Array<number>(pad).fill(1), ...a.outputSpatial];
  const maps = S3.map((L, i) =>
    i < pad ? { idx: new Int32Array(2), wt: Float64Array.of(1, 0) } : axisMap(a, L, O3[i], a.scales[i - pad]),
  );
  // layout: 15 header ints, then the index maps, then the f64 weights (8-byte aligned)
  let off = 16;
  const idxOff = maps.map((m) => {
    const o = off;
    off += m.idx.length;
    return o;
  });
  off += off & 1;
  const wtOff = maps.map((m) => {
    const o = off;
    off += 2 * m.wt.length;
    return o;
  });
  const r = rt();
  const p = r.params(off);
  p.i(0, planes).ints(1, S3).ints(4, O3).ints(7, idxOff).ints(10, wtOff).i(13, src).i(14, dst);
  maps.forEach((m, i) => {
    p.ints(idxOff[i], m.idx);
    p.f64s(wtOff[i], m.wt);
  });
  r.run(job, p, r.threadsFor(planes * sizeOf(O3) * 8 * MEM_WORK), name);
}

const resize: Kernel<ResizeAttrs> = ([x], a, [m]) => {
  const n = sizeOf(m.shape);
  const o = out(n, m.dtype);
  if (n === 0) return [o];
  if (sizeOf(x.shape) === 0) return [zeros(n, m.dtype)];
  resizeRun(C.JOB_RESIZE, 'resize', a, x.shape[0] * x.shape[1], x.shape.slice(2), ptr(x), o.ptr);
  return [o];
};

const resizeBackward: Kernel<AttrsOf<'resizeBackward'>> = ([dy], a, [m]) => {
  const o = zeros(sizeOf(m.shape), m.dtype);
  if (sizeOf(dy.shape) === 0 || sizeOf(m.shape) === 0) return [o];
  resizeRun(
    C.JOB_RESIZE_BACKWARD,
    'resizeBackward',
    a,
    dy.shape[0] * dy.shape[1],
    a.inputSpatial,
    ptr(dy),
    o.ptr,
  );
  return [o];
};

export const resizeKernels = { resize, resizeBackward } satisfies Partial<KernelTable>;
