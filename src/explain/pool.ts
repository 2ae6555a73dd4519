import { fromTypedArray } from '../core/creation.js';
import { ReLU } from '../layers/activation.js';
import { Conv2D } from '../layers/conv.js';
import { Input } from '../layers/core.js';
import type { Layer } from '../layers/layer.js';
import { AvgPool2D, GlobalMaxPool2D, MaxPool2D } from '../layers/pool.js';
import { Sequential } from '../models/sequential.js';
import { linesSpec } from '../viz/charts.js';
import { pad, svgDocument, svgToPng, tilesSection, vstack } from '../viz/render.js';
import { tensorPicture } from '../viz/tiles.js';
import {
  digitSplit,
  type Experiment,
  type ExperimentResult,
  num,
  round,
  type RunOptions,
  type Verdict,
  values,
} from './common.js';

/**
 * Pooling: "less sensitivity to where a feature is". Held-out digits are shifted by 1–3 pixels (four
 * directions, zeros shifted in); the same seeded convolution + ReLU is followed by no pooling, 2×2 max
 * pooling, 2×2 average pooling, two 2×2 max-pooling stages, or global max pooling, and the relative
 * change of the representation ‖f(shifted) − f(x)‖ / ‖f(x)‖ is measured.
 */

/** A 28×28 image moved by (dx, dy) pixels, zeros shifted in. */
export function shiftImage(img: ArrayLike<number>, dx: number, dy: number, H = 28, W = 28): Float32Array {
  const out = new Float32Array(H * W);
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++) {
      const sr = r - dy;
      const sc = c - dx;
      if (sr >= 0 && sr < H && sc >= 0 && sc < W) out[r * W + c] = img[sr * W + sc];
    }
  return out;
}

/** ‖a − b‖ / ‖b‖ per example of two [N, per] arrays, averaged. */
export function meanRelativeChange(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  const per = a.length / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let d = 0;
    let s = 0;
    for (let k = i * per; k < (i + 1) * per; k++) {
      d += (a[k] - b[k]) ** 2;
      s += b[k] ** 2;
    }
    total += s > 0 ? Math.sqrt(d / s) : 0;
  }
  return total / n;
}

const VARIANTS: { key: string; label: string; pool: () => Layer[] }[] = [
  { key: 'none', label: 'conv+ReLU, no pooling', pool: () => [] },
  { key: 'max2', label: '+ 2×2 max pool', pool: () => [new MaxPool2D({ kernelSize: 2 })] },
  { key: 'avg2', label: '+ 2×2 average pool', pool: () => [new AvgPool2D({ kernelSize: 2 })] },
  {
    key: 'max2x2',
    label: '+ two 2×2 max pools',
    pool: () => [new MaxPool2D({ kernelSize: 2 }), new MaxPool2D({ kernelSize: 2 })],
  },
  { key: 'globalmax', label: '+ global max pool', pool: () => [new GlobalMaxPool2D({})] },
];

export interface PoolNumbers {
  /** Mean relative change per variant key, per shift 1, 2, 3 px. */
  change: Record<string, number[]>;
}

/**
 * Per pooling kind (max2, avg2): the ratio of its change to the unpooled change at each shift. Supported
 * when every ratio of both is ≤ 0.8, not supported when neither lowers the change on average, weak between.
 */
export function judgePooling(n: PoolNumbers): {
  verdict: Verdict;
  reason: string;
  ratios: Record<string, number[]>;
} {
  const ratios: Record<string, number[]> = {};
  for (const k of ['max2', 'avg2']) ratios[k] = n.change[k].map((v, i) => v / n.change.none[i]);
  const all = (k: string) => ratios[k].every((r) => r <= 0.8);
  const meanR = (k: string) => ratios[k].reduce((a, b) => a + b, 0) / ratios[k].length;
  const more = ['max2x2', 'globalmax']
    .filter((k) => n.change[k])
    .map(
      (k) =>
        `${k === 'max2x2' ? 'two 2×2 max pools' : 'global max pool'} ${n.change[k].map((v, i) => num(v / n.change.none[i])).join('/')}`,
    );
  const txt = `change with pooling ÷ change without, at 1/2/3 px: 2×2 max ${ratios.max2.map(num).join('/')}, 2×2 average ${ratios.avg2.map(num).join('/')}${more.length ? ` (${more.join(', ')})` : ''}`;
  if (all('max2') && all('avg2')) return { verdict: 'supported', reason: txt, ratios };
  if (meanR('max2') >= 1 && meanR('avg2') >= 1) return { verdict: 'not supported', reason: txt, ratios };
  return {
    verdict: 'weak',
    reason: `${txt}: one 2×2 pool lowers the change, but not by a fifth at every shift`,
    ratios,
  };
}

export const poolingInvariance: Experiment = {
  id: 'pool-invariance',
  layer: 'pooling',
  claim:
    'Pooling makes the network less sensitive to where a feature is: small shifts change the pooled output less.',
  run(o: RunOptions): ExperimentResult {
    const t0 = performance.now();
    const seed = o.seed ?? 0;
    const n = o.small ? 16 : 200;
    const { test } = digitSplit(0, n, seed);
    const dirs: [number, number][] = [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ];
    const models = VARIANTS.map((v) =>
      new Sequential([
        new Input({ shape: [1, 28, 28] }),
        new Conv2D({ filters: 8, kernelSize: 3, padding: 'same' }),
        new ReLU(),
        ...v.pool(),
      ]).build({ seed }),
    );
    const run = (m: Sequential, x: Float32Array) =>
      values(() => m.predict(fromTypedArray(x, [n, 1, 28, 28])));
    const base = models.map((m) => run(m, test.x));
    const change: Record<string, number[]> = {};
    const pixels: number[] = [];
    for (const v of VARIANTS) change[v.key] = [];
    for (const s of [1, 2, 3]) {
      const acc = new Array(VARIANTS.length).fill(0);
      let pix = 0;
      for (const [ux, uy] of dirs) {
        const x = new Float32Array(n * 784);
        for (let i = 0; i < n; i++)
          x.set(shiftImage(test.x.subarray(i * 784, (i + 1) * 784), ux * s, uy * s), i * 784);
        pix += meanRelativeChange(x, test.x, n);
        models.forEach((m, j) => {
          acc[j] += meanRelativeChange(run(m, x), base[j], n);
        });
      }
      pixels.push(round(pix / dirs.length));
      VARIANTS.forEach((v, j) => {
        change[v.key].push(round(acc[j] / dirs.length));
      });
    }
    const { verdict, reason, ratios } = judgePooling({ change });
    const rows = [
      ['input pixels (reference)', ...pixels.map(num)],
      ...VARIANTS.map((v) => [v.label, ...change[v.key].map(num)]),
    ];
    const chartRows = [
      ...pixels.map((c, i) => ({ shift: i + 1, change: c, representation: 'input pixels' })),
      ...VARIANTS.flatMap((v) =>
        change[v.key].map((c, i) => ({ shift: i + 1, change: c, representation: v.label })),
      ),
    ];
    const result: ExperimentResult = {
      id: this.id,
      layer: this.layer,
      claim: this.claim,
      setup: `${n} held-out digits shifted by 1, 2 and 3 px in four directions; the same seeded Conv2D (8 filters 3×3, same padding) + ReLU, then each pooling variant; relative change ‖f(shifted) − f(x)‖/‖f(x)‖ averaged; seed ${seed}.`,
      numbers: {
        digits: n,
        shiftsPx: [1, 2, 3],
        inputPixels: pixels,
        change,
        ratioToUnpooled: Object.fromEntries(
          Object.entries(ratios).map(([k, r]) => [k, r.map((v) => round(v))]),
        ),
      },
      table: { columns: ['representation', 'change at 1 px', 'at 2 px', 'at 3 px'], rows },
      verdict,
      reason,
      figures: [],
      charts: [
        {
          name: 'pool-invariance-chart',
          spec: linesSpec(chartRows, {
            x: 'shift',
            y: 'change',
            series: 'representation',
            title: 'Relative change of the representation under a shift',
            xTitle: 'shift (pixels)',
            yTitle: '‖f(shifted) − f(x)‖ / ‖f(x)‖',
          }),
        },
      ],
      seconds: 0,
      seed,
      small: !!o.small,
    };
    if (o.figures !== false) {
      // One channel of the first digit, before and after a 1-px shift, without and with 2×2 max pooling.
      const one = test.x.subarray(0, 784);
      const moved = shiftImage(one, 1, 0);
      const maps = (m: Sequential, x: Float32Array) =>
        values(() => m.predict(fromTypedArray(x, [1, 1, 28, 28])));
      const a0 = maps(models[0], Float32Array.from(one));
      const a1 = maps(models[0], moved);
      const b0 = maps(models[1], Float32Array.from(one));
      const b1 = maps(models[1], moved);
      const pickCh = 0;
      const t = (v: Float32Array, shape: number[]) =>
        tensorPicture(v, shape, { colorMap: 'viridis', scaling: 'layer' }).tiles;
      const ch = (v: Float32Array, hw: number) => v.slice(pickCh * hw * hw, (pickCh + 1) * hw * hw);
      const block = vstack(
        [
          tilesSection('Digit and the digit shifted 1 px right', '', [
            { label: 'original', raster: t(Float32Array.from(one), [1, 28, 28])[0].raster },
            { label: 'shifted', raster: t(moved, [1, 28, 28])[0].raster },
          ]),
          tilesSection(
            `Filter ${pickCh} after ReLU, no pooling (28×28)`,
            `relative change ${num(meanRelativeChange(a1, a0, 1))} over all 8 channels`,
            [
              { label: 'original', raster: t(ch(a0, 28), [1, 28, 28])[0].raster },
              { label: 'shifted', raster: t(ch(a1, 28), [1, 28, 28])[0].raster },
            ],
          ),
          tilesSection(
            `Filter ${pickCh} after 2×2 max pooling (14×14)`,
            `relative change ${num(meanRelativeChange(b1, b0, 1))} over all 8 channels`,
            [
              { label: 'original', raster: t(ch(b0, 14), [1, 14, 14])[0].raster },
              { label: 'shifted', raster: t(ch(b1, 14), [1, 14, 14])[0].raster },
            ],
          ),
        ],
        12,
      );
      result.figures.push({
        name: 'pool-invariance',
        title: 'One channel before and after a 1-px shift',
        png: svgToPng(svgDocument(pad(block, 10))),
      });
    }
    result.seconds = round((performance.now() - t0) / 1000, 2);
    return result;
  },
};
