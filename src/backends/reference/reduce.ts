import type { Kernel } from '../../core/backend.js';
import { reducedShape, sizeOf } from '../../core/shape.js';
import type { AttrsOf, KernelTable } from '../../ops/registry.js';
import { forEachBroadcast } from './elementwise.js';
import { dataOf, out } from './storage.js';

function reduceKernel(init: number, f: (acc: number, x: number) => number): Kernel<AttrsOf<'sum'>> {
  return ([x], { axes }, [m]) => {
    const xs = dataOf(x);
    const o = out(m);
    const ys = o.data;
    ys.fill(init);
    const kdShape = reducedShape(x.shape, axes, true);
    forEachBroadcast(x.shape, [x, { shape: kdShape }], (_i, off) => {
      ys[off[1]] = f(ys[off[1]], xs[off[0]]);
    });
    return [o];
  };
}

const nanMax = (a: number, x: number) => (x > a || x !== x ? x : a);
const nanMin = (a: number, x: number) => (x < a || x !== x ? x : a);

function argKernel(better: (x: number, best: number) => boolean): Kernel<AttrsOf<'argmax'>> {
  return ([x], { axis }, [m]) => {
    const xs = dataOf(x);
    const o = out(m);
    const ys = o.data;
    const outer = sizeOf(x.shape.slice(0, axis));
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    for (let a = 0; a < outer; a++)
      for (let c = 0; c < inner; c++) {
        let best = xs[a * n * inner + c];
        let bi = 0;
        for (let j = 1; j < n; j++) {
          const v = xs[(a * n + j) * inner + c];
          if (best === best && (better(v, best) || v !== v)) {
            best = v;
            bi = j;
          }
        }
        ys[a * inner + c] = bi;
      }
    return [o];
  };
}

export const reduceKernels = {
  sum: reduceKernel(0, (a, x) => a + x),
  max: reduceKernel(-Infinity, nanMax),
  min: reduceKernel(Infinity, nanMin),
  argmax: argKernel((v, b) => v > b),
  argmin: argKernel((v, b) => v < b),
} satisfies Partial<KernelTable>;
