import type { Tensor } from '../core/tensor.js';
import { add, addScaled, div, maximum, mul } from '../ops/binary.js';
import { sqrt } from '../ops/unary.js';
import { Optimizer, type OptimizerOptions, type UpdateContext, withL2 } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Use the running maximum of the second moment (default false). */
  amsgrad?: boolean;
}

/**
 * Adam, as PyTorch's `Adam` (L2 weight decay folded into the gradient):
 *   m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
 * Default lr 1e-3.
 */
export class Adam extends Optimizer {
  readonly type: string = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly amsgrad: boolean;
  /** Decoupled weight decay (AdamW) instead of L2. */
  protected readonly decoupled: boolean = false;

  constructor(opts: AdamOptions = {}) {
    super(opts, 1e-3);
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.amsgrad = opts.amsgrad ?? false;
    this.check('betas[0]', this.beta1, 0, false, 0.999999999);
    this.check('betas[1]', this.beta2, 0, false, 0.999999999);
    this.check('eps', this.eps, 0);
  }

  protected update(p: Tensor, g: Tensor, ctx: UpdateContext): Tensor {
    const { lr, weightDecay: wd, step } = ctx;
    if (this.decoupled) {
      if (wd !== 0) p = mul(p, 1 - lr * wd);
    } else g = withL2(g, p, wd);
    const m0 = ctx.get('m');
    const v0 = ctx.get('v');
    const m = m0 ? addScaled(mul(m0, this.beta1), g, 1 - this.beta1) : mul(g, 1 - this.beta1);
    const g2 = mul(g, g);
    const v = v0 ? addScaled(mul(v0, this.beta2), g2, 1 - this.beta2) : mul(g2, 1 - this.beta2);
    ctx.set('m', m);
    ctx.set('v', v);
    let vHat = v;
    if (this.amsgrad) {
      const prev = ctx.get('vMax');
      vHat = prev ? maximum(prev, v) : mul(v, 1);
      ctx.set('vMax', vHat);
    }
    const bc1 = 1 - this.beta1 ** step;
    const bc2 = 1 - this.beta2 ** step;
    const denom = add(div(sqrt(vHat), Math.sqrt(bc2)), this.eps);
    return addScaled(p, div(m, denom), -(lr / bc1));
  }

  getConfig() {
    return {
      weightDecay: this.weightDecay,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      amsgrad: this.amsgrad,
    };
  }
}

/**
 * AdamW: Adam with decoupled weight decay (PyTorch's `AdamW`): p ← p·(1 − lr·wd) before the Adam update.
 * Default lr 1e-3, weight decay 0.01.
 */
export class AdamW extends Adam {
  override readonly type: string = 'AdamW';
  protected override readonly decoupled = true;
  constructor(opts: AdamOptions = {}) {
    super({ ...opts, weightDecay: opts.weightDecay ?? 0.01 });
  }
}
