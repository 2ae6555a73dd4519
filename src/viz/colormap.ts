/**
 * Colour maps: numbers → RGBA pixels. Pure functions over typed arrays, with no Node or DOM imports,
 * so the explorer page draws its canvases with the same code the PNG writer uses.
 */

export type ColorMap = 'gray' | 'viridis' | 'diverging';

/** The value range a picture is scaled to. */
export interface Range {
  min: number;
  max: number;
}

/** Smallest and largest finite value (0..0 for an empty or all-NaN array). */
export function rangeOf(v: ArrayLike<number>): Range {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}

/** A range symmetric around zero (for signed values such as filters). */
export function symmetricRange(r: Range): Range {
  const m = Math.max(Math.abs(r.min), Math.abs(r.max));
  return { min: -m, max: m };
}

// Viridis sampled at 9 points (matplotlib's table, every 32nd entry), interpolated linearly.
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

function lerpTable(table: [number, number, number][], t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (table.length - 1);
  const i = Math.min(table.length - 2, Math.floor(x));
  const f = x - i;
  const a = table[i];
  const b = table[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** The colour of t in [0, 1] (diverging: 0 blue, ½ white, 1 red). */
export function colorAt(map: ColorMap, t: number): [number, number, number] {
  if (!(t >= 0)) t = 0;
  if (t > 1) t = 1;
  if (map === 'gray') {
    const g = 255 * t;
    return [g, g, g];
  }
  if (map === 'viridis') return lerpTable(VIRIDIS, t);
  // Blue (59,76,192) → white → red (180,4,38), as the 'coolwarm' ends.
  return t < 0.5
    ? lerpTable(
        [
          [59, 76, 192],
          [245, 245, 245],
        ],
        t * 2,
      )
    : lerpTable(
        [
          [245, 245, 245],
          [180, 4, 38],
        ],
        t * 2 - 1,
      );
}

/**
 * RGBA pixels (row-major, 4 bytes each) of `values` scaled from `range` to the colour map. A constant
 * picture (max = min) maps to the colour of 0 (gray, viridis) or of the middle (diverging).
 */
export function toRGBA(
  values: ArrayLike<number>,
  map: ColorMap,
  range: Range = rangeOf(values),
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(values.length * 4);
  const span = range.max - range.min;
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const c = colorAt(map, i / 255);
    lut[i * 3] = c[0];
    lut[i * 3 + 1] = c[1];
    lut[i * 3 + 2] = c[2];
  }
  const flat = map === 'diverging' ? 128 : 0;
  for (let i = 0; i < values.length; i++) {
    const t = span > 0 ? (values[i] - range.min) / span : -1;
    const k = t < 0 && span <= 0 ? flat : Math.round(Math.min(1, Math.max(0, t || 0)) * 255);
    out[i * 4] = lut[k * 3];
    out[i * 4 + 1] = lut[k * 3 + 1];
    out[i * 4 + 2] = lut[k * 3 + 2];
    out[i * 4 + 3] = 255;
  }
  return out;
}
