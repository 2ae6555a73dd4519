import { fromTypedArray } from '../core/creation.js';
import { Conv2D } from '../layers/conv.js';
import { Input } from '../layers/core.js';
import { Sequential } from '../models/sequential.js';
import { barsSpec } from '../viz/charts.js';
import { pad, svgDocument, svgToPng, tilesSection, vstack } from '../viz/render.js';
import { markCross, type Tile, upscale } from '../viz/tiles.js';
import { toRGBA } from '../viz/colormap.js';
import {
  digitSplit,
  type Experiment,
  type ExperimentResult,
  num,
  pct,
  round,
  type RunOptions,
  type Verdict,
  values,
} from './common.js';

/**
 * Convolution: "feature maps locate features". A digit is placed on a larger blank canvas at several
 * offsets; a convolution layer (seeded random filters — equivariance does not depend on training) gives
 * one response map per filter; the peak of each map should move by exactly the offset.
 */

const CANVAS = 44;
const BASE = 8;
const SHIFTS: [number, number][] = [
  [1, 0],
  [0, 1],
  [2, 2],
  [3, -1],
  [-4, 3],
  [5, 0],
  [0, -6],
  [6, 6],
  [-6, -5],
];

/** A 28×28 digit on the blank canvas with its corner at (BASE + dy, BASE + dx). */
export function placeDigit(digit: Float32Array, dx: number, dy: number, canvas = CANVAS): Float32Array {
  const out = new Float32Array(canvas * canvas);
  for (let r = 0; r < 28; r++)
    for (let c = 0; c < 28; c++) {
      const y = BASE + dy + r;
      const x = BASE + dx + c;
      if (y >= 0 && y < canvas && x >= 0 && x < canvas) out[y * canvas + x] = digit[r * 28 + c];
    }
  return out;
}

/** (row, column) of the largest value of each channel of [C, H, W] values. */
export function peaks(v: ArrayLike<number>, C: number, H: number, W: number): [number, number][] {
  const out: [number, number][] = [];
  for (let c = 0; c < C; c++) {
    let best = c * H * W;
    for (let i = c * H * W; i < (c + 1) * H * W; i++) if (v[i] > v[best]) best = i;
    const k = best - c * H * W;
    out.push([Math.floor(k / W), k % W]);
  }
  return out;
}

/** Supported when the peaks follow the shift exactly in ≥ 95 % of cases, weak from 60 %. */
export function judgeConvLocates(n: { exactShare: number; meanErrorPx: number }): {
  verdict: Verdict;
  reason: string;
} {
  const s = `the peak moved by exactly the shift in ${pct(n.exactShare)} of the maps (mean error ${num(n.meanErrorPx)} px)`;
  if (n.exactShare >= 0.95) return { verdict: 'supported', reason: s };
  if (n.exactShare >= 0.6) return { verdict: 'weak', reason: `${s}: mostly, not always` };
  return { verdict: 'not supported', reason: s };
}

export const convLocates: Experiment = {
  id: 'conv-locates',
  layer: 'convolution',
  claim:
    'A convolution layer’s feature maps locate features: when the pattern moves, the peak response moves with it.',
  run(o: RunOptions): ExperimentResult {
    const t0 = performance.now();
    const seed = o.seed ?? 0;
    const nDigits = o.small ? 8 : 60;
    const filters = 8;
    const { test } = digitSplit(0, nDigits, seed);
    const model = new Sequential([
      new Input({ shape: [1, CANVAS, CANVAS] }),
      new Conv2D({ name: 'conv', filters, kernelSize: 5, padding: 'same' }),
    ]).build({ seed });
    const respond = (imgs: Float32Array[]) => {
      const x = new Float32Array(imgs.length * CANVAS * CANVAS);
      for (let i = 0; i < imgs.length; i++) x.set(imgs[i], i * CANVAS * CANVAS);
      return values(() => model.predict(fromTypedArray(x, [imgs.length, 1, CANVAS, CANVAS])));
    };
    const per = CANVAS * CANVAS * filters;
    const digitsX = Array.from({ length: nDigits }, (_, i) => test.x.subarray(i * 784, (i + 1) * 784));
    const base = respond(digitsX.map((d) => placeDigit(d, 0, 0)));
    const perShift: { shift: string; exact: number; meanErrorPx: number }[] = [];
    let exactAll = 0;
    let errAll = 0;
    let count = 0;
    for (const [dx, dy] of SHIFTS) {
      const moved = respond(digitsX.map((d) => placeDigit(d, dx, dy)));
      let exact = 0;
      let err = 0;
      for (let i = 0; i < nDigits; i++) {
        const p0 = peaks(base.subarray(i * per, (i + 1) * per), filters, CANVAS, CANVAS);
        const p1 = peaks(moved.subarray(i * per, (i + 1) * per), filters, CANVAS, CANVAS);
        for (let c = 0; c < filters; c++) {
          const ey = p1[c][0] - p0[c][0] - dy;
          const ex = p1[c][1] - p0[c][1] - dx;
          if (ex === 0 && ey === 0) exact++;
          err += Math.hypot(ex, ey);
        }
      }
      const n = nDigits * filters;
      perShift.push({ shift: `(${dx},${dy})`, exact: round(exact / n), meanErrorPx: round(err / n) });
      exactAll += exact;
      errAll += err;
      count += n;
    }
    const numbers = {
      digits: nDigits,
      filters,
      canvas: CANVAS,
      shifts: SHIFTS.length,
      exactShare: round(exactAll / count),
      meanErrorPx: round(errAll / count),
      perShift,
    };
    const { verdict, reason } = judgeConvLocates(numbers);
    const result: ExperimentResult = {
      id: this.id,
      layer: this.layer,
      claim: this.claim,
      setup: `${nDigits} held-out MNIST digits placed on a ${CANVAS}×${CANVAS} blank canvas, shifted by ${SHIFTS.length} offsets of 1–6 px; Conv2D with ${filters} seeded random 5×5 filters ('same' padding); peak = arg max of each response map; seed ${seed}.`,
      numbers,
      table: {
        columns: ['shift (dx,dy)', 'peak moved exactly', 'mean error (px)'],
        rows: perShift.map((s) => [s.shift, pct(s.exact), num(s.meanErrorPx)]),
      },
      verdict,
      reason,
      figures: [],
      charts: [
        {
          name: 'conv-locates-chart',
          spec: barsSpec(
            perShift.map((s) => ({ shift: s.shift, share: s.exact })),
            {
              x: 'shift',
              y: 'share',
              title: 'Share of feature maps whose peak moved exactly with the digit',
              xTitle: 'shift (dx, dy) in pixels',
              yTitle: 'share of maps',
              yDomain: [0, 1],
            },
          ),
        },
      ],
      seconds: 0,
      seed,
      small: !!o.small,
    };
    if (o.figures !== false) {
      // The strongest map of the first digit at three offsets, the peak marked on input and map.
      const shown: [number, number][] = [
        [0, 0],
        [5, 0],
        [-6, -5],
      ];
      const resp = respond(shown.map(([dx, dy]) => placeDigit(digitsX[0], dx, dy)));
      const p0 = peaks(resp.subarray(0, per), filters, CANVAS, CANVAS);
      let ch = 0;
      for (let c = 1; c < filters; c++)
        if (
          resp[c * CANVAS * CANVAS + p0[c][0] * CANVAS + p0[c][1]] >
          resp[ch * CANVAS * CANVAS + p0[ch][0] * CANVAS + p0[ch][1]]
        )
          ch = c;
      const inputs: Tile[] = [];
      const maps: Tile[] = [];
      shown.forEach(([dx, dy], i) => {
        const img = placeDigit(digitsX[0], dx, dy);
        const m = resp.subarray(i * per + ch * CANVAS * CANVAS, i * per + (ch + 1) * CANVAS * CANVAS);
        const [py, px] = peaks(m, 1, CANVAS, CANVAS)[0];
        const k = 4;
        const a = upscale(
          { width: CANVAS, height: CANVAS, data: toRGBA(img, 'gray', { min: 0, max: 1 }) },
          k,
        );
        const b = upscale(
          {
            width: CANVAS,
            height: CANVAS,
            data: toRGBA(m, 'diverging', {
              min: -Math.max(...m.map(Math.abs)),
              max: Math.max(...m.map(Math.abs)),
            }),
          },
          k,
        );
        markCross(a, px * k + 2, py * k + 2, [228, 26, 28, 255], 6);
        markCross(b, px * k + 2, py * k + 2, [0, 0, 0, 255], 6);
        inputs.push({ label: `shift (${dx},${dy})`, raster: a });
        maps.push({ label: `peak at row ${py}, col ${px}`, raster: b });
      });
      const block = vstack(
        [
          tilesSection('Input digit at three offsets (cross: peak of the response)', '', inputs),
          tilesSection(`Response map of filter ${ch}`, 'the peak moves with the digit', maps),
        ],
        12,
      );
      result.figures.push({
        name: 'conv-locates',
        title: 'The peak response follows the digit',
        png: svgToPng(svgDocument(pad(block, 10))),
      });
    }
    result.seconds = round((performance.now() - t0) / 1000, 2);
    return result;
  },
};
