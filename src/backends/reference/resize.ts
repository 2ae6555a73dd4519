import type { Kernel } from '../../core/backend.js';
import type { AttrsOf, KernelTable } from '../../ops/registry.js';
import { dataOf, out } from './storage.js';

type ResizeAttrs = AttrsOf<'resize'>;

/**
 * Where one output coordinate reads along one axis: two input indices and their weights (nearest:
 * one index with weight 1). Input length L, output length l, scale s; ONNX Resize's formulas.
 */
export interface AxisMap {
  idx: Int32Array; // 2 per output position
  wt: Float64Array; // 2 per output position
}

/** The input coordinate of output coordinate x (ONNX coordinate_transformation_mode). */
export function sourceCoord(a: ResizeAttrs, x: number, L: number, l: number, s: number): number {
  // With sizes given the scale is l/L: use the integers so exact coordinates stay exact.
  const exact = s === l / L;
  const halfPixel = () => (exact ? ((2 * x + 1) * L) / (2 * l) : (x + 0.5) / s) - 0.5;
  const lr = exact ? l : s * L; // ONNX's length_resized (a float when scales are given)
  switch (a.coordinateMode) {
    case 'half_pixel':
      return halfPixel();
    case 'half_pixel_symmetric':
      return (L / 2) * (1 - l / lr) + halfPixel();
    case 'pytorch_half_pixel':
      return lr > 1 ? halfPixel() : 0;
    case 'align_corners':
      return lr === 1 ? 0 : (x * (L - 1)) / (lr - 1);
    case 'asymmetric':
      return exact ? (x * L) / l : x / s;
  }
}

/** ONNX nearest_mode rounding. */
export function roundNearest(mode: ResizeAttrs['nearestMode'], v: number): number {
  switch (mode) {
    case 'floor':
      return Math.floor(v);
    case 'ceil':
      return Math.ceil(v);
    case 'round_prefer_floor':
      return v - Math.floor(v) === 0.5 ? Math.floor(v) : Math.round(v);
    case 'round_prefer_ceil':
      return v - Math.floor(v) === 0.5 ? Math.ceil(v) : Math.round(v);
  }
}

export function axisMap(a: ResizeAttrs, L: number, l: number, s: number): AxisMap {
  const idx = new Int32Array(2 * l);
  const wt = new Float64Array(2 * l);
  const clampI = (i: number) => (i < 0 ? 0 : i >= L ? L - 1 : i);
  for (let x = 0; x < l; x++) {
    const v = sourceCoord(a, x, L, l, s);
    if (a.mode === 'nearest') {
      idx[2 * x] = clampI(roundNearest(a.nearestMode, v));
      wt[2 * x] = 1;
    } else {
      const i0 = Math.floor(v);
      const lam = v - i0;
      idx[2 * x] = clampI(i0);
      idx[2 * x + 1] = clampI(i0 + 1);
      wt[2 * x] = 1 - lam;
      wt[2 * x + 1] = lam;
    }
  }
  return { idx, wt };
}

/**
 * Visits every (output, input, weight) triple of a resize from spatial size S to O (axes padded to
 * three with length-1 axes, which map 0 → 0 with weight 1).
 */
function forEachTap(
  a: ResizeAttrs,
  NC: number,
  S: readonly number[],
  visit: (oi: number, ii: number, w: number) => void,
): void {
  const pad = 3 - S.length;
  const S3 = [...new Array<number>(pad).fill(1), ...S];
  const O3 = [...new Array<number>(pad).fill(1), ...a.outputSpatial];
  const maps = S3.map((L, i) =>
    i < pad ? { idx: new Int32Array(2), wt: Float64Array.of(1, 0) } : axisMap(a, L, O3[i], a.scales[i - pad]),
  );
  const [m0, m1, m2] = maps;
  const inPlane = S3[0] * S3[1] * S3[2];
  const outPlane = O3[0] * O3[1] * O3[2];
  for (let p = 0; p < NC; p++)
    for (let o0 = 0; o0 < O3[0]; o0++)
      for (let o1 = 0; o1 < O3[1]; o1++)
        for (let o2 = 0; o2 < O3[2]; o2++) {
          const oi = p * outPlane + (o0 * O3[1] + o1) * O3[2] + o2;
          for (let t0 = 0; t0 < 2; t0++) {
            const w0 = m0.wt[2 * o0 + t0];
            if (w0 === 0) continue;
            for (let t1 = 0; t1 < 2; t1++) {
              const w1 = m1.wt[2 * o1 + t1];
              if (w1 === 0) continue;
              for (let t2 = 0; t2 < 2; t2++) {
                const w2 = m2.wt[2 * o2 + t2];
                if (w2 === 0) continue;
                const ii =
                  p * inPlane +
                  (m0.idx[2 * o0 + t0] * S3[1] + m1.idx[2 * o1 + t1]) * S3[2] +
                  m2.idx[2 * o2 + t2];
                visit(oi, ii, w0 * w1 * w2);
              }
            }
          }
        }
}

const resize: Kernel<AttrsOf<'resize'>> = ([x], a, [m]) => {
  const xs = dataOf(x);
  const acc = new Float64Array(m.shape.reduce((p, d) => p * d, 1));
  forEachTap(a, x.shape[0] * x.shape[1], x.shape.slice(2), (oi, ii, w) => {
    acc[oi] += w * xs[ii];
  });
  const o = out(m);
  o.data.set(acc);
  return [o];
};

const resizeBackward: Kernel<AttrsOf<'resizeBackward'>> = ([dy], a, [m]) => {
  const ds = dataOf(dy);
  const acc = new Float64Array(m.shape.reduce((p, d) => p * d, 1));
  forEachTap(a, dy.shape[0] * dy.shape[1], a.inputSpatial, (oi, ii, w) => {
    acc[ii] += w * ds[oi];
  });
  const o = out(m);
  o.data.set(acc);
  return [o];
};

export const resizeKernels = { resize, resizeBackward } satisfies Partial<KernelTable>;
