import type { Kernel } from '../../../core/backend.js';
import type { AttrsOf, KernelTable } from '../../../ops/registry.js';
import * as C from '../opcodes.js';
import { out, ptr, rt, sizeOf } from '../storage.js';
import { MEM_WORK } from './elementwise.js';

/**
 * Lays out a reduction for the kernel: kept and reduced dimension groups (adjacent dimensions of one
 * kind merged), with the innermost contiguous one handled as a row (reduced: a horizontal reduction;
 * kept: a vertical one).
 */
function reduceKernel(code: number, name: string): Kernel<AttrsOf<'sum'>> {
  return ([x], { axes }, [m]) => {
    const n = sizeOf(m.shape);
    const o = out(n, m.dtype);
    if (n === 0) return [o];
    const shape = x.shape.length ? x.shape : [1];
    const red = new Set(axes);
    // merge adjacent dims of the same kind, dropping size-1 dims
    const dims: { size: number; stride: number; reduced: boolean }[] = [];
    let stride = 1;
    const strides = new Array<number>(shape.length);
    for (let d = shape.length - 1; d >= 0; d--) {
      strides[d] = stride;
      stride *= shape[d];
    }
    for (let d = 0; d < shape.length; d++) {
      if (shape[d] === 1) continue;
      const isRed = red.has(d);
      const last = dims[dims.length - 1];
      if (last && last.reduced === isRed && last.stride === strides[d] * shape[d]) {
        last.size *= shape[d];
        last.stride = strides[d];
      } else dims.push({ size: shape[d], stride: strides[d], reduced: isRed });
    }
    if (dims.length === 0) dims.push({ size: 1, stride: 1, reduced: false });
    const inner = dims[dims.length - 1];
    const L = inner.size;
    const rest = dims.slice(0, -1);
    const kept = rest.filter((d) => !d.reduced);
    const reduced = rest.filter((d) => d.reduced);
    const kr = kept.length;
    const rr = reduced.length;
    const r = rt();
    const p = r.params(7 + 2 * kr + 2 * rr);
    p.i(0, code)
      .i(1, ptr(x))
      .i(2, o.ptr)
      .i(3, kr)
      .i(4, rr)
      .i(5, inner.reduced ? 0 : 1)
      .i(6, L);
    p.ints(
      7,
      kept.map((d) => d.size),
    );
    p.ints(
      7 + kr,
      kept.map((d) => d.stride),
    );
    p.ints(
      7 + 2 * kr,
      reduced.map((d) => d.size),
    );
    p.ints(
      7 + 2 * kr + rr,
      reduced.map((d) => d.stride),
    );
    r.run(C.JOB_REDUCE, p, r.threadsFor(sizeOf(x.shape) * MEM_WORK), name);
    return [o];
  };
}

function outerInner(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

function argKernel(isMax: boolean, name: string): Kernel<AttrsOf<'argmax'>> {
  return ([x], { axis }, [m]) => {
    const o = out(sizeOf(m.shape), 'int32');
    const [outer, n, inner] = outerInner(x.shape, axis);
    if (outer * inner === 0) return [o];
    const r = rt();
    const p = r
      .params(6)
      .i(0, isMax ? 1 : 0)
      .i(1, ptr(x))
      .i(2, o.ptr)
      .i(3, outer)
      .i(4, n)
      .i(5, inner);
    r.run(C.JOB_ARG, p, r.threadsFor(sizeOf(x.shape) * MEM_WORK), name);
    return [o];
  };
}

function softmaxKernel(log: boolean, name: string): Kernel<AttrsOf<'softmax'>> {
  return ([x], { axis }, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    const [outer, n, inner] = outerInner(x.shape, axis);
    if (outer * n * inner === 0) return [o];
    const r = rt();
    const p = r
      .params(6)
      .i(0, log ? 1 : 0)
      .i(1, ptr(x))
      .i(2, o.ptr)
      .i(3, outer)
      .i(4, n)
      .i(5, inner);
    r.run(C.JOB_SOFTMAX, p, r.threadsFor(outer * n * inner * MEM_WORK * 4), name);
    return [o];
  };
}

export const reduceKernels = {
  sum: reduceKernel(C.R_SUM, 'sum'),
  max: reduceKernel(C.R_MAX, 'max'),
  min: reduceKernel(C.R_MIN, 'min'),
  argmax: argKernel(true, 'argmax'),
  argmin: argKernel(false, 'argmin'),
  softmax: softmaxKernel(false, 'softmax'),
  logSoftmax: softmaxKernel(true, 'logSoftmax'),
} satisfies Partial<KernelTable>;
