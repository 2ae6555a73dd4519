import { arange, fromTypedArray } from '../core/creation.js';
import { StrataError } from '../core/errors.js';
import { normAxis, shapesEqual } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { add, div, equal, maximum, minimum, mul, notEqual, sub } from '../ops/binary.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape, unsqueeze } from '../ops/shape.js';
import { logSoftmax } from '../ops/softmax.js';
import { abs, cast, log, neg, softplus } from '../ops/unary.js';

/**
 * Loss functions, numerically stable, with PyTorch's semantics (names and defaults follow
 * `torch.nn.functional`). Composites of ops: their gradients come from the ops.
 * Reductions: 'mean' (default), 'sum', or 'none' (one loss per example / element).
 */
export type Reduction = 'mean' | 'sum' | 'none';

function reduce(where: string, l: Tensor, r: Reduction | undefined): Tensor {
  switch (r ?? 'mean') {
    case 'mean':
      return mean(l);
    case 'sum':
      return sum(l);
    case 'none':
      return l;
    default:
      throw new StrataError(where, `reduction must be 'mean', 'sum' or 'none', got '${r}'`);
  }
}

/** A tensor of per-class (or element) weights on x's backend and dtype. */
function asTensor(like: Tensor, v: Tensor | number | readonly number[]): Tensor {
  if (typeof v === 'number') v = [v];
  if (Array.isArray(v))
    return fromTypedArray(Float64Array.from(v), [v.length], { dtype: like.dtype, backend: like.backend });
  return cast(v as Tensor, like.dtype);
}

/** log(x) clamped below at −100, as PyTorch's BCELoss does, so a probability of 0 gives a finite loss. */
const clampedLog = (p: Tensor): Tensor => maximum(log(p), -100);

export interface CrossEntropyOptions {
  /** The input holds unnormalized logits (default) or probabilities (the output of a softmax). */
  fromLogits?: boolean;
  /** The class axis of the input (default 1: input (N, C, ...)). */
  axis?: number;
  /** ε in [0, 1): the target becomes (1 − ε)·target + ε/C (default 0). */
  labelSmoothing?: number;
  /** Per-class weights (length C). */
  weight?: Tensor | readonly number[];
  reduction?: Reduction;
  /** Index targets equal to this contribute nothing (PyTorch's ignore_index; default: none). */
  ignoreIndex?: number;
}

/**
 * Cross-entropy between an input (N, C, ...) of logits (or probabilities) and a target that is either
 * class indices of shape (N, ...) (int32, or float holding integers) or class probabilities / one-hot
 * of the input's shape. From logits it uses logSoftmax, never log(softmax(x)).
 * With class weights and index targets, 'mean' divides by the summed weights of the targets
 * (PyTorch's rule); with probability targets by the number of examples.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const fn = 'crossEntropy';
  if (input.rank < 1) throw new StrataError(fn, `input must have a class axis, got shape [${input.shape}]`);
  const axis = normAxis(fn, opts.axis ?? (input.rank > 1 ? 1 : 0), input.rank);
  const C = input.shape[axis];
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new StrataError(fn, `labelSmoothing must be in [0, 1), got ${eps}`);
  const logp = opts.fromLogits === false ? clampedLog(input) : logSoftmax(input, axis);
  const bshape = input.shape.map((d, i) => (i === axis ? d : 1));
  let w: Tensor | null = null;
  if (opts.weight !== undefined) {
    w = asTensor(input, opts.weight);
    if (w.size !== C)
      throw new StrataError(fn, `weight must hold one value per class (${C}), got shape [${w.shape}]`);
    w = reshape(w, bshape);
  }
  const wlogp = w ? mul(logp, w) : logp;
  const r = opts.reduction ?? 'mean';

  if (shapesEqual(target.shape, input.shape) && target.dtype !== 'int32') {
    // Probability targets.
    let t = cast(target, input.dtype);
    if (eps > 0) t = add(mul(t, 1 - eps), eps / C);
    const l = neg(sum(mul(wlogp, t), axis));
    return reduce(fn, l, r);
  }
  const idxShape = input.shape.filter((_, i) => i !== axis);
  if (!shapesEqual(target.shape, idxShape))
    throw new StrataError(
      fn,
      `target must hold class indices of shape [${idxShape}] or probabilities of the input's shape [${input.shape}], got [${target.shape}]`,
    );
  checkIndices(fn, target, C, opts.ignoreIndex);
  const tf = cast(target, input.dtype);
  const classes = reshape(arange(0, C, 1, { dtype: input.dtype, backend: input.backend }), bshape);
  const onehot = equal(unsqueeze(tf, axis), classes);
  let l = neg(sum(mul(wlogp, onehot), axis));
  if (eps > 0) l = add(mul(l, 1 - eps), mul(neg(sum(wlogp, axis)), eps / C));
  const keep = opts.ignoreIndex === undefined ? null : notEqual(tf, opts.ignoreIndex);
  if (keep) l = mul(l, keep);
  if (r !== 'mean') return reduce(fn, l, r);
  // The mean over the examples that count, each weighted by its target's weight.
  if (!w) return keep ? div(sum(l), sum(keep)) : mean(l);
  let tw = sum(mul(w, onehot), axis);
  if (keep) tw = mul(tw, keep);
  return div(sum(l), sum(tw));
}

function checkIndices(fn: string, target: Tensor, C: number, ignore: number | undefined): void {
  const d = target.data();
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v === ignore) continue;
    if (!Number.isInteger(v) || v < 0 || v >= C)
      throw new StrataError(fn, `target index ${v} at position ${i} is not a class in [0, ${C})`);
  }
}

export interface BinaryCrossEntropyOptions {
  /** The input holds logits (default) or probabilities (the output of a sigmoid). */
  fromLogits?: boolean;
  /** Element weights, broadcast against the input. */
  weight?: Tensor | number;
  /** Weight of the positive term, broadcast along the last axis (PyTorch's pos_weight; logits only). */
  posWeight?: Tensor | number | readonly number[];
  reduction?: Reduction;
}

/**
 * Binary cross-entropy, element-wise, target in [0, 1] of the input's shape. From logits it is
 * (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x), which never overflows; softplus is one op whose gradient
 * is sigmoid, so the gradient is right everywhere, at x = 0 too.
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  opts: BinaryCrossEntropyOptions = {},
): Tensor {
  const fn = 'binaryCrossEntropy';
  if (!shapesEqual(input.shape, target.shape))
    throw new StrataError(fn, `target [${target.shape}] must have the input's shape [${input.shape}]`);
  const t = cast(target, input.dtype);
  let l: Tensor;
  if (opts.fromLogits === false) {
    if (opts.posWeight !== undefined) throw new StrataError(fn, 'posWeight needs logits (fromLogits: true)');
    l = neg(add(mul(t, clampedLog(input)), mul(sub(1, t), clampedLog(sub(1, input)))));
  } else {
    const softplusNeg = softplus(neg(input));
    const lw = opts.posWeight === undefined ? null : add(mul(sub(asTensor(input, opts.posWeight), 1), t), 1);
    l = add(mul(sub(1, t), input), lw ? mul(lw, softplusNeg) : softplusNeg);
  }
  if (opts.weight !== undefined)
    l = mul(l, typeof opts.weight === 'number' ? opts.weight : cast(opts.weight, l.dtype));
  return reduce(fn, l, opts.reduction);
}

function pair(fn: string, input: Tensor, target: Tensor): Tensor {
  if (!shapesEqual(input.shape, target.shape))
    throw new StrataError(fn, `target [${target.shape}] must have the input's shape [${input.shape}]`);
  return sub(input, cast(target, input.dtype));
}

/** Mean squared error: mean((x − t)²). */
export function mse(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const d = pair('mse', input, target);
  return reduce('mse', mul(d, d), opts.reduction);
}

/** Mean absolute error (L1): mean(|x − t|). */
export function mae(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return reduce('mae', abs(pair('mae', input, target)), opts.reduction);
}

/**
 * Huber loss with threshold δ (default 1): ½d² where |d| < δ, δ·(|d| − ½δ) elsewhere (PyTorch's
 * huber_loss). Written as ½q² + δ·(|d| − q) with q = min(|d|, δ), one expression for both pieces.
 */
export function huber(
  input: Tensor,
  target: Tensor,
  opts: { delta?: number; reduction?: Reduction } = {},
): Tensor {
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new StrataError('huber', `delta must be positive, got ${delta}`);
  const a = abs(pair('huber', input, target));
  const q = minimum(a, delta);
  return reduce('huber', add(mul(mul(q, q), 0.5), mul(sub(a, q), delta)), opts.reduction);
}
