import type { Kernel } from '../../core/backend.js';
import { sizeOf, stridesOf } from '../../core/shape.js';
import type { AttrsOf, KernelTable } from '../../ops/registry.js';
import { forEachBroadcast, forEachStrided } from './elementwise.js';
import { dataOf, out } from './storage.js';

/** Strides and base offset that read a slice of `shape` as a dense tensor of the slice's shape. */
function sliceView(shape: readonly number[], a: AttrsOf<'slice'>): { strides: number[]; base: number } {
  const st = stridesOf(shape);
  return {
    strides: st.map((s, i) => s * a.step[i]),
    base: a.begin.reduce((acc, b, i) => acc + b * st[i], 0),
  };
}

/** For each axis, the input coordinate each padded coordinate reads (-1: the constant). */
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
          // reflect: mirror without repeating the edge
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

function forEachPadded(
  inShape: readonly number[],
  a: AttrsOf<'pad'>,
  visit: (outIndex: number, inIndex: number) => void,
): void {
  const maps = padMaps(inShape, a);
  const outShape = maps.map((m) => m.length);
  const inStrides = stridesOf(inShape);
  const r = outShape.length;
  const idx = new Int32Array(r);
  const total = sizeOf(outShape);
  for (let o = 0; o < total; o++) {
    let src = 0;
    for (let ax = 0; ax < r; ax++) {
      const i = maps[ax][idx[ax]];
      if (i < 0) {
        src = -1;
        break;
      }
      src += i * inStrides[ax];
    }
    visit(o, src);
    for (let ax = r - 1; ax >= 0; ax--) {
      if (++idx[ax] < outShape[ax]) break;
      idx[ax] = 0;
    }
  }
}

const permute: Kernel<AttrsOf<'permute'>> = ([x], { perm }, [m]) => {
  const xs = dataOf(x);
  const o = out(m);
  const st = stridesOf(x.shape);
  forEachStrided(m.shape, [perm.map((p) => st[p])], [0], (i, off) => {
    o.data[i] = xs[off[0]];
  });
  return [o];
};

export const shapeKernels = {
  permute,
  slice: ([x], a, [m]) => {
    const xs = dataOf(x);
    const o = out(m);
    const v = sliceView(x.shape, a);
    forEachStrided(m.shape, [v.strides], [v.base], (i, off) => {
      o.data[i] = xs[off[0]];
    });
    return [o];
  },
  sliceScatter: ([x], a, [m]) => {
    const xs = dataOf(x);
    const o = out(m);
    const v = sliceView(a.shape, a);
    forEachStrided(x.shape, [v.strides], [v.base], (i, off) => {
      o.data[off[0]] = xs[i];
    });
    return [o];
  },
  concat: (inputs, { axis }, [m]) => {
    const o = out(m);
    const outer = sizeOf(m.shape.slice(0, axis));
    const inner = sizeOf(m.shape.slice(axis + 1));
    const rowOut = m.shape[axis] * inner;
    let off = 0;
    for (const t of inputs) {
      const xs = dataOf(t);
      const row = t.shape[axis] * inner;
      for (let a = 0; a < outer; a++) o.data.set(xs.subarray(a * row, (a + 1) * row), a * rowOut + off);
      off += row;
    }
    return [o];
  },
  pad: ([x], a, [m]) => {
    const xs = dataOf(x);
    const o = out(m);
    forEachPadded(x.shape, a, (oi, si) => {
      o.data[oi] = si < 0 ? a.value : xs[si];
    });
    return [o];
  },
  padBackward: ([dy], a, [m]) => {
    const ds = dataOf(dy);
    const o = out(m);
    forEachPadded(a.shape, a, (oi, si) => {
      if (si >= 0) o.data[si] += ds[oi];
    });
    return [o];
  },
  flip: ([x], { axes }, [m]) => {
    const xs = dataOf(x);
    const o = out(m);
    const st = stridesOf(x.shape);
    let base = 0;
    const strides = st.map((s, i) => {
      if (!axes.includes(i)) return s;
      base += (x.shape[i] - 1) * s;
      return -s;
    });
    forEachStrided(m.shape, [strides], [base], (i, off) => {
      o.data[i] = xs[off[0]];
    });
    return [o];
  },
  broadcastTo: ([x], _a, [m]) => {
    const xs = dataOf(x);
    const o = out(m);
    forEachBroadcast(m.shape, [x], (i, off) => {
      o.data[i] = xs[off[0]];
    });
    return [o];
  },
} satisfies Partial<KernelTable>;
