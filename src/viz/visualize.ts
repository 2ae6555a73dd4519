import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StrataError } from '../core/errors.js';
import { stratifiedSplit } from '../data/dataset.js';
import { loadMnistPackage } from '../data/mnist.js';
import { readImage } from '../data/images.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadModel } from '../io/model.js';
import type { Model } from '../models/model.js';
import { evaluate } from '../train/fit.js';
import {
  type ChartSpec,
  type CurvePoint,
  confusionSpec,
  curvesSpec,
  probabilitiesSpec,
  renderChartsSync,
} from './charts.js';
import { argmaxOf, convFilters, featureMaps } from './featuremaps.js';
import { encodeRaster } from './png.js';
import { featureMapsPng, filtersPng, layerPng } from './pictures.js';
import { upscale } from './tiles.js';

/**
 * `strata visualize <model> <image> --out DIR`: the pictures of one input going through a saved model —
 * the input, every layer's feature maps (one PNG per layer and one overview), the learned filters of each
 * convolution layer, the class probabilities, and, when the model's folder holds them, the training
 * curves and the confusion matrix (for a model trained on the bundled digits, computed on the held-out
 * part its metadata names).
 */

export interface VisualizeOptions {
  out: string;
  /** Per-epoch logs; default: history.json beside the model, or the model's metadata. */
  history?: readonly CurvePoint[];
  /** Confusion matrix; default: confusion.json beside the model, or the model's metadata. */
  confusion?: readonly (readonly number[])[];
  /** Use 1 − value (for dark digits on a light background; MNIST digits are light on dark). */
  invert?: boolean;
}

export interface VisualizeResult {
  files: string[];
  predicted: number;
  className: string;
  probabilities: number[];
  label?: number;
}

/** An input from a file (PNG/JPEG, the model's size) or `mnist:<index>` (a bundled digit, 0–9999). */
export function loadExample(
  spec: string,
  shape: readonly number[],
): { x: Float32Array; label?: number; source: string } {
  const m = /^mnist:(\d+)$/.exec(spec);
  if (m) {
    const d = loadMnistPackage();
    const i = Number(m[1]);
    if (i >= d.y.length)
      throw new StrataError('visualize', `mnist:${i} is out of range (0..${d.y.length - 1})`);
    const per = d.shape.reduce((a, b) => a * b, 1);
    const want = shape.reduce((a, b) => a * b, 1);
    if (per !== want)
      throw new StrataError(
        'visualize',
        `the model expects input [${shape}], the bundled digits are [${d.shape}]`,
      );
    return { x: d.x.slice(i * per, (i + 1) * per), label: d.y[i], source: `bundled MNIST digit #${i}` };
  }
  const img = readImage(spec, shape);
  return { x: img.data, source: spec };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new StrataError('visualize', `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Training history and confusion matrix saved beside a model, when there are any. */
export function findTrainingRecords(
  modelPath: string,
  metadata?: Record<string, unknown>,
): { history?: CurvePoint[]; confusion?: number[][] } {
  const dir = existsSync(modelPath) && statSync(modelPath).isDirectory() ? modelPath : dirname(modelPath);
  const out: { history?: CurvePoint[]; confusion?: number[][] } = {};
  const h = join(dir, 'history.json');
  const c = join(dir, 'confusion.json');
  const hist = existsSync(h) ? readJson(h) : metadata?.history;
  const cm = existsSync(c) ? readJson(c) : (metadata?.confusion ?? metadata?.confusionMatrix);
  if (
    Array.isArray(hist) &&
    hist.every((e) => e && typeof e.epoch === 'number' && typeof e.loss === 'number')
  )
    out.history = hist as CurvePoint[];
  else if (hist && typeof hist === 'object' && Array.isArray((hist as { history?: unknown }).history))
    out.history = (hist as { history: CurvePoint[] }).history;
  const matrix =
    cm && typeof cm === 'object' && !Array.isArray(cm) ? (cm as { matrix?: unknown }).matrix : cm;
  if (Array.isArray(matrix) && matrix.every((r) => Array.isArray(r))) out.confusion = matrix as number[][];
  return out;
}

/** Writes every picture of `model` for one input into `opts.out`. */
export function visualizeModel(
  model: Model,
  input: { x: Float32Array; label?: number },
  opts: VisualizeOptions & { classNames?: readonly string[] },
): VisualizeResult {
  const out = opts.out;
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const put = (name: string, data: Uint8Array | string) => {
    const p = join(out, name);
    writeFileAtomic(p, data);
    files.push(p);
  };
  const x = opts.invert ? input.x.map((v) => 1 - v) : input.x;
  const fm = featureMaps(model, x);
  const names = opts.classNames ?? Array.from(fm.output, (_, i) => String(i));
  put(
    'input.png',
    encodeRaster(
      upscale(fm.input.tiles[0].raster, Math.max(1, Math.floor(224 / fm.input.tiles[0].raster.height))),
    ),
  );
  put('featuremaps.png', featureMapsPng(fm, `Feature maps of ${model.name}`));
  fm.layers.forEach((l, i) => {
    put(`featuremaps/${String(i + 1).padStart(2, '0')}-${l.name}.png`, layerPng(l));
  });
  for (const f of convFilters(model)) put(`filters/${f.layer}.png`, filtersPng(f));
  const pred = argmaxOf(fm.output);
  const charts: [string, ChartSpec][] = [
    ['probabilities', probabilitiesSpec(fm.output, names, `Prediction: ${names[pred]}`)],
  ];
  if (opts.history?.length) charts.push(['curves', curvesSpec(opts.history)]);
  if (opts.confusion?.length) charts.push(['confusion', confusionSpec(opts.confusion, names)]);
  renderChartsSync(charts.map((c) => c[1])).forEach(({ svg, png }, i) => {
    put(`${charts[i][0]}.svg`, svg);
    put(`${charts[i][0]}.png`, png);
  });
  return {
    files,
    predicted: pred,
    className: names[pred],
    probabilities: Array.from(fm.output),
    label: input.label,
  };
}

/**
 * The confusion matrix on the held-out digits a model trained on the bundled digits did not see: its
 * metadata records the split (`strata train` saves `data: { kind: 'mnist', split: { holdout, seed } }`).
 */
export function heldOutConfusion(model: Model, metadata?: Record<string, unknown>): number[][] | undefined {
  const data = metadata?.data as { kind?: string; split?: { holdout?: number; seed?: number } } | undefined;
  if (data?.kind !== 'mnist' || typeof data.split?.holdout !== 'number') return undefined;
  const { test } = stratifiedSplit(loadMnistPackage(), data.split.holdout, data.split.seed ?? 0);
  return evaluate(model, test).confusion;
}

/** `strata visualize`: loads the model and the input, writes the pictures. */
export function visualize(modelPath: string, image: string, opts: VisualizeOptions): VisualizeResult {
  const { model, classNames, metadata } = loadModel(modelPath);
  const ex = loadExample(image, model.inputShapes[0]);
  const rec = findTrainingRecords(modelPath, metadata);
  if (!opts.confusion && !rec.confusion) rec.confusion = heldOutConfusion(model, metadata);
  return visualizeModel(model, ex, {
    ...opts,
    classNames,
    history: opts.history ?? rec.history,
    confusion: opts.confusion ?? rec.confusion,
  });
}
