import type { Tensor } from '../core/tensor.js';

/**
 * The few ops autograd itself needs (adding gradients, seeds of ones, zeros for unused outputs).
 * Autograd sits below the ops in the import order, so the ops install these when they load.
 */
export interface GradHelpers {
  add(a: Tensor, b: Tensor): Tensor;
  onesLike(t: Tensor): Tensor;
  zerosLike(t: Tensor): Tensor;
  /** A new tensor sharing t's storage, recorded as an op (so it keeps t's history). */
  alias(t: Tensor): Tensor;
}

let helpers: GradHelpers | null = null;

export function installGradHelpers(h: GradHelpers): void {
  helpers = h;
}

function h(): GradHelpers {
  if (!helpers) throw new Error('strata: ops not loaded (import from the package root)');
  return helpers;
}

export const addGrad = (a: Tensor, b: Tensor): Tensor => h().add(a, b);
export const onesLike = (t: Tensor): Tensor => h().onesLike(t);
export const zerosLike = (t: Tensor): Tensor => h().zerosLike(t);
export const aliasGrad = (t: Tensor): Tensor => h().alias(t);
