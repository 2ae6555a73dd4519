import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { type ConvAttrs, convAttrsOf, convBackwardData, convBackwardFilter, convShape } from './conv.js';
import { defineOp, expectFloat, expectSameDtype, run1, type TensorMeta } from './define.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { reluBackward } from './unary.js';

/**
 * Fused products: a convolution or a dense product, plus a bias along axis 1, plus an activation, as
 * one op (one shape inference, one output, one node on the tape) — the epilogue that every Conv and
 * Dense layer runs. The arithmetic is that of the separate ops, rounding for rounding: the product is
 * rounded to the output dtype, then the bias is added (one rounding), then the activation applied.
 */

/** Activations an epilogue can apply. Adding one: its formula in the backends, its gradient below. */
export type FusedAct = 'none' | 'relu';
const acts: readonly FusedAct[] = ['none', 'relu'];

export type ConvBiasActAttrs = ConvAttrs & { act: FusedAct };
export interface LinearBiasActAttrs {
  act: FusedAct;
}

/** The inputs' count (x, w and an optional bias) and the act attribute. */
function checkCommon(op: string, inputs: readonly TensorMeta[], act: unknown): void {
  if (inputs.length !== 2 && inputs.length !== 3)
    throw new StrataError(op, `expects 2 or 3 inputs (x, w[, bias]), got ${inputs.length}`);
  if (!acts.includes(act as FusedAct))
    throw new StrataError(
      op,
      `act must be ${acts.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(act)}`,
    );
}

/** Checks the optional bias (third input) against the F output channels / units. */
function checkBias(op: string, inputs: readonly TensorMeta[], F: number, what: string): void {
  const [x, w, b] = inputs;
  expectFloat(op, x);
  expectSameDtype(op, x, w);
  if (!b) return;
  expectSameDtype(op, x, b);
  if (b.shape.length !== 1 || b.shape[0] !== F)
    throw new StrataError(op, `bias must have shape [${F}] (${what}), got [${b.shape}]`);
}

/** The gradient through the activation, from the op's output y = act(z): dz. */
function actGrad(act: FusedAct, dy: Tensor, y: Tensor): Tensor {
  return act === 'relu' ? reluBackward(dy, y) : dy;
}

/** The bias gradient: dz summed over every axis but 1. */
const biasGrad = (g: Tensor): Tensor =>
  sum(
    g,
    g.shape.map((_, i) => i).filter((i) => i !== 1),
  );

/** y = act(conv(x, w) + b), b of shape [F] broadcast along axis 1; the bias is optional. */
export const convBiasActOp = defineOp<ConvBiasActAttrs>({
  name: 'convBiasAct',
  infer: (inputs, attrs) => {
    const op = 'convBiasAct';
    checkCommon(op, inputs, attrs.act);
    const shape = convShape(op, inputs[0].shape, inputs[1].shape, attrs);
    checkBias(op, inputs, shape[1], 'output channels');
    return [{ shape, dtype: inputs[0].dtype }];
  },
  grad: ([dy], { inputs: [x, w, b], outputs: [y], attrs }) => {
    let g: Tensor | null = null;
    const dz = () => (g ??= actGrad(attrs.act, dy, y));
    return [
      () => convBackwardData(dz(), w, { ...convAttrsOf(attrs), inputShape: [...x.shape] }),
      () => convBackwardFilter(x, dz(), { ...convAttrsOf(attrs), filterShape: [...w.shape] }),
      b ? () => biasGrad(dz()) : null,
    ];
  },
});

/** y = act(x·wᵀ + b): x (N, in), w (units, in), b [units] (optional); the Dense layer's product. */
export const linearBiasActOp = defineOp<LinearBiasActAttrs>({
  name: 'linearBiasAct',
  infer: (inputs, attrs) => {
    const op = 'linearBiasAct';
    checkCommon(op, inputs, attrs.act);
    const [x, w] = inputs;
    if (x.shape.length !== 2 || w.shape.length !== 2)
      throw new StrataError(
        op,
        `x (N, in) and w (units, in) must have rank 2, got [${x.shape}] and [${w.shape}]`,
      );
    if (x.shape[1] !== w.shape[1])
      throw new StrataError(
        op,
        `x [${x.shape}] has ${x.shape[1]} features, w [${w.shape}] expects ${w.shape[1]}`,
      );
    checkBias(op, inputs, w.shape[0], 'units');
    return [{ shape: [x.shape[0], w.shape[0]], dtype: x.dtype }];
  },
  // the gradients of matmul(x, w, transB) (see matmul.ts), through the bias and activation
  grad: ([dy], { inputs: [x, w, b], outputs: [y], attrs }) => {
    let g: Tensor | null = null;
    const dz = () => (g ??= actGrad(attrs.act, dy, y));
    return [() => matmul(dz(), w), () => matmul(dz(), x, { transA: true }), b ? () => biasGrad(dz()) : null];
  },
});

const ins = (x: Tensor, w: Tensor, b: Tensor | null | undefined) => (b ? [x, w, b] : [x, w]);

/**
 * The fused convolution op on attributes used as they are (no copy): for callers that build them
 * once and never change them (the Conv layers; a recorded node keeps the object).
 */
export const convBiasActWith = (x: Tensor, w: Tensor, b: Tensor | null, attrs: ConvBiasActAttrs): Tensor =>
  run1(convBiasActOp, ins(x, w, b), attrs);

/** The fused convolution primitive with normalized attributes (conv1d/2d/3d take `activation`). */
export const convBiasAct = (
  x: Tensor,
  w: Tensor,
  b: Tensor | null | undefined,
  attrs: ConvAttrs & { act?: FusedAct },
): Tensor => run1(convBiasActOp, ins(x, w, b), { ...convAttrsOf(attrs), act: attrs.act ?? 'none' });

/** The fused dense primitive: act(x·wᵀ + b) for x (N, in), w (units, in). */
export const linearBiasAct = (
  x: Tensor,
  w: Tensor,
  b: Tensor | null | undefined,
  act: FusedAct = 'none',
): Tensor => run1(linearBiasActOp, ins(x, w, b), actAttrs[act] ?? { act });

/** One attribute object per act (a recorded node keeps it; nothing changes it). */
const actAttrs: Record<FusedAct, LinearBiasActAttrs> = { none: { act: 'none' }, relu: { act: 'relu' } };

export interface LinearOptions {
  /** Added per unit, shape [units]. */
  bias?: Tensor | null;
  /** Applied after the bias, in the same op. */
  activation?: 'relu' | null;
}

/**
 * The dense (fully connected) layer as a function, PyTorch's F.linear: x (..., in), w (units, in) →
 * (..., units), y = act(x·wᵀ + bias). Leading axes of x are flattened into the batch and restored.
 */
export function linear(x: Tensor, w: Tensor, opts: LinearOptions = {}): Tensor {
  if (x.rank === 0) throw new StrataError('linear', `x must have rank >= 1, got [${x.shape}]`);
  const act = activationOf('linear', opts.activation);
  if (x.rank === 2) return linearBiasAct(x, w, opts.bias, act);
  const lead = x.shape.slice(0, -1);
  const n = lead.reduce((a, d) => a * d, 1);
  const y = linearBiasAct(reshape(x, [n, x.shape[x.rank - 1]]), w, opts.bias, act);
  return reshape(y, [...lead, y.shape[1]]);
}

/** The `activation` option of the functional forms as the fused op's `act`. */
export function activationOf(fn: string, a: unknown): FusedAct {
  if (a === undefined || a === null || a === 'none') return 'none';
  if (a === 'relu') return 'relu';
  throw new StrataError(fn, `activation must be 'relu' or omitted, got ${JSON.stringify(a)}`);
}
