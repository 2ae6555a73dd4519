import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../core/tensor.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Model } from '../models/model.js';
import {
  type ChartSpec,
  type CurvePoint,
  chartSvgsSync,
  confusionSpec,
  curvesSpec,
  probabilitiesSpec,
} from './charts.js';
import { argmaxOf, convFilters, featureMaps } from './featuremaps.js';
import { encodeRaster } from './png.js';
import { formatValue, pictureGrid, shapeText } from './pictures.js';
import { escapeXml } from './render.js';
import { upscale } from './tiles.js';

/**
 * The HTML report of a trained classifier: the input digit, every layer's feature maps in order, the
 * prediction with its probabilities, the training curves and the confusion matrix — one self-contained
 * file (pictures embedded as PNG and SVG data URIs), the article's figure drawn from the real model.
 */

export interface ReportSample {
  /** One example without batch axis (values in the model's input shape), or a batch of one. */
  x: Float32Array | Tensor;
  /** Its true class, when known. */
  label?: number;
}

export interface ReportOptions {
  /** Per-epoch logs from `fit` (loss, accuracy, valLoss, valAccuracy). */
  history?: readonly CurvePoint[];
  /** Confusion matrix on held-out data: rows true class, columns predicted. */
  confusion?: readonly (readonly number[])[];
  /** The example whose feature maps are shown (a digit, say). */
  sample: ReportSample | Float32Array;
  classNames?: readonly string[];
  /** Folder to write report.html into (created if missing). */
  outDir: string;
  /** File name (default report.html). */
  fileName?: string;
  title?: string;
  /** Numbers to list at the top (test accuracy, epochs, seconds …). */
  facts?: Record<string, string | number>;
}

const CSS = `
body{font-family:system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 16px}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 2px}p.meta{color:#555;font-size:13px;margin:0 0 6px}
img.px{image-rendering:pixelated}table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;text-align:right}
th{border-bottom:1px solid #ccc}tr.best td{font-weight:bold;color:#c0392b}pre{background:#f6f6f6;padding:10px;font-size:12px;overflow:auto}
.row{display:flex;gap:32px;align-items:flex-start;flex-wrap:wrap}figure{margin:0}figcaption{font-size:12px;color:#555}
nav a{margin-right:12px;font-size:13px}
`;

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function pngImg(png: Uint8Array, alt: string, cls = 'px'): string {
  return `<img class="${cls}" alt="${escapeXml(alt)}" src="data:image/png;base64,${b64(png)}">`;
}

function svgImg(svg: string, alt: string): string {
  return `<img alt="${escapeXml(alt)}" src="data:image/svg+xml;base64,${b64(new TextEncoder().encode(svg))}">`;
}

/** The report's HTML text (see writeReport). */
export function reportHtml(model: Model, opts: Omit<ReportOptions, 'outDir' | 'fileName'>): string {
  const sample: ReportSample = opts.sample instanceof Float32Array ? { x: opts.sample } : opts.sample;
  const fm = featureMaps(model, sample.x);
  const names = opts.classNames ?? Array.from(fm.output, (_, i) => String(i));
  const pred = argmaxOf(fm.output);
  // Every chart in one round trip to the renderer.
  const specs: ChartSpec[] = [probabilitiesSpec(fm.output, names)];
  if (opts.history?.length) specs.push(curvesSpec(opts.history));
  if (opts.confusion?.length) specs.push(confusionSpec(opts.confusion, names));
  const svgs = chartSvgsSync(specs);
  const probSvg = svgs[0];
  const curvesSvg = opts.history?.length ? svgs[1] : '';
  const confusionSvg = opts.confusion?.length ? svgs[svgs.length - 1] : '';
  const title = opts.title ?? `Strata report: ${model.name}`;
  const parts: string[] = [];
  parts.push(`<h1>${escapeXml(title)}</h1>`);
  parts.push(
    '<nav><a href="#input">input</a><a href="#prediction">prediction</a><a href="#maps">feature maps</a><a href="#filters">filters</a><a href="#curves">training curves</a><a href="#confusion">confusion matrix</a><a href="#summary">network</a></nav>',
  );
  if (opts.facts && Object.keys(opts.facts).length)
    parts.push(
      `<table>${Object.entries(opts.facts)
        .map(
          ([k, v]) =>
            `<tr><th style="text-align:left">${escapeXml(k)}</th><td>${escapeXml(String(v))}</td></tr>`,
        )
        .join('')}</table>`,
    );

  // Input and prediction side by side.
  const inputPng = encodeRaster(
    upscale(fm.input.tiles[0].raster, Math.max(1, Math.floor(168 / fm.input.tiles[0].raster.height))),
  );
  const probRows = Array.from(fm.output)
    .map(
      (p, i) =>
        `<tr class="${i === pred ? 'best' : ''}"><td>${escapeXml(names[i] ?? String(i))}</td><td>${(100 * p).toFixed(2)} %</td></tr>`,
    )
    .join('');
  parts.push('<div class="row">');
  parts.push(
    `<section id="input"><h2>The input</h2>${pngImg(inputPng, 'input example')}<p class="meta">${shapeText(fm.input.shape)}${sample.label !== undefined ? ` · true class ${escapeXml(names[sample.label] ?? String(sample.label))}` : ''}</p></section>`,
  );
  parts.push(
    `<section id="prediction"><h2>The prediction: ${escapeXml(names[pred] ?? String(pred))}</h2><p class="meta">${(100 * fm.output[pred]).toFixed(2)} % ${sample.label !== undefined ? (sample.label === pred ? '(correct)' : '(wrong)') : ''}</p><div class="row">${svgImg(probSvg, 'class probabilities')}<table><tr><th>class</th><th>probability</th></tr>${probRows}</table></div></section>`,
  );
  parts.push('</div>');

  // Feature maps in execution order.
  parts.push(
    '<section id="maps"><h2>Feature maps, layer by layer</h2><p class="meta">What each layer outputs for the input above, in the order the network runs. Tiles are one channel each; colours are scaled per channel (blue–white–red where values are signed, dark-to-yellow where they are not). Vectors are drawn as bars.</p>',
  );
  for (const l of fm.layers) {
    const p = l.picture;
    const cut = p.shown < p.channels ? ` · first ${p.shown} of ${p.channels} channels` : '';
    parts.push(
      `<figure data-layer="${escapeXml(l.name)}"><h3>${escapeXml(l.name)}</h3><p class="meta">${escapeXml(l.type)} · output ${shapeText(l.shape)} · values ${formatValue(p.range.min)} … ${formatValue(p.range.max)}${cut}</p>${pngImg(encodeRaster(pictureGrid(p)), `${l.name} feature maps`)}</figure>`,
    );
  }
  parts.push('</section>');

  const filters = convFilters(model);
  parts.push('<section id="filters"><h2>Learned filters</h2>');
  if (filters.length === 0) parts.push('<p class="meta">The network has no convolution layer.</p>');
  for (const f of filters)
    parts.push(
      `<figure><h3>${escapeXml(f.layer)}</h3><p class="meta">${escapeXml(f.type)} · weight ${shapeText(f.shape)} · blue negative, red positive, one scale for the layer</p>${pngImg(encodeRaster(pictureGrid(f.picture, 48)), `${f.layer} filters`)}</figure>`,
    );
  parts.push('</section>');

  parts.push('<section id="curves"><h2>Training curves</h2>');
  if (opts.history?.length) {
    parts.push(svgImg(curvesSvg, 'training curves'));
    if (!opts.history.some((h) => h.valLoss !== undefined || h.valAccuracy !== undefined))
      parts.push(
        '<p class="meta">Training only: this run kept no validation data during training (the held-out result is in the confusion matrix below).</p>',
      );
  } else parts.push('<p class="meta">No training history was given.</p>');
  parts.push('</section><section id="confusion"><h2>Confusion matrix (held-out data)</h2>');
  if (opts.confusion?.length) {
    const cm = opts.confusion;
    const total = cm.flat().reduce((a, b) => a + b, 0);
    const right = cm.reduce((a, r, i) => a + (r[i] ?? 0), 0);
    parts.push(
      `<p class="meta">${right} of ${total} correct (${((100 * right) / (total || 1)).toFixed(2)} %)</p>`,
    );
    parts.push(svgImg(confusionSvg, 'confusion matrix'));
  } else parts.push('<p class="meta">No confusion matrix was given.</p>');
  parts.push(
    `</section><section id="summary"><h2>The network</h2><pre>${escapeXml(model.summary())}</pre></section>`,
  );

  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}

/** Writes `report.html` (self-contained) into `opts.outDir`; returns its path. */
export function writeReport(model: Model, opts: ReportOptions): string {
  const html = reportHtml(model, opts);
  mkdirSync(opts.outDir, { recursive: true });
  const path = join(opts.outDir, opts.fileName ?? 'report.html');
  writeFileAtomic(path, html);
  return path;
}
