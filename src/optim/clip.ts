import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { mul } from '../ops/binary.js';
import { abs, clamp } from '../ops/unary.js';
import { max, sum } from '../ops/reduce.js';

/**
 * Rescales gradients together so their global norm (of all elements of all tensors) is at most
 * `maxNorm`, as PyTorch's `clip_grad_norm_`: every gradient is multiplied by
 * min(1, maxNorm / (totalNorm + 1e-6)). Returns new tensors (tensors are immutable) and the norm before
 * clipping. `normType` 2 (default) or Infinity.
 */
export function clipGradNorm(
  grads: readonly Tensor[],
  maxNorm: number,
  normType = 2,
): { grads: Tensor[]; totalNorm: number } {
  if (!(maxNorm > 0)) throw new StrataError('clipGradNorm', `maxNorm must be > 0, got ${maxNorm}`);
  if (normType !== 2 && normType !== Infinity)
    throw new StrataError('clipGradNorm', `normType must be 2 or Infinity, got ${normType}`);
  let total = 0;
  for (const g of grads) {
    if (g.size === 0) continue;
    if (normType === Infinity) total = Math.max(total, max(abs(g)).item());
    else total += sum(mul(g, g)).item();
  }
  if (normType === 2) total = Math.sqrt(total);
  const coef = Math.min(1, maxNorm / (total + 1e-6));
  return { grads: coef < 1 ? grads.map((g) => mul(g, coef)) : [...grads], totalNorm: total };
}

/** Clamps every gradient element to [−clipValue, clipValue] (PyTorch `clip_grad_value_`). */
export function clipGradValue(grads: readonly Tensor[], clipValue: number): Tensor[] {
  if (!(clipValue > 0)) throw new StrataError('clipGradValue', `clipValue must be > 0, got ${clipValue}`);
  return grads.map((g) => clamp(g, -clipValue, clipValue));
}
