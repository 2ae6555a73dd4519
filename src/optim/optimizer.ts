import { keep, noGrad, scope } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { Parameter } from '../layers/layer.js';
import { addScaled } from '../ops/binary.js';
import { clipGradNorm, clipGradValue } from './clip.js';

/** Options every optimizer takes. */
export interface OptimizerOptions {
  /** Learning rate (each parameter's is `lr × parameter.lrFactor`). */
  lr?: number;
  /**
   * Weight decay. Coupled (L2: `wd·p` added to the gradient) for SGD, Adam, RMSProp and Adagrad; decoupled
   * (`p ← p·(1 − lr·wd)`) for AdamW. Each parameter's is `weightDecay × parameter.decayFactor`.
   */
  weightDecay?: number;
  /** Rescale all gradients together so their global L2 norm is at most this (PyTorch clip_grad_norm_). */
  clipNorm?: number;
  /** Clamp every gradient element to [−clipValue, clipValue] (applied before clipNorm). */
  clipValue?: number;
}

/** What a checkpoint stores of an optimizer: its settings, its step counts and its state tensors. */
export interface OptimizerState {
  type: string;
  config: Record<string, number | boolean>;
  /** Steps taken per parameter, by parameter name. */
  steps: Record<string, number>;
  /** State tensors by `parameterName/slot` (for example `dense_1.weight/m`). */
  tensors: Record<string, Tensor>;
}

interface Slot {
  step: number;
  tensors: Record<string, Tensor>;
}

/**
 * The base of every optimizer. `step(params, grads)` updates each parameter from its gradient under
 * `noGrad` and inside a `scope`, so intermediates are freed; new parameter values replace the old ones
 * through `Parameter.assign` (which disposes the old value), and state tensors (momenta, averages) are
 * `keep`-marked and replaced the same way: nothing leaks and nothing needs a dispose.
 */
export abstract class Optimizer {
  abstract readonly type: string;
  lr: number;
  weightDecay: number;
  clipNorm: number | undefined;
  clipValue: number | undefined;
  private readonly slots = new Map<Parameter, Slot>();

  constructor(opts: OptimizerOptions, defaultLr: number) {
    this.lr = opts.lr ?? defaultLr;
    this.weightDecay = opts.weightDecay ?? 0;
    this.clipNorm = opts.clipNorm;
    this.clipValue = opts.clipValue;
    this.check('lr', this.lr, 0);
    this.check('weightDecay', this.weightDecay, 0);
    if (this.clipNorm !== undefined) this.check('clipNorm', this.clipNorm, 0, true);
    if (this.clipValue !== undefined) this.check('clipValue', this.clipValue, 0, true);
  }

  protected check(name: string, v: number, min: number, exclusive = false, max = Infinity): void {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (exclusive && v === min) || v > max)
      throw new StrataError(
        this.constructor.name,
        `${name} must be a finite number ${exclusive ? '>' : '>='} ${min}${max < Infinity ? ` and <= ${max}` : ''}, got ${v}`,
      );
  }

  /** The update of one parameter; runs under noGrad inside the step's scope. Returns the new value. */
  protected abstract update(p: Tensor, g: Tensor, ctx: UpdateContext): Tensor;

  /** The optimizer's own settings (saved in checkpoints). */
  abstract getConfig(): Record<string, number | boolean>;

  /**
   * Updates `params` from `grads` (one per parameter, same shapes). Without `grads`, each parameter's
   * `.grad` is used (the `loss.backward()` path; clear them with `zeroGrad` between steps).
   */
  step(params: readonly Parameter[], grads?: readonly Tensor[]): void {
    const gs = grads ?? params.map((p) => this.gradOf(p));
    if (gs.length !== params.length)
      throw new StrataError(
        `${this.type}.step`,
        `got ${params.length} parameters and ${gs.length} gradients`,
      );
    params.forEach((p, i) => {
      if (!p.trainable)
        throw new StrataError(`${this.type}.step`, `'${p.name}' is a buffer, not a trainable parameter`);
      if (!shapesEqual(p.shape, gs[i].shape))
        throw new StrataError(
          `${this.type}.step`,
          `gradient ${i} has shape [${gs[i].shape}], parameter '${p.name}' has [${p.shape}]`,
        );
    });
    scope(() =>
      noGrad(() => {
        let clipped = [...gs];
        if (this.clipValue !== undefined) clipped = clipGradValue(clipped, this.clipValue);
        if (this.clipNorm !== undefined) clipped = clipGradNorm(clipped, this.clipNorm).grads;
        params.forEach((p, i) => {
          let slot = this.slots.get(p);
          if (!slot) {
            slot = { step: 0, tensors: {} };
            this.slots.set(p, slot);
          }
          slot.step++;
          const s = slot;
          const ctx: UpdateContext = {
            lr: this.lr * p.lrFactor,
            weightDecay: this.weightDecay * p.decayFactor,
            step: s.step,
            get: (name) => s.tensors[name],
            set: (name, t) => {
              const old = s.tensors[name];
              s.tensors[name] = keep(t);
              if (old && old !== t) old.dispose();
            },
          };
          p.assign(this.update(p.value, clipped[i], ctx));
        });
      }),
    );
  }

  private gradOf(p: Parameter): Tensor {
    const g = p.value.grad;
    if (!g)
      throw new StrataError(
        `${this.type}.step`,
        `parameter '${p.name}' has no gradient: call loss.backward() first, or pass the gradients to step()`,
      );
    return g;
  }

  /** Clears `.grad` of every parameter (for the `loss.backward()` path). */
  zeroGrad(params: readonly Parameter[]): void {
    for (const p of params) p.value.grad = null;
  }

  /** The state to checkpoint: settings, step counts and state tensors, by parameter name. */
  stateDict(): OptimizerState {
    const steps: Record<string, number> = {};
    const tensors: Record<string, Tensor> = {};
    for (const [p, s] of this.slots) {
      steps[p.name] = s.step;
      for (const [k, t] of Object.entries(s.tensors)) tensors[`${p.name}/${k}`] = t;
    }
    return { type: this.type, config: { lr: this.lr, ...this.getConfig() }, steps, tensors };
  }

  /** Restores state saved by `stateDict` for these parameters (matched by name). */
  loadStateDict(params: readonly Parameter[], state: OptimizerState): void {
    if (state.type !== this.type)
      throw new StrataError(`${this.type}.loadStateDict`, `the saved state is of a ${state.type} optimizer`);
    if (typeof state.config.lr === 'number') this.lr = state.config.lr;
    const byName = new Map(params.map((p) => [p.name, p]));
    for (const name of Object.keys(state.steps))
      if (!byName.has(name))
        throw new StrataError(`${this.type}.loadStateDict`, `saved state for unknown parameter '${name}'`);
    for (const s of this.slots.values()) for (const t of Object.values(s.tensors)) t.dispose();
    this.slots.clear();
    for (const [name, step] of Object.entries(state.steps)) {
      const p = byName.get(name)!;
      const slot: Slot = { step, tensors: {} };
      for (const [key, t] of Object.entries(state.tensors)) {
        const cut = key.lastIndexOf('/');
        if (key.slice(0, cut) !== name) continue;
        if (!shapesEqual(t.shape, p.shape))
          throw new StrataError(
            `${this.type}.loadStateDict`,
            `state '${key}' has shape [${t.shape}], parameter has [${p.shape}]`,
          );
        slot.tensors[key.slice(cut + 1)] = keep(t);
      }
      this.slots.set(p, slot);
    }
  }
}

/** What `update` sees besides the parameter and its gradient. */
export interface UpdateContext {
  /** This parameter's learning rate (lr × lrFactor). */
  lr: number;
  /** This parameter's weight decay (weightDecay × decayFactor). */
  weightDecay: number;
  /** 1 on the first update of this parameter. */
  step: number;
  get(name: string): Tensor | undefined;
  /** Stores a state tensor (kept), disposing the one it replaces. */
  set(name: string, t: Tensor): void;
}

/** `g + wd·p` (L2 weight decay folded into the gradient), or g when wd is 0. */
export function withL2(g: Tensor, p: Tensor, wd: number): Tensor {
  return wd === 0 ? g : addScaled(g, p, wd);
}
