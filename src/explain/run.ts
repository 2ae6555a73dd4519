import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { renderChartsSync } from '../viz/charts.js';
import { escapeXml } from '../viz/render.js';
import { dyingRelu, vanishingGradient } from './activation.js';
import type { Experiment, ExperimentResult, RunOptions } from './common.js';
import { convLocates } from './conv.js';
import { dropoutGap } from './dropout.js';
import { batchNormSpeed, inputZscore } from './normalization.js';
import { poolingInvariance } from './pool.js';
import { cropShapes, resizeShapes, unpoolShapes } from './shapes.js';

/** Every experiment, in the article's order of layers. */
export const EXPERIMENTS: Experiment[] = [
  convLocates,
  poolingInvariance,
  vanishingGradient,
  dyingRelu,
  dropoutGap,
  batchNormSpeed,
  inputZscore,
  cropShapes,
  resizeShapes,
  unpoolShapes,
];

export const LAYERS = [
  'convolution',
  'pooling',
  'activation',
  'dropout',
  'normalization',
  'crop',
  'resize',
  'unpooling',
];

const ALIASES: Record<string, string> = {
  conv: 'convolution',
  conv2d: 'convolution',
  convolutional: 'convolution',
  pool: 'pooling',
  maxpool: 'pooling',
  avgpool: 'pooling',
  max_pooling: 'pooling',
  activations: 'activation',
  relu: 'activation',
  sigmoid: 'activation',
  tanh: 'activation',
  leakyrelu: 'activation',
  elu: 'activation',
  batchnorm: 'normalization',
  batchnormalization: 'normalization',
  bn: 'normalization',
  norm: 'normalization',
  zscore: 'normalization',
  crop2d: 'crop',
  cropping: 'crop',
  resize2d: 'resize',
  upsample: 'resize',
  upsampling: 'resize',
  unpool: 'unpooling',
  maxunpool: 'unpooling',
  maxunpool2d: 'unpooling',
};

/** The layer family a name means (`conv` → convolution, `bn` → normalization …). */
export function layerFamily(name: string): string {
  const k = name.toLowerCase().replace(/[\s-]/g, '');
  const fam = LAYERS.includes(k) ? k : ALIASES[k];
  if (!fam)
    throw new StrataError(
      'explain',
      `no experiments for '${name}'; choose one of ${LAYERS.join(', ')} (or --all)`,
    );
  return fam;
}

export function experimentsFor(layer: string): Experiment[] {
  const fam = layerFamily(layer);
  return EXPERIMENTS.filter((e) => e.layer === fam);
}

/** Runs experiments one after another; renders their charts to figures unless `figures` is false. */
export function runExperiments(
  list: readonly Experiment[],
  opts: RunOptions & { onResult?: (r: ExperimentResult) => void } = {},
): ExperimentResult[] {
  const out: ExperimentResult[] = [];
  for (const e of list) {
    const r = e.run(opts);
    if (opts.figures !== false) {
      const charts = r.charts ?? [];
      renderChartsSync(charts.map((c) => c.spec)).forEach(({ svg, png }, i) => {
        r.figures.push({
          name: charts[i].name,
          title: String(charts[i].spec.title ?? charts[i].name),
          png,
          svg,
        });
      });
    }
    opts.onResult?.(r);
    out.push(r);
  }
  return out;
}

function table(columns: string[], rows: (string | number)[][]): string {
  const cells = [columns, ...rows.map((r) => r.map(String))];
  const w = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [
    line(columns),
    w.map((n) => '-'.repeat(n)).join('  '),
    ...rows.map((r) => line(r.map(String))),
  ].join('\n');
}

/** The terminal text of one result. */
export function formatResult(r: ExperimentResult, files: string[] = []): string {
  return [
    `== ${r.layer}: ${r.id} ==`,
    `claim:   ${r.claim}`,
    `setup:   ${r.setup}`,
    '',
    table(r.table.columns, r.table.rows),
    '',
    `verdict: ${r.verdict.toUpperCase()} — ${r.reason}`,
    ...(files.length ? [`plots:   ${files.join(', ')}`] : []),
    `time:    ${r.seconds} s${r.small ? ' (reduced size)' : ''}`,
    '',
  ].join('\n');
}

/** Writes a result's figures (PNG, and SVG for charts) into `dir`; returns the paths. */
export function writeFigures(r: ExperimentResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const f of r.figures) {
    const p = join(dir, `${f.name}.png`);
    writeFileAtomic(p, f.png);
    files.push(p);
    if (f.svg) {
      const s = join(dir, `${f.name}.svg`);
      writeFileAtomic(s, f.svg);
      files.push(s);
    }
  }
  return files;
}

/** What --json prints for a result: the numbers and the verdict, no pictures. */
export function resultJson(r: ExperimentResult): Record<string, unknown> {
  return {
    id: r.id,
    layer: r.layer,
    claim: r.claim,
    setup: r.setup,
    seed: r.seed,
    small: r.small,
    seconds: r.seconds,
    verdict: r.verdict,
    reason: r.reason,
    numbers: r.numbers,
  };
}

const CSS = `body{font-family:system-ui,"DejaVu Sans",sans-serif;max-width:1000px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:24px}h2{font-size:19px;margin-top:40px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
.v{font-weight:bold;padding:2px 8px;border-radius:4px;white-space:nowrap}.supported{background:#d4f0d4}.weak{background:#fff0c2}.not{background:#f8d0d0}
p.s{color:#555;font-size:13px}img{max-width:100%;margin:6px 12px 6px 0;vertical-align:top}`;

/** One HTML page with every result: claim, setup, numbers, verdict and plots (embedded). */
export function explainHtml(
  results: readonly ExperimentResult[],
  title = 'What each layer does — measured',
): string {
  const cls = (v: string) => (v === 'supported' ? 'supported' : v === 'weak' ? 'weak' : 'not');
  const summary = results
    .map(
      (r) =>
        `<tr><td><a href="#${r.id}">${escapeXml(r.layer)}</a></td><td>${escapeXml(r.claim)}</td><td><span class="v ${cls(r.verdict)}">${r.verdict}</span></td></tr>`,
    )
    .join('');
  const sections = results.map((r) => {
    const rows = r.table.rows
      .map((row) => `<tr>${row.map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`)
      .join('');
    const figs = r.figures
      .map(
        (f) =>
          `<img alt="${escapeXml(f.title)}" src="data:image/png;base64,${Buffer.from(f.png).toString('base64')}">`,
      )
      .join('');
    return `<section id="${r.id}"><h2>${escapeXml(r.layer)}: ${escapeXml(r.claim)}</h2>
<p class="s">${escapeXml(r.setup)}</p>
<table><tr>${r.table.columns.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>${rows}</table>
<p><span class="v ${cls(r.verdict)}">${r.verdict}</span> ${escapeXml(r.reason)}</p>
<div>${figs}</div><p class="s">seed ${r.seed}${r.small ? ', reduced size' : ''}, ${r.seconds} s</p></section>`;
  });
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head><body>
<h1>${escapeXml(title)}</h1>
<p class="s">Each claim was measured by a small seeded experiment on the bundled MNIST digits; the verdict is computed from the numbers by a rule stated with the experiment (src/explain). Rerun: <code>strata explain --all</code>.</p>
<table><tr><th>layer</th><th>claim</th><th>verdict</th></tr>${summary}</table>
${sections.join('\n')}
</body></html>\n`;
}

export interface ExplainCommandOptions {
  all?: boolean;
  json?: boolean;
  out?: string;
  seed?: number;
  small?: boolean;
  /** Where text goes (default stdout). */
  print?: (s: string) => void;
}

/** `strata explain <layer>` / `strata explain --all`. */
export function explainCommand(layer: string | undefined, o: ExplainCommandOptions): ExperimentResult[] {
  if (!layer && !o.all) throw new StrataError('explain', `name a layer (${LAYERS.join(', ')}) or give --all`);
  if (layer && o.all) throw new StrataError('explain', 'give a layer or --all, not both');
  const list = o.all ? EXPERIMENTS : experimentsFor(layer!);
  const out = o.out ?? join('strata-out', 'explain');
  const print = o.print ?? ((s: string) => process.stdout.write(`${s}\n`));
  const results = runExperiments(list, {
    seed: o.seed ?? 0,
    small: o.small,
    figures: true,
    onResult: (r) => {
      const files = writeFigures(r, out);
      if (!o.json) print(formatResult(r, files));
    },
  });
  if (o.all) {
    const page = join(out, 'index.html');
    writeFileAtomic(page, explainHtml(results));
    if (!o.json) print(`page: ${page}`);
  }
  if (o.json)
    print(JSON.stringify(o.all || results.length > 1 ? results.map(resultJson) : resultJson(results[0])));
  return results;
}
