import { type ColorMap, type Range, rangeOf, symmetricRange, toRGBA } from './colormap.js';

/**
 * Pictures of tensors as tiles of RGBA pixels: one tile per channel of a feature map, 3-D maps as a
 * row of depth slices, sequences as a heat strip per channel, vectors as a bar strip. Pure code over
 * typed arrays (no Node, no DOM): the PNG writer and the explorer page's canvases share it.
 */

/** RGBA pixels, row-major, 4 bytes per pixel. */
export interface Raster {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface Tile {
  /** What the tile shows: `ch 3`, `filter 2`, `values`. */
  label: string;
  raster: Raster;
}

/** How a tensor (without batch axis) is drawn. */
export type PictureKind = 'image' | 'volume' | 'sequence' | 'vector';

export interface TensorPicture {
  kind: PictureKind;
  shape: number[];
  tiles: Tile[];
  /** Channels in the tensor, and how many got a tile (large layers are cut at `maxTiles`). */
  channels: number;
  shown: number;
  /** The value range over everything shown. */
  range: Range;
}

export interface PictureOptions {
  /** Scale each channel to its own range (default) or all channels to the layer's range. */
  scaling?: 'channel' | 'layer';
  /** Colour map; default gray for the input, viridis for non-negative maps, diverging for signed ones. */
  colorMap?: ColorMap;
  /** At most this many channel tiles (default 64). */
  maxTiles?: number;
  /** At most this many depth slices of a 3-D map (default 16). */
  maxSlices?: number;
}

export function emptyRaster(
  width: number,
  height: number,
  rgba: [number, number, number, number] = [255, 255, 255, 255],
): Raster {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set(rgba, i * 4);
  return { width, height, data };
}

/** Copies `src` into `dst` with its top-left corner at (x, y), clipped. */
export function blit(dst: Raster, src: Raster, x: number, y: number): void {
  for (let r = 0; r < src.height; r++) {
    const dy = y + r;
    if (dy < 0 || dy >= dst.height) continue;
    for (let c = 0; c < src.width; c++) {
      const dx = x + c;
      if (dx < 0 || dx >= dst.width) continue;
      const s = (r * src.width + c) * 4;
      const d = (dy * dst.width + dx) * 4;
      dst.data[d] = src.data[s];
      dst.data[d + 1] = src.data[s + 1];
      dst.data[d + 2] = src.data[s + 2];
      dst.data[d + 3] = src.data[s + 3];
    }
  }
}

/** Enlarges by an integer factor, each pixel becoming a k×k block (no smoothing). */
export function upscale(r: Raster, k: number): Raster {
  if (k === 1) return r;
  const out = new Uint8ClampedArray(r.width * k * r.height * k * 4);
  const W = r.width * k;
  for (let y = 0; y < r.height * k; y++) {
    const sy = Math.floor(y / k);
    for (let x = 0; x < W; x++) {
      const s = (sy * r.width + Math.floor(x / k)) * 4;
      const d = (y * W + x) * 4;
      out[d] = r.data[s];
      out[d + 1] = r.data[s + 1];
      out[d + 2] = r.data[s + 2];
      out[d + 3] = r.data[s + 3];
    }
  }
  return { width: W, height: r.height * k, data: out };
}

/** A grid of rasters (row-major) with `gap` pixels between them, on `background`. */
export function grid(
  rasters: Raster[],
  cols: number,
  gap = 2,
  background: [number, number, number, number] = [255, 255, 255, 255],
): Raster {
  if (rasters.length === 0) return emptyRaster(1, 1, background);
  const cw = Math.max(...rasters.map((r) => r.width));
  const ch = Math.max(...rasters.map((r) => r.height));
  const c = Math.max(1, Math.min(cols, rasters.length));
  const rows = Math.ceil(rasters.length / c);
  const out = emptyRaster(c * cw + (c - 1) * gap, rows * ch + (rows - 1) * gap, background);
  rasters.forEach((r, i) => {
    blit(out, r, (i % c) * (cw + gap), Math.floor(i / c) * (ch + gap));
  });
  return out;
}

/** A horizontal bar per value, drawn upward from zero (downward for negatives), `barWidth` pixels each. */
export function barStrip(values: ArrayLike<number>, height = 48, barWidth = 4, range?: Range): Raster {
  const n = values.length;
  const r = range ?? rangeOf(values);
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  const span = hi - lo || 1;
  const zeroY = Math.round(((hi - 0) / span) * (height - 1));
  const out = emptyRaster(n * barWidth, height, [250, 250, 250, 255]);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const y = Math.round(((hi - v) / span) * (height - 1));
    const [top, bottom] = y <= zeroY ? [y, zeroY] : [zeroY, y];
    const col: [number, number, number, number] = v >= 0 ? [49, 104, 142, 255] : [180, 4, 38, 255];
    for (let yy = top; yy <= bottom; yy++)
      for (let x = i * barWidth; x < (i + 1) * barWidth - (barWidth > 2 ? 1 : 0); x++)
        out.data.set(col, (yy * out.width + x) * 4);
  }
  // The zero line.
  for (let x = 0; x < out.width; x++) out.data.set([120, 120, 120, 255], (zeroY * out.width + x) * 4);
  return out;
}

function pickMap(opts: PictureOptions, r: Range): ColorMap {
  return opts.colorMap ?? (r.min < 0 ? 'diverging' : 'viridis');
}

function scaled(map: ColorMap, r: Range): Range {
  return map === 'diverging' ? symmetricRange(r) : r;
}

/**
 * The picture of one tensor without its batch axis: [C,H,W] → one tile per channel; [C,D,H,W] → per
 * channel a row of depth slices; [C,L] → one heat strip per channel (rows of one tile); [N] → a bar
 * strip. Other ranks are flattened to a vector.
 */
export function tensorPicture(
  values: Float32Array | Float64Array,
  shape: readonly number[],
  opts: PictureOptions = {},
): TensorPicture {
  const maxTiles = opts.maxTiles ?? 64;
  const range = rangeOf(values);
  const map = pickMap(opts, range);
  const layerRange = scaled(map, range);
  const chanRange = (v: ArrayLike<number>) =>
    opts.scaling === 'layer' ? layerRange : scaled(map, rangeOf(v));
  const s = [...shape];
  if (s.length === 3) {
    const [C, H, W] = s;
    const shown = Math.min(C, maxTiles);
    const tiles: Tile[] = [];
    for (let c = 0; c < shown; c++) {
      const v = values.subarray(c * H * W, (c + 1) * H * W);
      tiles.push({ label: `ch ${c}`, raster: { width: W, height: H, data: toRGBA(v, map, chanRange(v)) } });
    }
    return { kind: 'image', shape: s, tiles, channels: C, shown, range };
  }
  if (s.length === 4) {
    const [C, D, H, W] = s;
    const shown = Math.min(C, maxTiles);
    const slices = Math.min(D, opts.maxSlices ?? 16);
    const tiles: Tile[] = [];
    for (let c = 0; c < shown; c++) {
      const v = values.subarray(c * D * H * W, (c + 1) * D * H * W);
      const r = chanRange(v);
      const parts: Raster[] = [];
      for (let d = 0; d < slices; d++) {
        const sv = v.subarray(d * H * W, (d + 1) * H * W);
        parts.push({ width: W, height: H, data: toRGBA(sv, map, r) });
      }
      tiles.push({
        label: `ch ${c} (${slices}/${D} slices)`,
        raster: grid(parts, slices, 1, [255, 255, 255, 255]),
      });
    }
    return { kind: 'volume', shape: s, tiles, channels: C, shown, range };
  }
  if (s.length === 2) {
    const [C, L] = s;
    const shown = Math.min(C, maxTiles);
    const data = new Uint8ClampedArray(shown * L * 4);
    for (let c = 0; c < shown; c++) {
      const v = values.subarray(c * L, (c + 1) * L);
      data.set(toRGBA(v, map, chanRange(v)), c * L * 4);
    }
    return {
      kind: 'sequence',
      shape: s,
      tiles: [{ label: `${shown} channels × ${L} steps`, raster: { width: L, height: shown, data } }],
      channels: C,
      shown,
      range,
    };
  }
  const n = values.length;
  const shownN = Math.min(n, 512);
  const v = values.subarray(0, shownN);
  const bw = shownN <= 16 ? 12 : shownN <= 64 ? 6 : shownN <= 200 ? 3 : 1;
  return {
    kind: 'vector',
    shape: s,
    tiles: [{ label: `${shownN}${shownN < n ? ` of ${n}` : ''} values`, raster: barStrip(v, 48, bw) }],
    channels: n,
    shown: shownN,
    range,
  };
}

/**
 * Pictures of convolution weights [F, C/groups, ...K]: one tile per filter (its input channels side by
 * side), all on one symmetric range so signs and sizes compare across filters. 1-D kernels are strips,
 * 3-D kernels show their depth slices.
 */
export function filterPicture(
  values: Float32Array | Float64Array,
  shape: readonly number[],
  opts: { maxTiles?: number; maxChannels?: number } = {},
): TensorPicture {
  const [F, Cg, ...K] = shape;
  const per = Cg * K.reduce((a, b) => a * b, 1);
  const range = rangeOf(values);
  const r = symmetricRange(range);
  const shown = Math.min(F, opts.maxTiles ?? 64);
  const chans = Math.min(Cg, opts.maxChannels ?? 8);
  const [kh, kw] = K.length === 1 ? [1, K[0]] : K.length === 2 ? K : [K[1], K[2]];
  const depth = K.length === 3 ? K[0] : 1;
  const tiles: Tile[] = [];
  for (let f = 0; f < shown; f++) {
    const parts: Raster[] = [];
    for (let c = 0; c < chans; c++)
      for (let d = 0; d < depth; d++) {
        const off = f * per + (c * depth + d) * kh * kw;
        parts.push({
          width: kw,
          height: kh,
          data: toRGBA(values.subarray(off, off + kh * kw), 'diverging', r),
        });
      }
    tiles.push({
      label: `filter ${f}${Cg > 1 ? ` (${chans}/${Cg} in-channels${depth > 1 ? ` × ${depth} slices` : ''})` : ''}`,
      raster: grid(parts, parts.length, 1, [255, 255, 255, 255]),
    });
  }
  return { kind: 'image', shape: [...shape], tiles, channels: F, shown, range };
}

/** Draws a small cross (a marker) centred on pixel (x, y), in place. */
export function markCross(
  r: Raster,
  x: number,
  y: number,
  rgba: [number, number, number, number] = [228, 26, 28, 255],
  arm = 2,
): Raster {
  for (let d = -arm; d <= arm; d++) {
    for (const [px, py] of [
      [x + d, y],
      [x, y + d],
    ])
      if (px >= 0 && px < r.width && py >= 0 && py < r.height) r.data.set(rgba, (py * r.width + px) * 4);
  }
  return r;
}
