import type { Kernel } from '../../../core/backend.js';
import { StrataError } from '../../../core/errors.js';
import type { AttrsOf, KernelTable } from '../../../ops/registry.js';
import { geom3 } from '../../../ops/window.js';
import * as C from '../opcodes.js';
import { out, ptr, rt, sizeOf, zeros } from '../storage.js';
import { MEM_WORK } from './elementwise.js';

type PoolA = AttrsOf<'maxPool'>;

/** Writes the pooling geometry (spatial axes padded to three) into a parameter block. */
function poolParams(planes: number, x: readonly number[], y: readonly number[], a: PoolA) {
  const g = geom3(x[0], x[1], x[1], x[1], x.slice(2), a.kernel, y.slice(2), a);
  const p = rt().params(26);
  p.i(0, planes).ints(1, g.S).ints(4, g.K).ints(7, g.O);
  p.ints(10, g.stride).ints(13, g.padBegin).ints(16, g.padEnd).ints(19, g.dilation);
  return { p, work: planes * sizeOf(g.O) * sizeOf(g.K) * MEM_WORK };
}

const maxPool: Kernel<PoolA> = ([x], a, [m]) => {
  const n = sizeOf(m.shape);
  const y = out(n, m.dtype);
  const idx = out(n, 'int32');
  if (n === 0) return [y, idx];
  const { p, work } = poolParams(x.shape[0] * x.shape[1], x.shape, m.shape, a);
  p.i(22, ptr(x)).i(23, y.ptr).i(24, idx.ptr);
  const r = rt();
  r.run(C.JOB_MAXPOOL, p, r.threadsFor(work), 'maxPool');
  return [y, idx];
};

const avgPool: Kernel<AttrsOf<'avgPool'>> = ([x], a, [m]) => {
  const n = sizeOf(m.shape);
  const y = out(n, m.dtype);
  if (n === 0) return [y];
  const { p, work } = poolParams(x.shape[0] * x.shape[1], x.shape, m.shape, a);
  p.i(22, ptr(x))
    .i(23, y.ptr)
    .i(25, a.countIncludePad ? 1 : 0);
  const r = rt();
  r.run(C.JOB_AVGPOOL, p, r.threadsFor(work), 'avgPool');
  return [y];
};

const avgPoolBackward: Kernel<AttrsOf<'avgPoolBackward'>> = ([dy], a, [m]) => {
  const dx = zeros(sizeOf(m.shape), m.dtype);
  if (sizeOf(dy.shape) === 0 || sizeOf(m.shape) === 0) return [dx];
  const { p, work } = poolParams(dy.shape[0] * dy.shape[1], a.inputShape, dy.shape, a);
  p.i(22, ptr(dy))
    .i(23, dx.ptr)
    .i(25, a.countIncludePad ? 1 : 0);
  const r = rt();
  r.run(C.JOB_AVGPOOL_BACKWARD, p, r.threadsFor(work), 'avgPoolBackward');
  return [dx];
};

/** Checks indices against the plane size with the reference's message. */
function checkIdx(op: string, idx: number, n: number, plane: number, spatial: readonly number[]): void {
  if (n === 0) return;
  const bad = rt().exports.checkIndices(idx, n, plane);
  if (bad >= 0) {
    const v = rt().heap.i32()[(idx >>> 2) + bad];
    throw new StrataError(
      op,
      `index ${v} at position ${bad} is out of range for a plane of ${plane} elements (spatial [${spatial}])`,
    );
  }
}

const unpoolScatter: Kernel<AttrsOf<'unpoolScatter'>> = ([v, idx], { outputSpatial }, [m]) => {
  const Op = sizeOf(outputSpatial);
  const Ip = sizeOf(v.shape.slice(2));
  const n = sizeOf(v.shape);
  checkIdx('unpoolScatter', ptr(idx), n, Op, outputSpatial);
  // the kernel zeroes each plane before its scatter
  if (n === 0) return [zeros(sizeOf(m.shape), m.dtype)];
  const y = out(sizeOf(m.shape), m.dtype);
  const r = rt();
  const p = r
    .params(6)
    .i(0, v.shape[0] * v.shape[1])
    .i(1, Ip)
    .i(2, Op)
    .i(3, ptr(v))
    .i(4, ptr(idx))
    .i(5, y.ptr);
  r.run(C.JOB_UNPOOL, p, r.threadsFor(n * MEM_WORK), 'unpoolScatter');
  return [y];
};

const poolGather: Kernel<AttrsOf<'poolGather'>> = ([x, idx], _a, [m]) => {
  const Sp = sizeOf(x.shape.slice(2));
  const Ip = sizeOf(idx.shape.slice(2));
  const n = sizeOf(idx.shape);
  checkIdx('poolGather', ptr(idx), n, Sp, x.shape.slice(2));
  const y = out(n, m.dtype);
  if (n === 0) return [y];
  const r = rt();
  const p = r
    .params(6)
    .i(0, idx.shape[0] * idx.shape[1])
    .i(1, Ip)
    .i(2, Sp)
    .i(3, ptr(x))
    .i(4, ptr(idx))
    .i(5, y.ptr);
  r.run(C.JOB_POOL_GATHER, p, r.threadsFor(n * MEM_WORK), 'poolGather');
  return [y];
};

export const poolKernels = {
  maxPool,
  avgPool,
  avgPoolBackward,
  unpoolScatter,
  poolGather,
} satisfies Partial<KernelTable>;
