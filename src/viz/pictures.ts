import type { FeatureMaps, FilterPictures, LayerMaps } from './featuremaps.js';
import { encodeRaster } from './png.js';
import { pad, type SvgBlock, svgDocument, svgToPng, tileScale, tilesSection, vstack } from './render.js';
import { grid, type Raster, type TensorPicture, upscale } from './tiles.js';

/**
 * Feature maps and filters as labelled PNG pictures (SVG with the tiles embedded, text drawn by resvg
 * with a real font), and as plain tile grids for HTML pages that write their labels in HTML.
 */

export function shapeText(s: readonly number[]): string {
  return `[${s.join('×')}]`;
}

function subtitleOf(type: string, p: TensorPicture, extra = ''): string {
  const cut = p.shown < p.channels ? ` · first ${p.shown} of ${p.channels}` : '';
  const kind =
    p.kind === 'image'
      ? 'one tile per channel'
      : p.kind === 'volume'
        ? 'depth slices per channel'
        : p.kind === 'sequence'
          ? 'one row per channel'
          : 'bar per value';
  return `${type} · output ${shapeText(p.shape)} · ${kind}${cut}${extra}`;
}

export function layerBlock(l: LayerMaps): SvgBlock {
  return tilesSection(
    l.name,
    subtitleOf(
      l.type,
      l.picture,
      ` · range ${formatValue(l.picture.range.min)} … ${formatValue(l.picture.range.max)}`,
    ),
    l.picture.tiles,
  );
}

export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(2) : v.toFixed(a >= 10 ? 1 : 3);
}

/** PNG of one layer's feature maps, titled with its name, type and shape. */
export function layerPng(l: LayerMaps): Uint8Array {
  return svgToPng(svgDocument(pad(layerBlock(l), 10)));
}

/** PNG of the input and every layer's feature maps, one section per layer in order. */
export function featureMapsPng(fm: FeatureMaps, title = 'Feature maps'): Uint8Array {
  return svgToPng(svgDocument(pad(featureMapsBlock(fm, title), 12)));
}

export function featureMapsBlock(fm: FeatureMaps, title: string): SvgBlock {
  const input = tilesSection(
    'the example',
    `${shapeText(fm.input.shape)} · as given to the network`,
    fm.input.tiles,
  );
  return vstack([tilesSection(title, '', []), input, ...fm.layers.map(layerBlock)], 14);
}

/** PNG of one convolution layer's filters. */
export function filtersPng(f: FilterPictures): Uint8Array {
  const block = tilesSection(
    `${f.layer}: learned filters`,
    `${f.type} · weight ${shapeText(f.shape)} · blue negative, red positive, one scale for all filters`,
    f.picture.tiles,
  );
  return svgToPng(svgDocument(pad(block, 10)));
}

/** The tiles of a picture as one grid raster, enlarged to about `target` pixels per tile (for HTML). */
export function pictureGrid(p: TensorPicture, target = 64, maxWidth = 760): Raster {
  if (p.tiles.length === 0) return grid([], 1);
  const scale = Math.min(...p.tiles.map((t) => tileScale(t.raster, target)));
  const tiles = p.tiles.map((t) => upscale(t.raster, scale));
  const w = Math.max(...tiles.map((t) => t.width));
  const cols = Math.max(1, Math.floor((maxWidth + 4) / (w + 4)));
  return grid(tiles, cols, 4);
}

/** PNG bytes of `pictureGrid`. */
export function pictureGridPng(p: TensorPicture, target = 64): Uint8Array {
  return encodeRaster(pictureGrid(p, target));
}
