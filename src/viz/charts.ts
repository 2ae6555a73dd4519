import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { StrataError } from '../core/errors.js';
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

/** The spec with our defaults (schema, white background, fonts, sizes). */
export function fullSpec(spec: ChartSpec): ChartSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: CONFIG,
    ...spec,
  };
}

/** The SVG text of a vega-lite spec (in this thread; vega is loaded on first use, about 0.3 s). */
export async function chartSvg(spec: ChartSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(fullSpec(spec) as Parameters<typeof vl.compile>[0]).spec;
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

// Vega renders SVG only asynchronously. The synchronous versions below hand the specs to a worker
// thread (created once, unref'd so it never holds the process open) and block on Atomics.wait until the
// SVG comes back, so that synchronous code — the training command, the report — can draw charts.
const WORKER = `
const { workerData } = require('node:worker_threads');
const { port, flag, vegaUrl, vlUrl } = workerData;
const done = new Int32Array(flag);
const libs = Promise.all([import(vegaUrl), import(vlUrl)]);
port.on('message', async (specs) => {
  let reply;
  try {
    const [vega, vl] = await libs;
    const svgs = [];
    for (const s of specs) {
      const view = new vega.View(vega.parse(vl.compile(s).spec), { renderer: 'none' });
      try { svgs.push(await view.toSVG()); } finally { view.finalize(); }
    }
    reply = { svgs };
  } catch (e) {
    reply = { error: String((e && e.stack) || e) };
  }
  port.postMessage(reply);
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});
`;

interface SyncRenderer {
  port: MessagePort;
  flag: Int32Array;
}
let renderer: SyncRenderer | null = null;

function syncRenderer(): SyncRenderer {
  if (renderer) return renderer;
  const { port1, port2 } = new MessageChannel();
  const sab = new SharedArrayBuffer(4);
  const w = new Worker(WORKER, {
    eval: true,
    workerData: {
      port: port2,
      flag: sab,
      vegaUrl: import.meta.resolve('vega'),
      vlUrl: import.meta.resolve('vega-lite'),
    },
    transferList: [port2],
  });
  w.unref();
  port1.unref();
  w.on('error', () => {
    renderer = null;
  });
  renderer = { port: port1, flag: new Int32Array(sab) };
  return renderer;
}

/** The SVG texts of vega-lite specs, synchronously (see above). */
export function chartSvgsSync(specs: readonly ChartSpec[], timeoutMs = 120_000): string[] {
  if (specs.length === 0) return [];
  const r = syncRenderer();
  Atomics.store(r.flag, 0, 0);
  r.port.postMessage(specs.map(fullSpec));
  if (Atomics.wait(r.flag, 0, 0, timeoutMs) === 'timed-out') {
    renderer = null;
    throw new StrataError('chart', `vega did not answer within ${timeoutMs / 1000} s`);
  }
  const msg = receiveMessageOnPort(r.port)?.message as { svgs?: string[]; error?: string } | undefined;
  if (!msg) throw new StrataError('chart', 'the chart worker sent no answer');
  if (msg.error) throw new StrataError('chart', msg.error);
  return msg.svgs!;
}

/** SVG and PNG of each spec, synchronously. */
export function renderChartsSync(specs: readonly ChartSpec[], zoom = 2): { svg: string; png: Uint8Array }[] {
  return chartSvgsSync(specs).map((svg) => ({ svg, png: svgToPng(svg, zoom) }));
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
            scale: { domain: [0, 1], range: ['#ffffff', '#08306b'], interpolate: 'rgb' },
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
