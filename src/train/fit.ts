import { valueAndGradOf } from '../autograd/grad.js';
import { fromTypedArray } from '../core/creation.js';
import { noGrad, scope } from '../core/engine.js';
import { getCheckNumerics, numericsScope, setCheckNumerics } from '../core/numerics.js';
import { StrataError } from '../core/errors.js';
import { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import {
  type Dataset,
  hostBatches,
  permutation,
  stratifiedSplit,
  type Transform,
  validateDataset,
} from '../data/dataset.js';
import { binaryCrossEntropy, crossEntropy, huber, mae, mse } from '../functional/losses.js';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { Input } from '../layers/core.js';
import type { Parameter } from '../layers/layer.js';
import { outputLayerOf } from '../layers/output.js';
import type { Model } from '../models/model.js';
import { makeOptimizer } from '../optim/index.js';
import type { Optimizer } from '../optim/optimizer.js';
import { argmax } from '../ops/reduce.js';
import type { Callback, EpochLogs, TrainContext } from './callbacks.js';
import { accuracy, argmaxRows, classificationReport, confusionMatrix, topKAccuracy } from './metrics.js';
import { ProgressBar, type ProgressOptions } from './progress.js';

/** A loss of a batch: the model's output and the target (int32 labels [N] for a data set). */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;
export type LossName = 'crossEntropy' | 'binaryCrossEntropy' | 'mse' | 'mae' | 'huber';

const LOSSES: Record<LossName, LossFn> = {
  crossEntropy: (o, t) => crossEntropy(o, t),
  binaryCrossEntropy: (o, t) => binaryCrossEntropy(o, t),
  mse: (o, t) => mse(o, t),
  mae: (o, t) => mae(o, t),
  huber: (o, t) => huber(o, t),
};

/**
 * The loss to train with: a function, a name (applied to the model's output, which must then be
 * logits), or — by default — the loss of the model's output layer (ClassificationOutput: cross-entropy
 * computed stably from the logits before its softmax).
 */
export function resolveLoss(model: Model, loss?: LossName | LossFn): LossFn {
  if (typeof loss === 'function') return loss;
  if (typeof loss === 'string') {
    const f = LOSSES[loss];
    if (!f)
      throw new StrataError('fit', `unknown loss '${loss}'; choose one of ${Object.keys(LOSSES).join(', ')}`);
    return f;
  }
  const out = outputLayerOf(model.layers);
  if (!out)
    throw new StrataError(
      'fit',
      'the model has no output layer (such as ClassificationOutput): give `loss` (a name or a function)',
    );
  return (o, t) => out.loss(o, t);
}

export interface FitOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** An optimizer, or a name ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'; default 'adam'). */
  optimizer?: Optimizer | string;
  /** Learning rate for an optimizer given by name. */
  lr?: number;
  loss?: LossName | LossFn;
  validationData?: Dataset;
  /** A fraction of the training data held out (stratified, seeded) for validation. */
  validationSplit?: number;
  /** Reshuffle the training data every epoch (default true). */
  shuffle?: boolean;
  /** Seeds shuffling, augmentation, dropout and the validation split (default 0). */
  seed?: number;
  callbacks?: Callback[];
  /** Augmentation applied to each training example. */
  augment?: Transform;
  /** Progress bar (default: when stdout is a terminal); options choose the stream. */
  progress?: boolean | ProgressOptions;
  /** A checkpoint to continue from (see ModelCheckpoint): weights, optimizer state, epoch, callbacks. */
  resumeFrom?: string;
  /** Compute input-normalization statistics from the training data first (default true; not on resume). */
  adaptInput?: boolean;
  /** Batch size of validation (default 256). */
  evalBatchSize?: number;
  /**
   * What a step whose loss (or a gradient) is NaN or ±Infinity does; it is never applied. 'stop'
   * (default): throw, naming the step and the last finite loss. 'skip': skip the batch and go on (the
   * epoch's logs count them in `skippedBatches`).
   */
  onNonFinite?: 'stop' | 'skip';
  /**
   * Check every op's outputs and stop at the first NaN/Infinity, naming the op and the layer, forward
   * or backward (slow; default: `setCheckNumerics` / `STRATA_CHECK_NUMERICS=1`).
   */
  checkNumerics?: boolean;
  /** Ends training after the current batch once aborted (with `fitAsync`, Ctrl-C can abort it). */
  signal?: AbortSignal;
  /** Where an interruption writes a checkpoint that `resumeFrom` continues exactly, mid-epoch. */
  interruptCheckpoint?: string;
}

export interface FitResult {
  history: EpochLogs[];
  optimizer: Optimizer;
  /** Epochs completed (including those before a resume). */
  epochs: number;
  stoppedEarly: boolean;
  /** Wall time of this call, validation included. */
  seconds: number;
  /** Whether `signal` ended training early. */
  interrupted: boolean;
  /** Batches done since training began (including those before a resume). */
  step: number;
  /** Batches skipped for a non-finite loss or gradient (onNonFinite: 'skip'). */
  skippedBatches: number;
  /** The checkpoint written on interruption. */
  checkpoint?: string;
}

/** The random stream of one epoch: a function of the seed and the epoch only, so resuming needs no RNG dump. */
export function epochGenerator(seed: number, epoch: number): Generator {
  return new Generator((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
}

function checkData(model: Model, d: Dataset, what: string): void {
  validateDataset(d, what);
  const want = model.inputShapes;
  if (want.length !== 1)
    throw new StrataError('fit', `the model takes ${want.length} inputs; fit handles one`);
  const s = d.shape;
  if (s.length !== want[0].length || s.some((v, i) => v !== want[0][i])) {
    // Name the layer the examples would enter: the input layer, else the first layer.
    const first = model.layers.find((l) => l instanceof Input) ?? model.layers[0];
    throw new StrataError(
      'fit',
      `${what} examples have shape [${s}], the model expects [${want[0]}]${first ? ` (its first layer is ${first.where})` : ''}: nothing was computed`,
    );
  }
  const outs = model.outputShape[0];
  let max = -1;
  for (const v of d.y) max = Math.max(max, v);
  if (model.outputShape.length === 1 && max >= outs)
    throw new StrataError(
      'fit',
      `${what} has label ${max}, but the model has only ${outs} outputs (labels 0..${outs - 1})`,
    );
}

/** Correct predictions of a batch output [N, C] (0 when the output is not [N, C]). */
function countCorrect(out: Tensor, labels: Int32Array): number {
  if (out.rank !== 2 || out.shape[1] < 2) return 0;
  const p = noGrad(() => argmax(out, 1).data());
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (p[i] === labels[i]) ok++;
  return ok;
}

/** Computes the normalization statistics of the model's normalizing input layers from data. */
export function adaptInputs(model: Model, d: Dataset): void {
  const inputs = model.layers.filter((l): l is Input => l instanceof Input && l.normalization !== 'none');
  if (inputs.length === 0) return;
  scope(() => {
    const x = fromTypedArray(d.x, [d.y.length, ...d.shape]);
    for (const l of inputs) l.adapt(x);
  });
}

/**
 * Trains `model` on a labelled data set. Each step — forward in training mode, loss, gradients,
 * optimizer update — runs inside an engine scope, so nothing needs a dispose. Randomness (shuffling,
 * augmentation, dropout, the validation split) comes from `seed` alone, per epoch, so a run resumed from a
 * checkpoint ends with exactly the weights of an uninterrupted one. A step whose loss or gradients are
 * not finite is not applied: by default training stops there with an error naming the step and the last
 * finite loss (`onNonFinite: 'skip'` skips the batch instead).
 */
export function fit(model: Model, data: Dataset, opts: FitOptions = {}): FitResult {
  const run = fitSteps(model, data, opts);
  for (;;) {
    const r = run.next();
    if (r.done) return r.value;
  }
}

/**
 * `fit` that lets the event loop run between batches, so that signals (Ctrl-C), timers and I/O are
 * handled during training — with `signal`, an interruption ends training after the current batch
 * (and writes `interruptCheckpoint`). The same steps as `fit`, bit for bit.
 */
export async function fitAsync(model: Model, data: Dataset, opts: FitOptions = {}): Promise<FitResult> {
  const run = fitSteps(model, data, opts);
  for (;;) {
    const r = run.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A snapshot of a generator's state (its own fields: plain numbers), for mid-epoch checkpoints. */
const generatorState = (g: Generator): Record<string, unknown> => ({ ...g });

/** The first parameter whose gradient holds NaN or ±Infinity, with the value. */
function nonFiniteGradient(params: readonly Parameter[], grads: readonly Tensor[]): string | null {
  for (const [i, g] of grads.entries()) {
    if (g.dtype === 'int32') continue;
    const d = g.data();
    for (let k = 0; k < d.length; k++)
      if (!Number.isFinite(d[k])) return `the gradient of '${params[i].name}' holds ${d[k]}`;
  }
  return null;
}

/** The training loop, one batch per step of the iterator (see `fit` and `fitAsync`). */
function* fitSteps(model: Model, data: Dataset, opts: FitOptions): globalThis.Generator<void, FitResult> {
  const checking = opts.checkNumerics ?? getCheckNumerics();
  const before = getCheckNumerics();
  setCheckNumerics(checking);
  try {
    return yield* fitLoop(model, data, opts, checking);
  } finally {
    setCheckNumerics(before);
  }
}

function* fitLoop(
  model: Model,
  data: Dataset,
  opts: FitOptions,
  checking: boolean,
): globalThis.Generator<void, FitResult> {
  const t0 = performance.now();
  const epochs = opts.epochs ?? 10;
  const batchSize = opts.batchSize ?? 32;
  const onNonFinite = opts.onNonFinite ?? 'stop';
  if (onNonFinite !== 'stop' && onNonFinite !== 'skip')
    throw new StrataError('fit', `onNonFinite must be 'stop' or 'skip', got '${String(onNonFinite)}'`);
  // A resumed run keeps the seed it was trained with (unless told otherwise, which is an error).
  const saved = opts.resumeFrom ? (readCheckpoint(opts.resumeFrom).meta.state as { seed?: number }) : {};
  if (saved.seed !== undefined && opts.seed !== undefined && saved.seed !== opts.seed)
    throw new StrataError(
      'fit',
      `${opts.resumeFrom} was trained with seed ${saved.seed}, this run asks for ${opts.seed}`,
    );
  const seed = opts.seed ?? saved.seed ?? 0;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new StrataError('fit', `epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new StrataError('fit', `batchSize must be a positive integer, got ${batchSize}`);
  if (opts.validationData && opts.validationSplit !== undefined)
    throw new StrataError('fit', 'give validationData or validationSplit, not both');
  if (!model.layers.every((l) => l.built)) model.build({ seed });
  let train = data;
  let val = opts.validationData;
  if (opts.validationSplit !== undefined) {
    const s = stratifiedSplit(data, opts.validationSplit, seed);
    train = s.train;
    val = s.test;
  }
  checkData(model, train, 'the training data');
  if (val) checkData(model, val, 'the validation data');
  const lossFn = resolveLoss(model, opts.loss);
  const optimizer =
    typeof opts.optimizer === 'object'
      ? opts.optimizer
      : makeOptimizer(opts.optimizer ?? 'adam', opts.lr !== undefined ? { lr: opts.lr } : {});
  const params = model.parameters();
  const callbacks = [...(opts.callbacks ?? [])];
  const wantProgress = opts.progress ?? !!process.stdout.isTTY;
  if (wantProgress)
    callbacks.unshift(new ProgressBar(typeof opts.progress === 'object' ? opts.progress : {}));
  const ordered = [...callbacks.filter((c) => !c.runsLast), ...callbacks.filter((c) => c.runsLast)];
  const n = train.y.length;
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const history: EpochLogs[] = [];
  let startEpoch = 0;
  let stopped = false;
  // A checkpoint written by an interruption holds the position inside its epoch.
  let resumeAt: { batch: number; generator: Record<string, unknown>; partial: Partial } | null = null;

  if (opts.resumeFrom) {
    const { state } = restoreCheckpoint(opts.resumeFrom, model, optimizer);
    const s = state as {
      epoch?: number;
      batchSize?: number;
      history?: EpochLogs[];
      callbacks?: Record<string, unknown>;
      stopped?: boolean;
      batch?: number;
      generator?: Record<string, unknown>;
      partial?: Partial;
    };
    if (s.batchSize !== undefined && s.batchSize !== batchSize)
      throw new StrataError(
        'fit',
        `${opts.resumeFrom} was trained with batch size ${s.batchSize}, this run uses ${batchSize}`,
      );
    startEpoch = s.epoch ?? 0;
    history.push(...(s.history ?? []));
    stopped = !!s.stopped;
    callbacks.forEach((c, i) => {
      const st = s.callbacks?.[`${i}:${c.name}`];
      if (st !== undefined && c.setState) c.setState(st);
    });
    if (s.batch && s.generator && s.partial) {
      if (!(Number.isInteger(s.batch) && s.batch > 0 && s.batch <= stepsPerEpoch))
        throw new StrataError(
          'fit',
          `${opts.resumeFrom} stopped at batch ${s.batch} of an epoch of ${stepsPerEpoch} batches: not this data set`,
        );
      resumeAt = { batch: s.batch, generator: s.generator, partial: s.partial };
    }
  } else if (opts.adaptInput ?? true) adaptInputs(model, train);

  const callbackState = () => {
    const cbState: Record<string, unknown> = {};
    callbacks.forEach((c, i) => {
      if (c.getState) cbState[`${i}:${c.name}`] = c.getState();
    });
    return cbState;
  };
  const ctx: TrainContext = {
    model,
    optimizer,
    epochs,
    epoch: startEpoch,
    stepsPerEpoch,
    trainSize: n,
    step: startEpoch * stepsPerEpoch + (resumeAt?.batch ?? 0),
    history,
    stopTraining: stopped,
    classNames: train.classNames,
    saveCheckpoint: (path: string) => {
      saveCheckpoint(path, {
        model,
        optimizer,
        classNames: train.classNames,
        state: {
          epoch: ctx.epoch + 1,
          seed: seed,
          batchSize,
          history,
          callbacks: callbackState(),
          stopped: ctx.stopTraining,
        },
      });
    },
  };

  const stepLoss = checking ? (o: Tensor, t: Tensor) => numericsScope('loss', () => lossFn(o, t)) : lossFn;
  let lastFinite: { loss: number; step: number } | null = null;
  let skippedTotal = 0;
  let interrupted = false;
  let checkpoint: string | undefined;

  for (const c of ordered) c.onTrainBegin?.(ctx);
  const evalBatch = opts.evalBatchSize ?? 256;
  for (let epoch = startEpoch; epoch < epochs && !ctx.stopTraining; epoch++) {
    ctx.epoch = epoch;
    for (const c of ordered) c.onEpochBegin?.(ctx);
    const gen = epochGenerator(seed, epoch);
    let order = opts.shuffle === false ? undefined : permutation(n, gen);
    const te = performance.now();
    const part: Partial = { lossSum: 0, correct: 0, seen: 0, skipped: 0 };
    let b = 0;
    if (resumeAt) {
      // Continue inside the epoch: same order, the generator as it was after the batches done.
      Object.assign(gen, resumeAt.generator);
      Object.assign(part, resumeAt.partial);
      b = resumeAt.batch;
      order = (order ?? Int32Array.from({ length: n }, (_, i) => i)).subarray(b * batchSize);
      resumeAt = null;
    }
    for (const hb of hostBatches(train, { batchSize, order, transform: opts.augment, generator: gen })) {
      for (const c of ordered) c.onBatchBegin?.(ctx, b);
      const r = scope(() => {
        const x = fromTypedArray(hb.x, hb.shape);
        const y = fromTypedArray(hb.labels, [hb.size]);
        let ok = 0;
        const { value, grads } = valueAndGradOf(
          () => {
            const out = model.forward(x, { training: true, generator: gen });
            const l = stepLoss(out, y);
            ok = countCorrect(out, hb.labels);
            return l;
          },
          params.map((p) => p.value),
        );
        const loss = value.item();
        // A non-finite loss or gradient is never applied to the weights.
        const bad = !Number.isFinite(loss) ? `the loss became ${loss}` : nonFiniteGradient(params, grads);
        if (bad) return { loss, correct: ok, bad };
        if (checking) numericsScope(`optimizer ${optimizer.type}`, () => optimizer.step(params, grads));
        else optimizer.step(params, grads);
        return { loss, correct: ok, bad: null };
      });
      if (r.bad) {
        if (onNonFinite === 'stop')
          throw new StrataError(
            'fit',
            `${r.bad} at step ${ctx.step + 1} (epoch ${epoch + 1}, batch ${b + 1}); ${
              lastFinite
                ? `the last finite loss was ${lastFinite.loss} at step ${lastFinite.step}`
                : 'no step before it had a finite loss'
            }. The weights are those before this step. Lower the learning rate or check the data for NaN; onNonFinite: 'skip' skips such batches, checkNumerics: true names the op that made the value`,
          );
        part.skipped++;
        skippedTotal++;
      } else {
        part.lossSum += r.loss * hb.size;
        part.correct += r.correct;
        part.seen += hb.size;
        lastFinite = { loss: r.loss, step: ctx.step + 1 };
      }
      ctx.step++;
      for (const c of ordered)
        c.onBatchEnd?.(ctx, { batch: b, size: hb.size, loss: r.loss, correct: r.correct });
      b++;
      if (opts.signal?.aborted) {
        interrupted = true;
        if (opts.interruptCheckpoint) {
          saveCheckpoint(opts.interruptCheckpoint, {
            model,
            optimizer,
            classNames: train.classNames,
            state: {
              epoch,
              batch: b,
              generator: generatorState(gen),
              partial: { ...part },
              seed,
              batchSize,
              history,
              callbacks: callbackState(),
              stopped: ctx.stopTraining,
            },
          });
          checkpoint = opts.interruptCheckpoint;
        }
        break;
      }
      yield;
    }
    if (interrupted) break;
    const seconds = (performance.now() - te) / 1000;
    const logs: EpochLogs = {
      epoch: epoch + 1,
      loss: part.seen ? part.lossSum / part.seen : Number.NaN,
      accuracy: part.seen ? part.correct / part.seen : 0,
      lr: optimizer.lr,
      seconds,
      imagesPerSecond: n / seconds,
    };
    if (part.skipped) logs.skippedBatches = part.skipped;
    if (val) {
      const e = evaluate(model, val, { batchSize: evalBatch, loss: lossFn });
      logs.valLoss = e.loss;
      logs.valAccuracy = e.accuracy;
    }
    history.push(logs);
    for (const c of ordered) c.onEpochEnd?.(ctx, logs);
  }
  for (const c of ordered) c.onTrainEnd?.(ctx);
  return {
    history,
    optimizer,
    epochs: history.length,
    stoppedEarly: ctx.stopTraining && history.length < epochs,
    seconds: (performance.now() - t0) / 1000,
    interrupted,
    step: ctx.step,
    skippedBatches: skippedTotal,
    checkpoint,
  };
}

/** The sums of an epoch so far (saved in a mid-epoch checkpoint). */
interface Partial {
  lossSum: number;
  correct: number;
  seen: number;
  skipped: number;
}

export interface EvaluateResult {
  loss: number;
  accuracy: number;
  /** Predicted class per example. */
  predicted: Int32Array;
  /** Model outputs [N, C] row-major (probabilities for a ClassificationOutput model). */
  scores: Float32Array;
  numClasses: number;
  confusion: number[][];
  /** Per-class precision, recall, F1 with macro and weighted averages. */
  report: ReturnType<typeof classificationReport>;
  /** Top-k accuracy for k = 1..min(5, C). */
  topK: number[];
}

/** Loss, accuracy, confusion matrix and per-class scores of a model on a labelled data set (inference mode). */
export function evaluate(
  model: Model,
  data: Dataset,
  opts: { batchSize?: number; loss?: LossName | LossFn } = {},
): EvaluateResult {
  checkData(model, data, 'the evaluation data');
  const lossFn = resolveLoss(model, opts.loss);
  const n = data.y.length;
  const C = model.outputShape[0];
  const scores = new Float32Array(n * C);
  let lossSum = 0;
  let at = 0;
  for (const hb of hostBatches(data, { batchSize: opts.batchSize ?? 256 })) {
    lossSum += noGrad(() =>
      scope(() => {
        const out = model.forward(fromTypedArray(hb.x, hb.shape), { training: false });
        scores.set(out.data(), at * C);
        return lossFn(out, fromTypedArray(hb.labels, [hb.size])).item() * hb.size;
      }),
    );
    at += hb.size;
  }
  const predicted = argmaxRows(scores, C);
  const confusion = confusionMatrix(predicted, data.y, C);
  return {
    loss: n ? lossSum / n : 0,
    accuracy: accuracy(predicted, data.y),
    predicted,
    scores,
    numClasses: C,
    confusion,
    report: classificationReport(confusion),
    topK: Array.from({ length: Math.min(5, C) }, (_, k) => topKAccuracy(scores, data.y, k + 1, C)),
  };
}

/** Model outputs for a data set or a batch tensor, in inference mode: [N, ...output] row-major on the host. */
export function predict(
  model: Model,
  data: Dataset | Tensor,
  opts: { batchSize?: number } = {},
): Float32Array {
  if (!('classNames' in data)) return Float32Array.from(model.predict(data, opts).data());
  const per = model.outputShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.y.length * per);
  let at = 0;
  for (const hb of hostBatches(data, { batchSize: opts.batchSize ?? 256 })) {
    noGrad(() =>
      scope(() => {
        out.set(model.forward(fromTypedArray(hb.x, hb.shape)).data(), at * per);
      }),
    );
    at += hb.size;
  }
  return out;
}
