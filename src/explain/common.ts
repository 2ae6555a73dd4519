import { noGrad, scope } from '../core/engine.js';
import { fromTypedArray } from '../core/creation.js';
import { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { type Dataset, exampleSize, permutation, stratifiedSplit, subset } from '../data/dataset.js';
import { loadMnistPackage } from '../data/mnist.js';
import { Input } from '../layers/core.js';
import { outputLayerOf } from '../layers/output.js';
import type { Model } from '../models/model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { valueAndGradOf } from '../autograd/grad.js';
import type { ChartSpec } from '../viz/charts.js';

/**
 * What the experiments share: the bundled MNIST digits split by seed, a plain training loop that can stop
 * mid-epoch to measure, accuracy, and the result record every experiment returns.
 */

export type Verdict = 'supported' | 'weak' | 'not supported';

/** A picture or chart an experiment made (PNG, and SVG for charts). */
export interface Figure {
  /** File name without extension. */
  name: string;
  title: string;
  png: Uint8Array;
  svg?: string;
}

export interface ExperimentResult {
  id: string;
  /** The layer family the claim is about (the `strata explain` argument). */
  layer: string;
  /** The article's claim, in one sentence. */
  claim: string;
  /** What was run, with sizes and seed. */
  setup: string;
  /** Every measured number, JSON-safe (what --json prints). */
  numbers: Record<string, unknown>;
  /** The numbers as a table for the terminal and the HTML page. */
  table: { columns: string[]; rows: (string | number)[][] };
  verdict: Verdict;
  /** Why, in terms of the numbers. */
  reason: string;
  figures: Figure[];
  /** Vega-lite specs behind the chart figures (rendered by the caller when `figures` is on). */
  charts?: { name: string; spec: ChartSpec }[];
  seconds: number;
  seed: number;
  small: boolean;
}

export interface RunOptions {
  seed?: number;
  /** Reduced sizes (tests). */
  small?: boolean;
  /** Render figures (default true; tests of numbers turn it off). */
  figures?: boolean;
}

export interface Experiment {
  id: string;
  layer: string;
  claim: string;
  run(opts: RunOptions): ExperimentResult;
}

let digitsCache: Dataset | null = null;

/** The 10,000 bundled MNIST digits (loaded once). */
export function digits(): Dataset {
  digitsCache ??= loadMnistPackage();
  return digitsCache;
}

/**
 * A stratified, seeded sample: `nTest` held-out digits and `nTrain` training digits, disjoint, with the
 * class proportions of the whole in each.
 */
export function digitSplit(nTrain: number, nTest: number, seed: number): { train: Dataset; test: Dataset } {
  const all = digits();
  const a = stratifiedSplit(all, nTest, seed);
  if (nTrain <= 0) return { train: subset(a.train, []), test: a.test };
  if (nTrain >= a.train.y.length) return { train: a.train, test: a.test };
  const b = stratifiedSplit(a.train, nTrain, seed + 1);
  return { train: b.test, test: a.test };
}

/** The whole data set as one tensor [N, ...shape]. */
export function asTensor(d: Dataset, scale = 1, shift = 0): Tensor {
  if (scale === 1 && shift === 0) return fromTypedArray(d.x, [d.y.length, ...d.shape]);
  return fromTypedArray(
    d.x.map((v) => v * scale + shift),
    [d.y.length, ...d.shape],
  );
}

/** A copy with every value mapped (raw 0–255 pixels, say). */
export function mapValues(d: Dataset, f: (v: number) => number): Dataset {
  return { ...d, x: d.x.map(f) };
}

/** The values of `f()`'s tensor result, with everything `f` made freed (predictions, probes). */
export function values(f: () => Tensor): Float32Array {
  return noGrad(() => scope(() => f().data() as Float32Array));
}

/** Share of examples whose largest output is the label. */
export function accuracy(model: Model, d: Dataset, batchSize = 500): number {
  let right = 0;
  const per = d.shape.reduce((a, b) => a * b, 1);
  for (let s = 0; s < d.y.length; s += batchSize) {
    const e = Math.min(d.y.length, s + batchSize);
    const p = noGrad(() =>
      scope(() => {
        const x = fromTypedArray(d.x.subarray(s * per, e * per), [e - s, ...d.shape]);
        return model.predict(x).data();
      }),
    );
    const C = p.length / (e - s);
    for (let i = 0; i < e - s; i++) {
      let k = 0;
      for (let c = 1; c < C; c++) if (p[i * C + c] > p[i * C + k]) k = c;
      if (k === d.y[s + i]) right++;
    }
  }
  return right / d.y.length;
}

/** Mean loss of the model's output layer over a data set (inference mode). */
export function meanLoss(model: Model, d: Dataset, batchSize = 500): number {
  const out = outputLayerOf(model.layers);
  if (!out) throw new Error('meanLoss: the model needs an output layer');
  let total = 0;
  const per = exampleSize(d);
  for (let s = 0; s < d.y.length; s += batchSize) {
    const e = Math.min(d.y.length, s + batchSize);
    total +=
      noGrad(() =>
        scope(() => {
          const x = fromTypedArray(d.x.subarray(s * per, e * per), [e - s, ...d.shape]);
          const y = fromTypedArray(d.y.subarray(s, e), [e - s]);
          return out.loss(model.forward(x), y).item();
        }),
      ) *
      (e - s);
  }
  return total / d.y.length;
}

/** Computes the statistics of normalizing input layers from the training data. */
export function adapt(model: Model, d: Dataset): void {
  for (const l of model.layers)
    if (l instanceof Input && l.normalization !== 'none') scope(() => l.adapt(asTensor(d)));
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Called every `every` steps (and at the end) with fractional epochs done; return true to stop. */
  onCheck?: (epochsDone: number, step: number) => boolean | undefined;
  every?: number;
  /** Called after each epoch. */
  onEpoch?: (epoch: number, meanLoss: number) => boolean | undefined;
}

/**
 * Minibatch training with the model's output layer's loss; shuffled per epoch by `seed`, dropout drawn
 * from `seed`. Returns the mean training loss of each epoch (NaN once the loss has diverged).
 */
export function train(model: Model, data: Dataset, opt: Optimizer, o: TrainOptions): number[] {
  const out = outputLayerOf(model.layers);
  if (!out) throw new Error('train: the model needs an output layer');
  const params = model.parameters();
  const gen = new Generator(o.seed);
  const steps = Math.ceil(data.y.length / o.batchSize);
  const per = exampleSize(data);
  const losses: number[] = [];
  let step = 0;
  for (let ep = 0; ep < o.epochs; ep++) {
    const order = permutation(data.y.length, gen);
    let sum = 0;
    let n = 0;
    for (let s = 0; s < order.length; s += o.batchSize) {
      const idx = order.subarray(s, Math.min(order.length, s + o.batchSize));
      const xb = new Float32Array(idx.length * per);
      const yb = new Int32Array(idx.length);
      for (let i = 0; i < idx.length; i++) {
        xb.set(data.x.subarray(idx[i] * per, (idx[i] + 1) * per), i * per);
        yb[i] = data.y[idx[i]];
      }
      // One step in a scope: the batch, the graph and the gradients are freed when it returns.
      const v = scope(() => {
        const x = fromTypedArray(xb, [idx.length, ...data.shape]);
        const y = fromTypedArray(yb, [idx.length]);
        const { value, grads } = valueAndGradOf(
          () => out.loss(model.forward(x, { training: true, generator: gen }), y),
          params.map((p) => p.value),
        );
        opt.step(params, grads);
        return value.item();
      });
      sum += v * idx.length;
      n += idx.length;
      step++;
      if (o.onCheck && o.every && step % o.every === 0 && o.onCheck(step / steps, step)) {
        losses.push(sum / n);
        return losses;
      }
    }
    losses.push(sum / n);
    if (o.onEpoch?.(ep + 1, sum / n)) break;
  }
  return losses;
}

/** The first `n` examples of a seeded shuffle (not stratified). */
export function pick(d: Dataset, n: number, seed: number): Dataset {
  const order = permutation(d.y.length, new Generator(seed));
  return subset(d, order.subarray(0, Math.min(n, d.y.length)));
}

/** Rounds for printing and JSON (keeps tests' exact comparisons meaningful). */
export function round(v: number, digits = 4): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Formats a number for tables: 4 significant digits, scientific when tiny or huge. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

export const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
