import { StrataError } from '../core/errors.js';

/**
 * Learning-rate schedules. A schedule is a pure function of the step count t (0-based; the caller
 * decides whether a step is an epoch or a batch — the LearningRateScheduler callback takes `unit`), so
 * resuming from a checkpoint needs no schedule state. Each has a JSON config for saving. The formulas are
 * PyTorch's (`StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR`, `LinearLR` + `SequentialLR`,
 * `OneCycleLR`); `ReduceOnPlateau` is stateful and reacts to a metric.
 */
export interface Schedule {
  /** The learning rate at step t. */
  at(t: number): number;
  toConfig(): ScheduleConfig;
}

export type ScheduleConfig =
  | { type: 'constant'; lr: number }
  | { type: 'step'; lr: number; stepSize: number; gamma?: number }
  | { type: 'piecewise'; boundaries: number[]; values: number[] }
  | { type: 'exponential'; lr: number; gamma: number }
  | { type: 'cosine'; lr: number; totalSteps: number; minLr?: number }
  | { type: 'linear'; lr: number; startFactor?: number; endFactor?: number; totalSteps: number }
  | { type: 'warmup'; steps: number; startFactor?: number; after: ScheduleConfig }
  | {
      type: 'oneCycle';
      maxLr: number;
      totalSteps: number;
      pctStart?: number;
      divFactor?: number;
      finalDivFactor?: number;
      anneal?: 'cos' | 'linear';
    };

function need(where: string, name: string, v: unknown, ok: (x: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
    throw new StrataError(`schedule ${where}`, `${name} must be ${what}, got ${v}`);
  return v;
}
const pos = (x: number) => x > 0;
const nonneg = (x: number) => x >= 0;
const posInt = (x: number) => Number.isInteger(x) && x > 0;

function make(config: ScheduleConfig, at: (t: number) => number): Schedule {
  return {
    at: (t: number) => {
      if (!Number.isInteger(t) || t < 0)
        throw new StrataError(`schedule ${config.type}`, `step must be an integer >= 0, got ${t}`);
      return at(t);
    },
    toConfig: () => config,
  };
}

/** A fixed learning rate. */
export function constantLr(lr: number): Schedule {
  need('constant', 'lr', lr, nonneg, '>= 0');
  return make({ type: 'constant', lr }, () => lr);
}

/** lr·γ^⌊t / stepSize⌋ (PyTorch StepLR; default γ 0.1). */
export function stepDecay(lr: number, stepSize: number, gamma = 0.1): Schedule {
  need('step', 'lr', lr, nonneg, '>= 0');
  need('step', 'stepSize', stepSize, posInt, 'a positive integer');
  need('step', 'gamma', gamma, nonneg, '>= 0');
  return make({ type: 'step', lr, stepSize, gamma }, (t) => lr * gamma ** Math.floor(t / stepSize));
}

/**
 * values[i] while t < boundaries[i], values[last] afterwards (`values` has one more entry than
 * `boundaries`). `piecewise([30, 80], [0.1, 0.01, 0.001])` is PyTorch's MultiStepLR(milestones [30, 80], γ 0.1).
 */
export function piecewise(boundaries: number[], values: number[]): Schedule {
  if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1)
    throw new StrataError('schedule piecewise', 'needs one more value than boundaries');
  boundaries.forEach((b, i) => {
    need('piecewise', `boundaries[${i}]`, b, posInt, 'a positive integer');
    if (i > 0 && b <= boundaries[i - 1])
      throw new StrataError('schedule piecewise', `boundaries must increase, got [${boundaries}]`);
  });
  for (const [i, v] of values.entries()) need('piecewise', `values[${i}]`, v, nonneg, '>= 0');
  return make({ type: 'piecewise', boundaries: [...boundaries], values: [...values] }, (t) => {
    let i = 0;
    while (i < boundaries.length && t >= boundaries[i]) i++;
    return values[i];
  });
}

/** lr·γᵗ (PyTorch ExponentialLR). */
export function exponentialDecay(lr: number, gamma: number): Schedule {
  need('exponential', 'lr', lr, nonneg, '>= 0');
  need('exponential', 'gamma', gamma, pos, '> 0');
  return make({ type: 'exponential', lr, gamma }, (t) => lr * gamma ** t);
}

/**
 * minLr + (lr − minLr)·(1 + cos(π·t/totalSteps))/2, then minLr after totalSteps (PyTorch CosineAnnealingLR
 * up to T_max, without its restart).
 */
export function cosineDecay(lr: number, totalSteps: number, minLr = 0): Schedule {
  need('cosine', 'lr', lr, nonneg, '>= 0');
  need('cosine', 'totalSteps', totalSteps, posInt, 'a positive integer');
  need('cosine', 'minLr', minLr, nonneg, '>= 0');
  return make({ type: 'cosine', lr, totalSteps, minLr }, (t) =>
    t >= totalSteps ? minLr : minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * t) / totalSteps))) / 2,
  );
}

/** lr·f with f going linearly from startFactor to endFactor over totalSteps (PyTorch LinearLR). */
export function linearLr(lr: number, totalSteps: number, startFactor = 1 / 3, endFactor = 1): Schedule {
  need('linear', 'lr', lr, nonneg, '>= 0');
  need('linear', 'totalSteps', totalSteps, posInt, 'a positive integer');
  need('linear', 'startFactor', startFactor, pos, '> 0');
  need('linear', 'endFactor', endFactor, nonneg, '>= 0');
  return make({ type: 'linear', lr, startFactor, endFactor, totalSteps }, (t) => {
    const u = Math.min(t, totalSteps) / totalSteps;
    return lr * (startFactor + (endFactor - startFactor) * u);
  });
}

/**
 * Linear warm-up composed with another schedule: for t < steps, then.at(0)·(startFactor + (1 −
 * startFactor)·t/steps); afterwards then.at(t − steps). PyTorch's SequentialLR([LinearLR(startFactor, 1,
 * steps), then], milestones [steps]).
 */
export function warmup(steps: number, then: Schedule, startFactor = 0.1): Schedule {
  need('warmup', 'steps', steps, posInt, 'a positive integer');
  need('warmup', 'startFactor', startFactor, pos, '> 0');
  return make({ type: 'warmup', steps, startFactor, after: then.toConfig() }, (t) =>
    t < steps ? then.at(0) * (startFactor + ((1 - startFactor) * t) / steps) : then.at(t - steps),
  );
}

/**
 * The one-cycle policy (PyTorch OneCycleLR, two phases): from maxLr/divFactor up to maxLr over the first
 * pctStart of the steps, then down to maxLr/(divFactor·finalDivFactor), by cosine (default) or linear
 * annealing. Meant to be stepped per batch; totalSteps = epochs × batches per epoch.
 */
export function oneCycle(
  maxLr: number,
  totalSteps: number,
  opts: { pctStart?: number; divFactor?: number; finalDivFactor?: number; anneal?: 'cos' | 'linear' } = {},
): Schedule {
  const pctStart = opts.pctStart ?? 0.3;
  const divFactor = opts.divFactor ?? 25;
  const finalDivFactor = opts.finalDivFactor ?? 1e4;
  const anneal = opts.anneal ?? 'cos';
  need('oneCycle', 'maxLr', maxLr, pos, '> 0');
  need('oneCycle', 'totalSteps', totalSteps, (x) => posInt(x) && x >= 2, 'an integer >= 2');
  need('oneCycle', 'pctStart', pctStart, (x) => x > 0 && x < 1, 'in (0, 1)');
  need('oneCycle', 'divFactor', divFactor, pos, '> 0');
  need('oneCycle', 'finalDivFactor', finalDivFactor, pos, '> 0');
  if (anneal !== 'cos' && anneal !== 'linear')
    throw new StrataError('schedule oneCycle', `anneal must be 'cos' or 'linear', got '${anneal}'`);
  const initial = maxLr / divFactor;
  const min = initial / finalDivFactor;
  const peak = pctStart * totalSteps - 1;
  const last = totalSteps - 1;
  const f =
    anneal === 'cos'
      ? (a: number, b: number, pct: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1)
      : (a: number, b: number, pct: number) => (b - a) * pct + a;
  return make({ type: 'oneCycle', maxLr, totalSteps, pctStart, divFactor, finalDivFactor, anneal }, (t) => {
    const s = Math.min(t, last);
    if (s <= peak) return f(initial, maxLr, s / peak);
    return f(maxLr, min, (s - peak) / (last - peak));
  });
}

/** Rebuilds a schedule from its config (what checkpoints and the CLI store). */
export function scheduleFromConfig(c: ScheduleConfig): Schedule {
  if (!c || typeof c !== 'object') throw new StrataError('schedule', 'config must be an object');
  switch (c.type) {
    case 'constant':
      return constantLr(c.lr);
    case 'step':
      return stepDecay(c.lr, c.stepSize, c.gamma);
    case 'piecewise':
      return piecewise(c.boundaries, c.values);
    case 'exponential':
      return exponentialDecay(c.lr, c.gamma);
    case 'cosine':
      return cosineDecay(c.lr, c.totalSteps, c.minLr);
    case 'linear':
      return linearLr(c.lr, c.totalSteps, c.startFactor, c.endFactor);
    case 'warmup':
      return warmup(c.steps, scheduleFromConfig(c.after), c.startFactor);
    case 'oneCycle':
      return oneCycle(c.maxLr, c.totalSteps, c);
    default:
      throw new StrataError('schedule', `unknown schedule type '${(c as { type: unknown }).type}'`);
  }
}

export interface ReduceOnPlateauOptions {
  /** 'min' (default) for losses, 'max' for accuracies. */
  mode?: 'min' | 'max';
  /** New lr = lr·factor (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Relative improvement that counts (default 1e-4). */
  threshold?: number;
  /** Epochs to wait after a reduction (default 0). */
  cooldown?: number;
  /** Lower bound of the lr (default 0). */
  minLr?: number;
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the learning rate when a metric stops improving (PyTorch ReduceLROnPlateau with relative
 * threshold). Call `observe(metric)` once per epoch; it returns the learning rate to use next.
 */
export class ReduceOnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  lr: number;
  best: number;
  badEpochs = 0;
  cooldownCounter = 0;

  constructor(lr: number, opts: ReduceOnPlateauOptions = {}) {
    this.mode = opts.mode ?? 'min';
    this.factor = opts.factor ?? 0.1;
    this.patience = opts.patience ?? 10;
    this.threshold = opts.threshold ?? 1e-4;
    this.cooldown = opts.cooldown ?? 0;
    this.minLr = opts.minLr ?? 0;
    this.eps = opts.eps ?? 1e-8;
    need('reduceOnPlateau', 'lr', lr, nonneg, '>= 0');
    need('reduceOnPlateau', 'factor', this.factor, (x) => x > 0 && x < 1, 'in (0, 1)');
    need(
      'reduceOnPlateau',
      'patience',
      this.patience,
      (x) => Number.isInteger(x) && x >= 0,
      'an integer >= 0',
    );
    if (this.mode !== 'min' && this.mode !== 'max')
      throw new StrataError('schedule reduceOnPlateau', `mode must be 'min' or 'max', got '${this.mode}'`);
    this.lr = lr;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private better(a: number): boolean {
    return this.mode === 'min' ? a < this.best * (1 - this.threshold) : a > this.best * (1 + this.threshold);
  }

  observe(metric: number): number {
    if (this.better(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else this.badEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.patience) {
      const next = Math.max(this.lr * this.factor, this.minLr);
      if (this.lr - next > this.eps) this.lr = next;
      this.cooldownCounter = this.cooldown;
      this.badEpochs = 0;
    }
    return this.lr;
  }

  state() {
    return { lr: this.lr, best: this.best, badEpochs: this.badEpochs, cooldownCounter: this.cooldownCounter };
  }
  loadState(s: { lr: number; best: number; badEpochs: number; cooldownCounter: number }): void {
    this.lr = s.lr;
    this.best = s.best;
    this.badEpochs = s.badEpochs;
    this.cooldownCounter = s.cooldownCounter;
  }
}
