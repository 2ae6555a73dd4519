import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { encodeRaster } from './png.js';
import type { Raster, Tile } from './tiles.js';
import { upscale } from './tiles.js';

/**
 * SVG → PNG through resvg, with a real font: resvg draws no text without one, and loading every system
 * font is slow, so the first of a few common TrueType files found is loaded by path (Debian's
 * fonts-dejavu-core or fonts-liberation, which chromium's dependencies bring). STRATA_FONT overrides.
 */

const CANDIDATES: [string, string][] = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['/usr/share/fonts/TTF/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/usr/share/fonts/dejavu/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/Library/Fonts/Arial.ttf', 'Arial'],
  ['C:\\Windows\\Fonts\\arial.ttf', 'Arial'],
];

export interface FontChoice {
  /** The font file loaded, or null when none was found (then system fonts are searched). */
  file: string | null;
  family: string;
}

let chosen: FontChoice | null = null;

/** The font the PNGs use (found once). */
export function chartFont(): FontChoice {
  if (chosen) return chosen;
  const env = process.env.STRATA_FONT;
  if (env && existsSync(env)) chosen = { file: env, family: process.env.STRATA_FONT_FAMILY ?? 'sans-serif' };
  else {
    const hit = CANDIDATES.find(([f]) => existsSync(f));
    chosen = hit ? { file: hit[0], family: hit[1] } : { file: null, family: 'sans-serif' };
  }
  if (!chosen.file)
    process.emitWarning(
      'no TrueType font found in the usual places: text in PNG pictures may be missing (install fonts-dejavu-core, or set STRATA_FONT to a .ttf file)',
    );
  return chosen;
}

/** PNG bytes of an SVG document, scaled by `zoom`. */
export function svgToPng(svg: string, zoom = 1): Uint8Array {
  const f = chartFont();
  const r = new Resvg(svg, {
    font: f.file
      ? {
          loadSystemFonts: false,
          fontFiles: [f.file],
          defaultFontFamily: f.family,
          sansSerifFamily: f.family,
          serifFamily: f.family,
          monospaceFamily: f.family,
        }
      : { loadSystemFonts: true },
    fitTo: zoom === 1 ? { mode: 'original' } : { mode: 'zoom', value: zoom },
    background: 'white',
    logLevel: 'off',
  });
  return new Uint8Array(r.render().asPng());
}

export function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/** A piece of an SVG page: markup drawn at (0, 0) and its size. */
export interface SvgBlock {
  body: string;
  width: number;
  height: number;
}

const FONT = 'font-family="sans-serif"';

export function textBlock(
  text: string,
  size = 14,
  weight: 'normal' | 'bold' = 'normal',
  color = '#222',
): SvgBlock {
  const width = Math.ceil(text.length * size * 0.6) + 4;
  return {
    body: `<text x="0" y="${Math.round(size * 0.95)}" ${FONT} font-size="${size}" font-weight="${weight}" fill="${color}">${escapeXml(text)}</text>`,
    width,
    height: Math.round(size * 1.3),
  };
}

/** A raster as an embedded PNG, enlarged by `scale` with hard pixel edges. */
export function rasterBlock(r: Raster, scale = 1): SvgBlock {
  const big = upscale(r, scale);
  return {
    body: `<image x="0" y="0" width="${big.width}" height="${big.height}" href="${pngDataUri(encodeRaster(big))}"/>`,
    width: big.width,
    height: big.height,
  };
}

/** Blocks one under the other (`gap` pixels apart). */
export function vstack(blocks: SvgBlock[], gap = 6): SvgBlock {
  let y = 0;
  const parts: string[] = [];
  for (const b of blocks) {
    parts.push(`<g transform="translate(0,${y})">${b.body}</g>`);
    y += b.height + gap;
  }
  return {
    body: parts.join(''),
    width: Math.max(0, ...blocks.map((b) => b.width)),
    height: Math.max(0, y - gap),
  };
}

/** Blocks side by side (`gap` apart), wrapping to a new row past `maxWidth`. */
export function flow(blocks: SvgBlock[], maxWidth: number, gap = 6): SvgBlock {
  const parts: string[] = [];
  let x = 0;
  let y = 0;
  let rowH = 0;
  let width = 0;
  for (const b of blocks) {
    if (x > 0 && x + b.width > maxWidth) {
      x = 0;
      y += rowH + gap;
      rowH = 0;
    }
    parts.push(`<g transform="translate(${x},${y})">${b.body}</g>`);
    x += b.width + gap;
    width = Math.max(width, x - gap);
    rowH = Math.max(rowH, b.height);
  }
  return { body: parts.join(''), width, height: y + rowH };
}

/** Adds a margin around a block. */
export function pad(b: SvgBlock, m: number): SvgBlock {
  return {
    body: `<g transform="translate(${m},${m})">${b.body}</g>`,
    width: b.width + 2 * m,
    height: b.height + 2 * m,
  };
}

/** A complete SVG document of a block on white. */
export function svgDocument(b: SvgBlock): string {
  const w = Math.max(1, Math.ceil(b.width));
  const h = Math.max(1, Math.ceil(b.height));
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><rect width="${w}" height="${h}" fill="white"/>${b.body}</svg>`;
}

/** The enlargement that makes a tile about `target` pixels tall (1 to 24). */
export function tileScale(t: Raster, target = 64): number {
  return Math.max(1, Math.min(24, Math.floor(target / Math.max(t.height, t.width / 4, 1))));
}

/**
 * A titled section of tiles: the title (layer name, type, shape) above a wrapped row of tiles, each
 * with its label under it when the tile is wide enough for text.
 */
export function tilesSection(
  title: string,
  subtitle: string,
  tiles: Tile[],
  maxWidth = 760,
  scaleBy?: number,
  alwaysLabel = false,
): SvgBlock {
  const scale = scaleBy ?? (tiles.length ? Math.min(...tiles.map((t) => tileScale(t.raster))) : 1);
  const cells = tiles.map((t) => {
    const img = rasterBlock(t.raster, scale);
    const label = textBlock(t.label, 10, 'normal', '#555');
    if (img.width >= label.width || tiles.length === 1) return vstack([img, label], 2);
    // A label wider than its tile: shown when asked (the cell widens), else left out.
    return alwaysLabel ? { ...vstack([img, label], 2), width: label.width } : img;
  });
  const head = [textBlock(title, 15, 'bold')];
  if (subtitle) head.push(textBlock(subtitle, 11, 'normal', '#555'));
  return vstack([...head, flow(cells, maxWidth, 6)], 4);
}
