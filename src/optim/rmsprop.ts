import type { Tensor } from '../core/tensor.js';
import { add, addScaled, div, mul, sub } from '../ops/binary.js';
import { sqrt } from '../ops/unary.js';
import { Optimizer, type OptimizerOptions, type UpdateContext, withL2 } from './optimizer.js';

export interface RMSPropOptions extends OptimizerOptions {
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Normalize by the centered variance (the squared mean gradient subtracted; default false). */
  centered?: boolean;
}

/**
 * RMSProp, as PyTorch's `RMSprop`:
 *   s ← αs + (1 − α)g²;  d ← √(s − ḡ²) + ε (centered, ḡ ← αḡ + (1 − α)g) or √s + ε;
 *   b ← μb + g/d, p ← p − lr·b (momentum) or p ← p − lr·g/d.
 * Default lr 0.01.
 */
export class RMSProp extends Optimizer {
  readonly type = 'RMSProp';
  readonly alpha: number;
  readonly eps: number;
  readonly momentum: number;
  readonly centered: boolean;

  constructor(opts: RMSPropOptions = {}) {
    super(opts, 0.01);
    this.alpha = opts.alpha ?? 0.99;
    this.eps = opts.eps ?? 1e-8;
    this.momentum = opts.momentum ?? 0;
    this.centered = opts.centered ?? false;
    this.check('alpha', this.alpha, 0, false, 1);
    this.check('eps', this.eps, 0);
    this.check('momentum', this.momentum, 0);
  }

  protected update(p: Tensor, g: Tensor, ctx: UpdateContext): Tensor {
    g = withL2(g, p, ctx.weightDecay);
    const a = this.alpha;
    const s0 = ctx.get('square');
    const g2 = mul(g, g);
    const s = s0 ? addScaled(mul(s0, a), g2, 1 - a) : mul(g2, 1 - a);
    ctx.set('square', s);
    let avg: Tensor;
    if (this.centered) {
      const m0 = ctx.get('mean');
      const m = m0 ? addScaled(mul(m0, a), g, 1 - a) : mul(g, 1 - a);
      ctx.set('mean', m);
      avg = add(sqrt(sub(s, mul(m, m))), this.eps);
    } else avg = add(sqrt(s), this.eps);
    if (this.momentum > 0) {
      const b0 = ctx.get('momentum');
      const b = b0 ? add(mul(b0, this.momentum), div(g, avg)) : div(g, avg);
      ctx.set('momentum', b);
      return addScaled(p, b, -ctx.lr);
    }
    return addScaled(p, div(g, avg), -ctx.lr);
  }

  getConfig() {
    return {
      weightDecay: this.weightDecay,
      alpha: this.alpha,
      eps: this.eps,
      momentum: this.momentum,
      centered: this.centered,
    };
  }
}
