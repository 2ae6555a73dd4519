import { decode, encode } from 'fast-png';
import type { Raster } from './tiles.js';

/** PNG bytes of an RGBA raster (fast-png: pure JavaScript, the same in Node and the browser). */
export function encodeRaster(r: Raster): Uint8Array {
  return encode({ width: r.width, height: r.height, data: r.data, channels: 4, depth: 8 });
}

/** An RGBA raster from PNG bytes (8- or 16-bit, gray, gray+alpha, RGB, RGBA or palette). */
export function decodeRaster(bytes: Uint8Array): Raster {
  const p = decode(bytes);
  const n = p.width * p.height;
  const ch = p.palette ? 1 : p.channels;
  const shift = p.depth === 16 ? 8 : 0;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    let rgba: number[];
    if (p.palette) {
      const e = p.palette[p.data[i]];
      rgba = [e[0], e[1], e[2], e.length > 3 ? (e[3] as number) : 255];
    } else {
      const v = (k: number) => (p.data[i * ch + k] as number) >> shift;
      rgba =
        ch === 1
          ? [v(0), v(0), v(0), 255]
          : ch === 2
            ? [v(0), v(0), v(0), v(1)]
            : ch === 3
              ? [v(0), v(1), v(2), 255]
              : [v(0), v(1), v(2), v(3)];
    }
    out.set(rgba, i * 4);
  }
  return { width: p.width, height: p.height, data: out };
}

/** Counts pixels that differ from the most common colour: 0 means a blank picture. */
export function nonBackgroundPixels(r: Raster): number {
  const counts = new Map<number, number>();
  const px = new Uint32Array(
    r.data.buffer.slice(r.data.byteOffset, r.data.byteOffset + r.width * r.height * 4),
  );
  for (const v of px) counts.set(v, (counts.get(v) ?? 0) + 1);
  let most = 0;
  for (const c of counts.values()) most = Math.max(most, c);
  return px.length - most;
}
