import type { Kernel } from '../../../core/backend.js';
import { broadcastStrides, stridesOf } from '../../../core/shape.js';
import type { AttrsOf, KernelTable } from '../../../ops/registry.js';
import * as C from '../opcodes.js';
import { out, ptr, rt, sizeOf, zeros } from '../storage.js';
import { collapse, MEM_WORK } from './elementwise.js';

/** dst[Σ i·dstride] = src[Σ i·sstride] over `shape` (strides in elements, any sign). */
export function stridedCopy(
  src: number,
  dst: number,
  shape: readonly number[],
  sstride: readonly number[],
  dstride: readonly number[],
): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const [sh, [ss, ds]] = collapse(shape, [sstride, dstride]);
  const r = sh.length;
  const rtm = rt();
  const p = rtm.params(3 + 3 * r);
  p.i(0, r)
    .i(1, src)
    .i(2, dst)
    .ints(3, sh)
    .ints(3 + r, ss)
    .ints(3 + 2 * r, ds);
  rtm.run(C.JOB_COPY, p, rtm.threadsFor(n * MEM_WORK), 'copy');
}

/** Fills n words with a float32 (or int32) value. */
export function fillWords(dst: number, n: number, value: number, dtype: string): void {
  if (n === 0) return;
  const bits = dtype === 'int32' ? value | 0 : new Int32Array(Float32Array.of(value).buffer)[0];
  const r = rt();
  const p = r.params(3).i(0, dst).i(1, n).i(2, bits);
  r.run(C.JOB_FILL, p, r.threadsFor(n * 4), 'fill');
}

function sliceView(shape: readonly number[], a: AttrsOf<'slice'>): { strides: number[]; base: number } {
  const st = stridesOf(shape);
  return {
    strides: st.map((s, i) => s * a.step[i]),
    base: a.begin.reduce((acc, b, i) => acc + b * st[i], 0),
  };
}

/** For each axis, the input index every padded position reads (-1: the constant). */
function padMaps(inShape: readonly number[], a: AttrsOf<'pad'>): Int32Array[] {
  return inShape.map((d, ax) => {
    const n = d + a.before[ax] + a.after[ax];
    const map = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      let i = j - a.before[ax];
      if (i < 0 || i >= d) {
        if (a.mode === 'constant') i = -1;
        else if (a.mode === 'edge') i = i < 0 ? 0 : d - 1;
        else {
          const period = 2 * (d - 1);
          i = period === 0 ? 0 : ((i % period) + period) % period;
          if (i >= d) i = period - i;
        }
      }
      map[j] = i;
    }
    return map;
  });
}

/** Runs the index-mapped gather (pad) or its adjoint scatter-add (padBackward) over the padded grid. */
function mappedRun(
  job: number,
  x: number,
  y: number,
  inShape: readonly number[],
  a: AttrsOf<'pad'>,
  bits: number,
) {
  const maps = padMaps(inShape, a);
  const outShape = maps.map((m) => m.length);
  const n = sizeOf(outShape);
  if (n === 0) return;
  const rank = Math.max(outShape.length, 1);
  const shape = outShape.length ? outShape : [1];
  const ms = outShape.length ? maps : [Int32Array.of(0)];
  const xs = outShape.length ? stridesOf(inShape) : [1];
  const head = 4 + 3 * rank;
  const total = head + ms.reduce((s, m) => s + m.length, 0);
  const r = rt();
  const p = r.params(total);
  p.i(0, rank)
    .i(1, x)
    .i(2, y)
    .i(3, bits)
    .ints(4, shape)
    .ints(4 + rank, xs);
  let off = head;
  ms.forEach((m, d) => {
    p.i(4 + 2 * rank + d, off).ints(off, m);
    off += m.length;
  });
  r.run(job, p, job === C.JOB_SCATTER_MAPPED ? 1 : r.threadsFor(n * MEM_WORK), 'pad');
}

const isInterior = (a: AttrsOf<'pad'>) => a.mode === 'constant';

export const shapeKernels = {
  permute: ([x], { perm }, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    const st = stridesOf(x.shape);
    stridedCopy(
      ptr(x),
      o.ptr,
      m.shape,
      perm.map((p) => st[p]),
      stridesOf(m.shape),
    );
    return [o];
  },
  slice: ([x], a, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    const v = sliceView(x.shape, a);
    stridedCopy(ptr(x) + 4 * v.base, o.ptr, m.shape, v.strides, stridesOf(m.shape));
    return [o];
  },
  sliceScatter: ([x], a, [m]) => {
    const o = zeros(sizeOf(m.shape), m.dtype);
    const v = sliceView(a.shape, a);
    stridedCopy(ptr(x), o.ptr + 4 * v.base, x.shape, stridesOf(x.shape), v.strides);
    return [o];
  },
  concat: (inputs, { axis }, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    const outer = sizeOf(m.shape.slice(0, axis));
    const inner = sizeOf(m.shape.slice(axis + 1));
    const rowOut = m.shape[axis] * inner;
    let off = 0;
    for (const t of inputs) {
      const row = t.shape[axis] * inner;
      stridedCopy(ptr(t), o.ptr + 4 * off, [outer, row], [row, 1], [rowOut, 1]);
      off += row;
    }
    return [o];
  },
  pad: ([x], a, [m]) => {
    const n = sizeOf(m.shape);
    const o = out(n, m.dtype);
    const bits = m.dtype === 'int32' ? a.value | 0 : new Int32Array(Float32Array.of(a.value).buffer)[0];
    if (isInterior(a)) {
      const ost = stridesOf(m.shape);
      if (sizeOf(x.shape) !== n) fillWords(o.ptr, n, a.value, m.dtype);
      const base = a.before.reduce((s, b, i) => s + b * ost[i], 0);
      stridedCopy(ptr(x), o.ptr + 4 * base, x.shape, stridesOf(x.shape), ost);
    } else mappedRun(C.JOB_GATHER_MAPPED, ptr(x), o.ptr, x.shape, a, bits);
    return [o];
  },
  padBackward: ([dy], a, [m]) => {
    const n = sizeOf(m.shape);
    if (isInterior(a)) {
      const o = out(n, m.dtype);
      const dst = stridesOf(dy.shape);
      const base = a.before.reduce((s, b, i) => s + b * dst[i], 0);
      stridedCopy(ptr(dy) + 4 * base, o.ptr, m.shape, dst, stridesOf(m.shape));
      return [o];
    }
    const o = zeros(n, m.dtype);
    mappedRun(C.JOB_SCATTER_MAPPED, o.ptr, ptr(dy), a.shape, a, 0);
    return [o];
  },
  flip: ([x], { axes }, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    const st = stridesOf(x.shape);
    let base = 0;
    const strides = st.map((s, i) => {
      if (!axes.includes(i)) return s;
      base += (x.shape[i] - 1) * s;
      return -s;
    });
    if (sizeOf(m.shape)) stridedCopy(ptr(x) + 4 * base, o.ptr, m.shape, strides, stridesOf(m.shape));
    return [o];
  },
  broadcastTo: ([x], _a, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    stridedCopy(ptr(x), o.ptr, m.shape, broadcastStrides(x.shape, m.shape), stridesOf(m.shape));
    return [o];
  },
} satisfies Partial<KernelTable>;

export type ShapeKernel = Kernel<unknown>;
