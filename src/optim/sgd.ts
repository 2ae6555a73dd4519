import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { addScaled, mul } from '../ops/binary.js';
import { Optimizer, type OptimizerOptions, type UpdateContext, withL2 } from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  /** Momentum factor μ (default 0: plain gradient descent). */
  momentum?: number;
  /** Dampening τ of the momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent, as PyTorch's `SGD`:
 *   g ← g + wd·p;  b ← g on the first step, else μ·b + (1 − τ)·g;  g ← g + μ·b (Nesterov) or b;  p ← p − lr·g.
 * Default lr 0.01.
 */
export class SGD extends Optimizer {
  readonly type = 'SGD';
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(opts: SGDOptions = {}) {
    super(opts, 0.01);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.check('momentum', this.momentum, 0);
    this.check('dampening', this.dampening, 0, false, 1);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new StrataError('SGD', 'Nesterov momentum needs momentum > 0 and dampening 0');
  }

  protected update(p: Tensor, g: Tensor, ctx: UpdateContext): Tensor {
    g = withL2(g, p, ctx.weightDecay);
    if (this.momentum !== 0) {
      const prev = ctx.get('momentum');
      // The first buffer is a copy of the gradient (no dampening), as in PyTorch.
      const buf = prev ? addScaled(mul(prev, this.momentum), g, 1 - this.dampening) : mul(g, 1);
      ctx.set('momentum', buf);
      g = this.nesterov ? addScaled(g, buf, this.momentum) : buf;
    }
    // one pass: p + (−lr)·g is p − lr·g bit for bit (see addScaled)
    return addScaled(p, g, -ctx.lr);
  }

  getConfig() {
    return {
      weightDecay: this.weightDecay,
      momentum: this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
    };
  }
}
