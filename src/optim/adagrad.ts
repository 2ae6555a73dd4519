import { full } from '../core/creation.js';
import type { Tensor } from '../core/tensor.js';
import { add, addScaled, div, mul } from '../ops/binary.js';
import { sqrt } from '../ops/unary.js';
import { Optimizer, type OptimizerOptions, type UpdateContext, withL2 } from './optimizer.js';

export interface AdagradOptions extends OptimizerOptions {
  /** The learning rate at step t is lr / (1 + (t − 1)·lrDecay) (default 0). */
  lrDecay?: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator (default 1e-10). */
  eps?: number;
}

/**
 * Adagrad, as PyTorch's `Adagrad`: s ← s + g²;  p ← p − lrₜ·g / (√s + ε). Default lr 0.01.
 */
export class Adagrad extends Optimizer {
  readonly type = 'Adagrad';
  readonly lrDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;

  constructor(opts: AdagradOptions = {}) {
    super(opts, 0.01);
    this.lrDecay = opts.lrDecay ?? 0;
    this.initialAccumulatorValue = opts.initialAccumulatorValue ?? 0;
    this.eps = opts.eps ?? 1e-10;
    this.check('lrDecay', this.lrDecay, 0);
    this.check('initialAccumulatorValue', this.initialAccumulatorValue, 0);
    this.check('eps', this.eps, 0);
  }

  protected update(p: Tensor, g: Tensor, ctx: UpdateContext): Tensor {
    g = withL2(g, p, ctx.weightDecay);
    const s0 =
      ctx.get('sum') ?? full(p.shape, this.initialAccumulatorValue, { dtype: p.dtype, backend: p.backend });
    const s = add(s0, mul(g, g));
    ctx.set('sum', s);
    const clr = ctx.lr / (1 + (ctx.step - 1) * this.lrDecay);
    return addScaled(p, div(g, add(sqrt(s), this.eps)), -clr);
  }

  getConfig() {
    return {
      weightDecay: this.weightDecay,
      lrDecay: this.lrDecay,
      initialAccumulatorValue: this.initialAccumulatorValue,
      eps: this.eps,
    };
  }
}
