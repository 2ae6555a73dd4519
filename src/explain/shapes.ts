import { noGrad } from '../core/engine.js';
import { fromTypedArray } from '../core/creation.js';
import { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { Crop2D, Resize2D } from '../layers/crop_resize.js';
import type { CallContext, Layer } from '../layers/layer.js';
import { MaxPool2D, MaxUnpool2D } from '../layers/pool.js';
import { pad, svgDocument, svgToPng, tilesSection, vstack } from '../viz/render.js';
import { tensorPicture, type Tile } from '../viz/tiles.js';
import {
  digitSplit,
  type Experiment,
  type ExperimentResult,
  num,
  round,
  type RunOptions,
  type Verdict,
} from './common.js';

/**
 * Crop, resize and unpooling: what they do to shapes and content, shown as pictures of a digit and
 * checked with numbers (exact copies where a copy is claimed, losses where detail is lost).
 */

const CTX: CallContext = { training: false, generator: new Generator(0) };

function apply(layer: Layer, inputs: Tensor[]): Tensor {
  layer.build(inputs.map((t) => t.shape.slice(1)));
  return noGrad(() => layer.call(inputs, CTX));
}

function tile(label: string, v: Float32Array, h: number, w: number): Tile {
  return {
    label: `${label} ${h}×${w}`,
    raster: tensorPicture(v, [1, h, w], { colorMap: 'gray', scaling: 'layer' }).tiles[0].raster,
  };
}

function figure(name: string, title: string, tiles: Tile[], note: string) {
  // Every tile enlarged by the same factor (4), so the sizes compare.
  const block = vstack([tilesSection(title, note, tiles, 1100, 4, true)], 4);
  return { name, title, png: svgToPng(svgDocument(pad(block, 10))) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function oneDigit(seed: number): Float32Array {
  return digitSplit(0, 10, seed).test.x.slice(0, 784);
}

/** Supported when every check holds. */
export function judgeChecks(checks: Record<string, boolean>): { verdict: Verdict; failed: string[] } {
  const failed = Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([k]) => k);
  return {
    verdict:
      failed.length === 0
        ? 'supported'
        : failed.length < Object.keys(checks).length
          ? 'weak'
          : 'not supported',
    failed,
  };
}

function result(
  e: Experiment,
  o: RunOptions,
  t0: number,
  numbers: Record<string, unknown>,
  checks: Record<string, boolean>,
  rows: (string | number)[][],
  figures: ExperimentResult['figures'],
  setup: string,
  okText: string,
): ExperimentResult {
  const { verdict, failed } = judgeChecks(checks);
  return {
    id: e.id,
    layer: e.layer,
    claim: e.claim,
    setup,
    numbers: { ...numbers, checks },
    table: { columns: ['what', 'measured'], rows },
    verdict,
    reason: failed.length ? `failed: ${failed.join(', ')}` : okText,
    figures,
    seconds: round((performance.now() - t0) / 1000, 2),
    seed: o.seed ?? 0,
    small: !!o.small,
  };
}

export const cropShapes: Experiment = {
  id: 'crop',
  layer: 'crop',
  claim:
    'A crop layer cuts a window out of each feature map: the spatial size shrinks and the values inside are kept unchanged.',
  run(o: RunOptions): ExperimentResult {
    const t0 = performance.now();
    const d = oneDigit(o.seed ?? 0);
    const x = fromTypedArray(d, [1, 1, 28, 28]);
    const center = apply(new Crop2D({ size: [20, 20] }), [x]).data() as Float32Array;
    const corner = apply(new Crop2D({ size: [14, 14], offset: [0, 14] }), [x]).data() as Float32Array;
    const expectCenter = new Float32Array(400);
    for (let r = 0; r < 20; r++)
      for (let c = 0; c < 20; c++) expectCenter[r * 20 + c] = d[(r + 4) * 28 + c + 4];
    const expectCorner = new Float32Array(196);
    for (let r = 0; r < 14; r++) for (let c = 0; c < 14; c++) expectCorner[r * 14 + c] = d[r * 28 + c + 14];
    const numbers = {
      inputShape: [1, 28, 28],
      centerShape: [1, 20, 20],
      cornerShape: [1, 14, 14],
      centerMaxAbsDiff: maxAbsDiff(center, expectCenter),
      cornerMaxAbsDiff: maxAbsDiff(corner, expectCorner),
      inkKeptCenter: round(sum(center) / sum(d)),
      inkKeptCorner: round(sum(corner) / sum(d)),
    };
    const checks = {
      'center crop is 20×20': center.length === 400,
      'center crop equals the input window exactly': numbers.centerMaxAbsDiff === 0,
      'corner crop equals the input window exactly': numbers.cornerMaxAbsDiff === 0,
    };
    const figures =
      o.figures === false
        ? []
        : [
            figure(
              'crop',
              'Crop2D: the digit, a centred 20×20 window, the top-right 14×14 window',
              [
                tile('input', d, 28, 28),
                tile('centre crop', center, 20, 20),
                tile('top-right crop', corner, 14, 14),
              ],
              'values are copied unchanged; what lies outside the window is gone',
            ),
          ];
    return result(
      this,
      o,
      t0,
      numbers,
      checks,
      [
        ['shapes', '[1,28,28] → [1,20,20] (centre), [1,14,14] (offset 0,14)'],
        [
          'largest difference to the input window',
          `${numbers.centerMaxAbsDiff} (centre), ${numbers.cornerMaxAbsDiff} (corner)`,
        ],
        [
          'ink kept (sum of values)',
          `${(100 * numbers.inkKeptCenter).toFixed(1)} % (centre), ${(100 * numbers.inkKeptCorner).toFixed(1)} % (corner)`,
        ],
      ],
      figures,
      'One held-out digit through Crop2D (size 20×20 centred; size 14×14 at offset (0, 14)); outputs compared with the same window read directly from the input.',
      `the output is exactly the window (largest difference 0); the centre crop keeps ${(100 * numbers.inkKeptCenter).toFixed(1)} % of the ink, the corner crop ${(100 * numbers.inkKeptCorner).toFixed(1)} %`,
    );
  },
};

export const resizeShapes: Experiment = {
  id: 'resize',
  layer: 'resize',
  claim:
    'A resize layer changes the spatial size by interpolation: nearest-neighbour upsampling copies values, downsampling loses detail.',
  run(o: RunOptions): ExperimentResult {
    const t0 = performance.now();
    const d = oneDigit(o.seed ?? 0);
    const x = fromTypedArray(d, [1, 1, 28, 28]);
    const up = apply(new Resize2D({ scale: 2, mode: 'nearest' }), [x]).data() as Float32Array;
    const upLin = apply(new Resize2D({ scale: 2, mode: 'linear' }), [x]).data() as Float32Array;
    const downT = apply(new Resize2D({ scale: 0.5, mode: 'linear' }), [x]);
    const down = downT.data() as Float32Array;
    const back = apply(new Resize2D({ size: [28, 28], mode: 'linear' }), [downT]).data() as Float32Array;
    // Every 2×2 block of the nearest ×2 output should be one input pixel.
    let blockErr = 0;
    for (let r = 0; r < 56; r++)
      for (let c = 0; c < 56; c++)
        blockErr = Math.max(blockErr, Math.abs(up[r * 56 + c] - d[(r >> 1) * 28 + (c >> 1)]));
    const numbers = {
      shapes: {
        input: [1, 28, 28],
        nearestX2: [1, 56, 56],
        linearX2: [1, 56, 56],
        linearHalf: [1, 14, 14],
        backTo28: [1, 28, 28],
      },
      nearestBlockMaxAbsDiff: blockErr,
      meanValue: {
        input: round(sum(d) / 784),
        nearestX2: round(sum(up) / up.length),
        linearX2: round(sum(upLin) / upLin.length),
        linearHalf: round(sum(down) / down.length),
      },
      downUpMeanAbsError: round(meanAbsDiff(back, d)),
      downUpMaxAbsError: round(maxAbsDiff(back, d)),
    };
    const checks = {
      'nearest ×2 output is 56×56': up.length === 3136,
      'nearest ×2 copies each pixel into a 2×2 block exactly': blockErr === 0,
      'halving then restoring the size loses detail (error > 0.01)': numbers.downUpMeanAbsError > 0.01,
    };
    const figures =
      o.figures === false
        ? []
        : [
            figure(
              'resize',
              'Resize2D: the digit, nearest ×2, linear ×2, linear ×½, and ×½ back to 28×28',
              [
                tile('input', d, 28, 28),
                tile('nearest ×2', up, 56, 56),
                tile('linear ×2', upLin, 56, 56),
                tile('linear ×½', down, 14, 14),
                tile('½ then back', back, 28, 28),
              ],
              `mean absolute error after halving and restoring: ${num(numbers.downUpMeanAbsError)} (values 0–1)`,
            ),
          ];
    return result(
      this,
      o,
      t0,
      numbers,
      checks,
      [
        ['shapes', '[1,28,28] → [1,56,56] (×2), [1,14,14] (×½), back to [1,28,28]'],
        ['nearest ×2: largest difference to the pixel copied', String(blockErr)],
        [
          'mean value (input, nearest ×2, linear ×2, linear ×½)',
          [
            numbers.meanValue.input,
            numbers.meanValue.nearestX2,
            numbers.meanValue.linearX2,
            numbers.meanValue.linearHalf,
          ]
            .map(num)
            .join(', '),
        ],
        [
          'halve then restore: mean / largest absolute error',
          `${num(numbers.downUpMeanAbsError)} / ${num(numbers.downUpMaxAbsError)}`,
        ],
      ],
      figures,
      'One held-out digit through Resize2D: nearest and linear ×2, linear ×½, and linear back to 28×28 (half-pixel coordinates).',
      `nearest ×2 repeats each pixel exactly (largest difference ${blockErr}); the mean value is kept (${num(numbers.meanValue.input)} → ${num(numbers.meanValue.linearHalf)} at ×½); halving and restoring leaves a mean error of ${num(numbers.downUpMeanAbsError)}`,
    );
  },
};

export const unpoolShapes: Experiment = {
  id: 'unpooling',
  layer: 'unpooling',
  claim:
    'Max-unpooling undoes the size change of max pooling: each maximum goes back to where it came from, every other position is zero.',
  run(o: RunOptions): ExperimentResult {
    const t0 = performance.now();
    const d = oneDigit(o.seed ?? 0);
    const x = fromTypedArray(d, [1, 1, 28, 28]);
    const pool = new MaxPool2D({ kernelSize: 2, returnIndices: true });
    const pooledT = apply(pool, [x]);
    const pooled = pooledT.data() as Float32Array;
    const un = apply(new MaxUnpool2D({ kernelSize: 2 }), [pooledT, pooledT]).data() as Float32Array;
    // Each 2×2 window of the unpooled map: at most one non-zero, equal to the window's max, at its position.
    let misplaced = 0;
    let nonzero = 0;
    for (let r = 0; r < 14; r++)
      for (let c = 0; c < 14; c++) {
        let best = -Infinity;
        let nz = 0;
        let unMax = -Infinity;
        for (let i = 0; i < 2; i++)
          for (let j = 0; j < 2; j++) {
            const k = (2 * r + i) * 28 + 2 * c + j;
            best = Math.max(best, d[k]);
            if (un[k] !== 0) {
              nz++;
              if (d[k] !== un[k]) misplaced++;
            }
            unMax = Math.max(unMax, un[k]);
          }
        nonzero += nz;
        if (nz > 1 || (best > 0 && unMax !== best)) misplaced++;
      }
    const numbers = {
      shapes: { input: [1, 28, 28], pooled: [1, 14, 14], unpooled: [1, 28, 28] },
      nonZeroShare: round(nonzero / 784),
      windowsWrong: misplaced,
      inkKept: round(sum(un) / sum(d)),
      pooledInk: round(sum(pooled) / sum(d)),
    };
    const checks = {
      'unpooled map has the input’s size': un.length === 784,
      'each maximum is back at its position, all else zero': misplaced === 0,
      'at most one value per 2×2 window': nonzero <= 196,
    };
    const figures =
      o.figures === false
        ? []
        : [
            figure(
              'unpooling',
              'MaxPool2D (2×2, indices kept) then MaxUnpool2D',
              [tile('input', d, 28, 28), tile('max-pooled', pooled, 14, 14), tile('unpooled', un, 28, 28)],
              `the unpooled map keeps only the maxima (${(100 * numbers.nonZeroShare).toFixed(1)} % of positions non-zero, ${(100 * numbers.inkKept).toFixed(1)} % of the ink)`,
            ),
          ];
    return result(
      this,
      o,
      t0,
      numbers,
      checks,
      [
        ['shapes', '[1,28,28] → pool [1,14,14] → unpool [1,28,28]'],
        ['2×2 windows not holding exactly their maximum', String(misplaced)],
        ['positions non-zero after unpooling', `${(100 * numbers.nonZeroShare).toFixed(1)} %`],
        ['ink kept (sum of values) after unpooling', `${(100 * numbers.inkKept).toFixed(1)} %`],
      ],
      figures,
      'One held-out digit through MaxPool2D (2×2, returnIndices) and MaxUnpool2D (kernel 2) fed the pool’s output and indices.',
      `size restored to 28×28; every 2×2 window holds exactly its maximum at its original position (0 wrong), ${(100 * numbers.nonZeroShare).toFixed(1)} % of positions non-zero, ${(100 * numbers.inkKept).toFixed(1)} % of the ink kept — unpooling restores the size, not the content`,
    );
  },
};
