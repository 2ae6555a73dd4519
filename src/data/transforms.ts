import { StrataError } from '../core/errors.js';
import type { Generator } from '../core/random.js';
import type { Transform } from './dataset.js';

/**
 * Augmentation transforms for image examples [C,H,W] on the host: each takes a copy of one example and
 * the seeded generator of the training run, so an augmented run is reproducible. Pixels moved in from
 * outside the image are 0.
 */

function hw(where: string, shape: readonly number[]): [number, number, number] {
  if (shape.length !== 3) throw new StrataError(where, `needs image examples [C,H,W], got [${shape}]`);
  return [shape[0], shape[1], shape[2]];
}

function shifted(x: Float32Array, c: number, h: number, w: number, dy: number, dx: number): Float32Array {
  if (dx === 0 && dy === 0) return x;
  const out = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    for (let i = 0; i < h; i++) {
      const si = i - dy;
      if (si < 0 || si >= h) continue;
      for (let j = 0; j < w; j++) {
        const sj = j - dx;
        if (sj >= 0 && sj < w) out[base + i * w + j] = x[base + si * w + sj];
      }
    }
  }
  return out;
}

/** Moves the image by a whole number of pixels drawn uniformly from −max..max on each axis. */
export function randomShift(maxPixels: number): Transform {
  if (!Number.isInteger(maxPixels) || maxPixels < 0)
    throw new StrataError('randomShift', `maxPixels must be an integer >= 0, got ${maxPixels}`);
  return (x, shape, gen) => {
    const [c, h, w] = hw('randomShift', shape);
    const dy = gen.int(2 * maxPixels + 1) - maxPixels;
    const dx = gen.int(2 * maxPixels + 1) - maxPixels;
    return shifted(x, c, h, w, dy, dx);
  };
}

/** Rotates about the centre by an angle drawn uniformly from ±maxDegrees, bilinear. */
export function randomRotation(maxDegrees: number): Transform {
  if (!(maxDegrees >= 0 && maxDegrees <= 180))
    throw new StrataError('randomRotation', `maxDegrees must be in [0, 180], got ${maxDegrees}`);
  return (x, shape, gen) => {
    const [c, h, w] = hw('randomRotation', shape);
    const a = (gen.uniform(-maxDegrees, maxDegrees) * Math.PI) / 180;
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    const cy = (h - 1) / 2;
    const cx = (w - 1) / 2;
    const out = new Float32Array(x.length);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        // The source point that lands on (i, j).
        const sy = cos * (i - cy) + sin * (j - cx) + cy;
        const sx = -sin * (i - cy) + cos * (j - cx) + cx;
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const fy = sy - y0;
        const fx = sx - x0;
        for (let ch = 0; ch < c; ch++) {
          const base = ch * h * w;
          const at = (y: number, xx: number) =>
            y >= 0 && y < h && xx >= 0 && xx < w ? x[base + y * w + xx] : 0;
          out[base + i * w + j] =
            (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
            fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        }
      }
    return out;
  };
}

/** Mirrors the image left–right (and/or top–bottom) with probability p (default 0.5). */
export function randomFlip(opts: { horizontal?: boolean; vertical?: boolean; p?: number } = {}): Transform {
  const horizontal = opts.horizontal ?? true;
  const vertical = opts.vertical ?? false;
  const p = opts.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new StrataError('randomFlip', `p must be in [0, 1], got ${p}`);
  return (x, shape, gen) => {
    const [c, h, w] = hw('randomFlip', shape);
    const fh = horizontal && gen.random() < p;
    const fv = vertical && gen.random() < p;
    if (!fh && !fv) return x;
    const out = new Float32Array(x.length);
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          out[ch * h * w + i * w + j] = x[ch * h * w + (fv ? h - 1 - i : i) * w + (fh ? w - 1 - j : j)];
    return out;
  };
}

/**
 * Pads the image by `padding` zeros on every side and crops a window of the original size at a random
 * place (torchvision's RandomCrop(size, padding)); equivalent to a random shift of up to `padding`.
 */
export function randomCrop(padding: number): Transform {
  if (!Number.isInteger(padding) || padding < 0)
    throw new StrataError('randomCrop', `padding must be an integer >= 0, got ${padding}`);
  return (x, shape, gen) => {
    const [c, h, w] = hw('randomCrop', shape);
    const top = gen.int(2 * padding + 1);
    const left = gen.int(2 * padding + 1);
    return shifted(x, c, h, w, padding - top, padding - left);
  };
}

/** Applies transforms one after another. */
export function compose(...ts: Transform[]): Transform {
  return (x, shape, gen: Generator) => ts.reduce((acc, t) => t(acc, shape, gen), x);
}
