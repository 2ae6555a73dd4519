import { svgToPng } from './render.js';

/**
 * Charts through vega-lite (a declarative spec) → vega (headless, no canvas) → SVG, and resvg → PNG.
 * Specs are plain objects, built here from measured numbers; nothing is drawn by hand.
 */

/** A vega-lite spec as a plain object (checked by vega-lite when compiled). */
export type ChartSpec = Record<string, any>;

const CONFIG = {
  font: 'sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, anchor: 'start' },
};

/** The SVG text of a vega-lite spec. */
export async function chartSvg(spec: ChartSpec): Promise<string> {
  const full = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: CONFIG,
    ...spec,
  };
  // Loaded on first use: vega takes about 0.3 s to import, which `import 'strata'` should not pay.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(full as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG and PNG (at `zoom`, default 2 for sharp text) of a vega-lite spec. */
export async function renderChart(spec: ChartSpec, zoom = 2): Promise<{ svg: string; png: Uint8Array }> {
  const svg = await chartSvg(spec);
  return { svg, png: svgToPng(svg, zoom) };
}

/** One epoch's numbers as the training loop logs them (src/train EpochLogs). */
export interface CurvePoint {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** Loss and accuracy per epoch, training vs validation, side by side. */
export function curvesSpec(history: readonly CurvePoint[], title = 'Training curves'): ChartSpec {
  const rows: { epoch: number; metric: string; split: string; value: number }[] = [];
  for (const h of history) {
    rows.push({ epoch: h.epoch, metric: 'loss', split: 'training', value: h.loss });
    rows.push({ epoch: h.epoch, metric: 'accuracy', split: 'training', value: h.accuracy });
    if (h.valLoss !== undefined)
      rows.push({ epoch: h.epoch, metric: 'loss', split: 'validation', value: h.valLoss });
    if (h.valAccuracy !== undefined)
      rows.push({ epoch: h.epoch, metric: 'accuracy', split: 'validation', value: h.valAccuracy });
  }
  const panel = (metric: string, yTitle: string) => ({
    width: 280,
    height: 200,
    transform: [{ filter: `datum.metric === '${metric}'` }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: {
        field: 'split',
        type: 'nominal',
        title: null,
        scale: { domain: ['training', 'validation'], range: ['#3165a0', '#e4572e'] },
      },
    },
  });
  return {
    title,
    data: { values: rows },
    hconcat: [panel('loss', 'loss'), panel('accuracy', 'accuracy')],
  };
}

/** A confusion matrix (rows: true class, columns: predicted) as a heat map with the counts written in. */
export function confusionSpec(
  cm: readonly (readonly number[])[],
  classNames?: readonly string[],
  title = 'Confusion matrix',
): ChartSpec {
  const names = classNames ?? cm.map((_, i) => String(i));
  const rows: { actual: string; predicted: string; count: number; share: number }[] = [];
  cm.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) => {
      rows.push({ actual: names[i], predicted: names[j], count, share: count / total });
    });
  });
  const side = Math.max(200, 28 * names.length);
  return {
    title,
    data: { values: rows },
    width: side,
    height: side,
    encoding: {
      x: {
        field: 'predicted',
        type: 'ordinal',
        sort: names,
        title: 'predicted class',
        axis: { labelAngle: 0 },
      },
      y: { field: 'actual', type: 'ordinal', sort: names, title: 'true class' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'share',
            type: 'quantitative',
            title: 'share of row',
            scale: { domain: [0, 1], range: ['#ffffff', '#08306b'] },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#222' },
        },
      },
    ],
  };
}

/** Class probabilities as bars, the predicted class highlighted. */
export function probabilitiesSpec(
  probs: ArrayLike<number>,
  classNames?: readonly string[],
  title = 'Class probabilities',
): ChartSpec {
  const names = classNames ?? Array.from({ length: probs.length }, (_, i) => String(i));
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
  const rows = Array.from(probs, (p, i) => ({ class: names[i], p, predicted: i === best }));
  return {
    title,
    data: { values: rows },
    width: Math.max(200, 24 * rows.length),
    height: 140,
    mark: 'bar',
    encoding: {
      x: { field: 'class', type: 'ordinal', sort: names, title: 'class', axis: { labelAngle: 0 } },
      y: { field: 'p', type: 'quantitative', title: 'probability', scale: { domain: [0, 1] } },
      color: {
        field: 'predicted',
        type: 'nominal',
        legend: null,
        scale: { domain: [false, true], range: ['#9bb7d4', '#e4572e'] },
      },
      tooltip: [{ field: 'class' }, { field: 'p', format: '.4f' }],
    },
  };
}

/** Lines of y against x, one per series (the explain plots). */
export function linesSpec(
  rows: readonly Record<string, number | string>[],
  o: {
    x: string;
    y: string;
    series?: string;
    title: string;
    xTitle?: string;
    yTitle?: string;
    logY?: boolean;
    xType?: string;
  },
): ChartSpec {
  return {
    title: o.title,
    data: { values: rows },
    width: 360,
    height: 220,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: o.x, type: o.xType ?? 'quantitative', title: o.xTitle ?? o.x },
      y: {
        field: o.y,
        type: 'quantitative',
        title: o.yTitle ?? o.y,
        scale: o.logY ? { type: 'log' } : { zero: false },
      },
      ...(o.series ? { color: { field: o.series, type: 'nominal', title: null } } : {}),
    },
  };
}

/** Grouped bars: `y` per `x`, one colour per `series`. */
export function barsSpec(
  rows: readonly Record<string, number | string>[],
  o: {
    x: string;
    y: string;
    series?: string;
    title: string;
    xTitle?: string;
    yTitle?: string;
    yDomain?: [number, number];
  },
): ChartSpec {
  return {
    title: o.title,
    data: { values: rows },
    width: 360,
    height: 220,
    mark: 'bar',
    encoding: {
      x: { field: o.x, type: 'nominal', title: o.xTitle ?? o.x, axis: { labelAngle: 0 } },
      y: {
        field: o.y,
        type: 'quantitative',
        title: o.yTitle ?? o.y,
        ...(o.yDomain ? { scale: { domain: o.yDomain } } : {}),
      },
      ...(o.series
        ? { color: { field: o.series, type: 'nominal', title: null }, xOffset: { field: o.series } }
        : {}),
    },
  };
}
