import { join } from 'node:path';
import { fromTypedArray } from '../core/creation.js';
import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Model } from '../models/model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ReduceOnPlateau, type ReduceOnPlateauOptions, type Schedule } from '../optim/schedules.js';

/** What one epoch produced. Validation entries are present when there is validation data. */
export interface EpochLogs {
  /** 1-based. */
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate at the end of the epoch. */
  lr: number;
  /** Training time of the epoch (validation excluded). */
  seconds: number;
  imagesPerSecond: number;
  /** Batches skipped for a non-finite loss or gradient (fit's onNonFinite: 'skip'), when any. */
  skippedBatches?: number;
}

export interface BatchLogs {
  /** 0-based within the epoch. */
  batch: number;
  size: number;
  loss: number;
  /** Correct predictions in the batch. */
  correct: number;
}

/** The training loop's state as callbacks see it. */
export interface TrainContext {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly epochs: number;
  /** 0-based index of the current (or just finished) epoch. */
  epoch: number;
  readonly stepsPerEpoch: number;
  readonly trainSize: number;
  /** Batches done since training began (the schedule's step when stepping per batch). */
  step: number;
  readonly history: EpochLogs[];
  /** Set to end training after this epoch. */
  stopTraining: boolean;
  readonly classNames: string[];
  /** Writes a checkpoint of the current state (model, optimizer, epoch, seed, history, callback state). */
  saveCheckpoint(path: string): void;
}

/**
 * Hooks into `fit`. A callback with state (a best value, a counter) gives it through `getState` and
 * takes it back through `setState`, so a resumed run behaves as the uninterrupted one.
 */
export interface Callback {
  readonly name: string;
  onTrainBegin?(ctx: TrainContext): void;
  onEpochBegin?(ctx: TrainContext): void;
  onBatchBegin?(ctx: TrainContext, batch: number): void;
  onBatchEnd?(ctx: TrainContext, logs: BatchLogs): void;
  onEpochEnd?(ctx: TrainContext, logs: EpochLogs): void;
  onTrainEnd?(ctx: TrainContext): void;
  getState?(): unknown;
  setState?(state: unknown): void;
  /** Runs its onEpochEnd after every other callback (checkpoints: they save the others' state). */
  readonly runsLast?: boolean;
}

export type Monitor = 'valLoss' | 'valAccuracy' | 'loss' | 'accuracy';

function monitored(where: string, logs: EpochLogs, monitor: Monitor): number {
  const v = logs[monitor];
  if (v === undefined)
    throw new StrataError(
      where,
      `monitors '${monitor}', which this run does not produce (no validation data?)`,
    );
  return v;
}

const modeOf = (monitor: Monitor, mode?: 'min' | 'max') =>
  mode ?? (monitor.endsWith('ccuracy') ? 'max' : 'min');

/**
 * Stops training when `monitor` (default valLoss) has not improved by more than `minDelta` for `patience`
 * epochs (default 5). With `restoreBest`, the weights of the best epoch are put back at the end.
 */
export class EarlyStopping implements Callback {
  readonly name = 'EarlyStopping';
  readonly monitor: Monitor;
  readonly mode: 'min' | 'max';
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;
  best: number;
  wait = 0;
  /** Epoch (1-based) that stopped training, or 0. */
  stoppedEpoch = 0;
  private bestWeights: Map<string, Float32Array | Float64Array | Int32Array> | null = null;

  constructor(
    opts: {
      monitor?: Monitor;
      mode?: 'min' | 'max';
      patience?: number;
      minDelta?: number;
      restoreBest?: boolean;
    } = {},
  ) {
    this.monitor = opts.monitor ?? 'valLoss';
    this.mode = modeOf(this.monitor, opts.mode);
    this.patience = opts.patience ?? 5;
    this.minDelta = opts.minDelta ?? 0;
    this.restoreBest = opts.restoreBest ?? false;
    if (!Number.isInteger(this.patience) || this.patience < 0)
      throw new StrataError('EarlyStopping', `patience must be an integer >= 0, got ${this.patience}`);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    const v = monitored(this.name, logs, this.monitor);
    const better = this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
    if (better) {
      this.best = v;
      this.wait = 0;
      if (this.restoreBest)
        this.bestWeights = new Map([...ctx.model.namedState()].map(([k, p]) => [k, p.value.data()]));
    } else if (++this.wait >= this.patience) {
      ctx.stopTraining = true;
      this.stoppedEpoch = logs.epoch;
    }
  }

  onTrainEnd(ctx: TrainContext): void {
    if (!this.restoreBest || !this.bestWeights) return;
    for (const [k, p] of ctx.model.namedState()) {
      const d = this.bestWeights.get(k);
      if (d) p.assign(fromHost(p.value, d));
    }
  }

  getState() {
    return { best: this.best, wait: this.wait, stoppedEpoch: this.stoppedEpoch };
  }
  setState(s: unknown): void {
    const o = s as { best: number | null; wait: number; stoppedEpoch: number };
    this.best = o.best ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.wait = o.wait;
    this.stoppedEpoch = o.stoppedEpoch;
  }
}

function fromHost(like: Tensor, d: Float32Array | Float64Array | Int32Array): Tensor {
  return fromTypedArray(d, like.shape, { dtype: like.dtype, backend: like.backend });
}

/**
 * Saves checkpoints into folder `dir`: `last.safetensors` after every epoch and `best.safetensors` when
 * `monitor` (default valLoss, or loss without validation data) improves. Each holds everything needed to
 * resume (`fit(..., { resumeFrom })`).
 */
export class ModelCheckpoint implements Callback {
  readonly name = 'ModelCheckpoint';
  readonly runsLast = true;
  readonly dir: string;
  readonly monitor: Monitor | undefined;
  readonly saveBest: boolean;
  readonly saveLast: boolean;
  private mode: 'min' | 'max' | undefined;
  best: number | null = null;

  constructor(
    dir: string,
    opts: { monitor?: Monitor; mode?: 'min' | 'max'; saveBest?: boolean; saveLast?: boolean } = {},
  ) {
    this.dir = dir;
    this.monitor = opts.monitor;
    this.mode = opts.mode;
    this.saveBest = opts.saveBest ?? true;
    this.saveLast = opts.saveLast ?? true;
  }

  get lastPath(): string {
    return join(this.dir, 'last.safetensors');
  }
  get bestPath(): string {
    return join(this.dir, 'best.safetensors');
  }

  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    const monitor = this.monitor ?? (logs.valLoss !== undefined ? 'valLoss' : 'loss');
    const mode = modeOf(monitor, this.mode);
    const v = monitored(this.name, logs, monitor);
    const improved = this.best === null || (mode === 'min' ? v < this.best : v > this.best);
    if (improved) this.best = v;
    // The state saved includes this callback's updated best.
    if (this.saveBest && improved) ctx.saveCheckpoint(this.bestPath);
    if (this.saveLast) ctx.saveCheckpoint(this.lastPath);
  }

  getState() {
    return { best: this.best };
  }
  setState(s: unknown): void {
    this.best = (s as { best: number | null }).best;
  }
}

/**
 * Sets the optimizer's learning rate from a schedule before every epoch (`unit: 'epoch'`, default; t is
 * the 0-based epoch) or every batch (`unit: 'batch'`; t counts batches from the start of training).
 */
export class LearningRateScheduler implements Callback {
  readonly name = 'LearningRateScheduler';
  constructor(
    readonly schedule: Schedule,
    readonly unit: 'epoch' | 'batch' = 'epoch',
  ) {}
  onEpochBegin(ctx: TrainContext): void {
    if (this.unit === 'epoch') ctx.optimizer.lr = this.schedule.at(ctx.epoch);
  }
  onBatchBegin(ctx: TrainContext): void {
    if (this.unit === 'batch') ctx.optimizer.lr = this.schedule.at(ctx.step);
  }
}

/** Reduces the learning rate when `monitor` stops improving (see ReduceOnPlateau). */
export class ReduceLROnPlateau implements Callback {
  readonly name = 'ReduceLROnPlateau';
  readonly monitor: Monitor;
  private plateau: ReduceOnPlateau | null = null;
  private readonly opts: ReduceOnPlateauOptions;
  private saved: ReturnType<ReduceOnPlateau['state']> | null = null;

  constructor(opts: ReduceOnPlateauOptions & { monitor?: Monitor } = {}) {
    this.monitor = opts.monitor ?? 'valLoss';
    this.opts = { ...opts, mode: modeOf(this.monitor, opts.mode) };
  }
  onTrainBegin(ctx: TrainContext): void {
    this.plateau = new ReduceOnPlateau(ctx.optimizer.lr, this.opts);
    if (this.saved) this.plateau.loadState(this.saved);
  }
  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    ctx.optimizer.lr = this.plateau!.observe(monitored(this.name, logs, this.monitor));
  }
  getState() {
    return this.plateau?.state() ?? null;
  }
  setState(s: unknown): void {
    this.saved = s as ReturnType<ReduceOnPlateau['state']>;
  }
}

/** Writes the history after every epoch to a CSV or JSON file (atomically; format from the extension). */
export class HistoryLogger implements Callback {
  readonly name = 'HistoryLogger';
  readonly format: 'csv' | 'json';
  constructor(
    readonly path: string,
    format?: 'csv' | 'json',
  ) {
    this.format = format ?? (path.toLowerCase().endsWith('.json') ? 'json' : 'csv');
  }
  onEpochEnd(ctx: TrainContext): void {
    writeFileAtomic(this.path, historyText(ctx.history, this.format));
  }
}

const COLUMNS: Array<keyof EpochLogs> = [
  'epoch',
  'loss',
  'accuracy',
  'valLoss',
  'valAccuracy',
  'lr',
  'seconds',
  'imagesPerSecond',
];

/** The history as CSV (one row per epoch) or JSON (a list of epoch records). */
export function historyText(history: readonly EpochLogs[], format: 'csv' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(history, null, 2)}\n`;
  const cols = COLUMNS.filter((c) => history.some((h) => h[c] !== undefined));
  return `${[cols.join(','), ...history.map((h) => cols.map((c) => h[c] ?? '').join(','))].join('\n')}\n`;
}
