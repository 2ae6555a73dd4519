import { runOp } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import { once } from '../core/once.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul, pow, sub } from './binary.js';
import { defineOp, expectCount, expectFloat, type TensorMeta } from './define.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

/**
 * Training-mode batch normalization as two fused ops (the kernels make two passes over x each way;
 * see docs/DESIGN.md). Layout NC… (channels on axis 1); statistics per channel over the batch and
 * spatial axes, M = N·prod(spatial) values each.
 *
 *   batchNormTrain(x, weight, bias) → y, mean [C], variance [C] (biased)
 *   batchNormBackward(dy, x, mean, variance, weight, dmean, dvariance) → dx, dweight, dbias
 *
 * The mean and variance outputs carry gradients (dmean, dvariance are folded into dx by the backward
 * kernel), as the composed version's did. batchNormBackward treats mean and variance as inputs of
 * their own (autograd chains them back to x through batchNormTrain), and its gradient is written with
 * differentiable ops, so second and higher derivatives work.
 */

export interface BatchNormAttrs {
  /** Added to the variance. */
  eps: number;
}

function checkX(op: string, x: TensorMeta, what = 'input'): number {
  expectFloat(op, x, what);
  if (x.shape.length < 2) throw new StrataError(op, `${what} must have shape (N, C, …), got [${x.shape}]`);
  return x.shape[1];
}

function checkVec(op: string, v: TensorMeta, like: TensorMeta, C: number, what: string): void {
  if (v.dtype !== like.dtype) throw new StrataError(op, `${what} must be ${like.dtype}, got ${v.dtype}`);
  if (v.shape.length !== 1 || v.shape[0] !== C)
    throw new StrataError(op, `${what} must have shape [${C}] (channels), got [${v.shape}]`);
}

function checkEps(op: string, eps: number): void {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0)
    throw new StrataError(op, `eps must be a finite number >= 0, got ${eps}`);
}

/** Per channel: Σ over every axis but 1, as a vector [C]. */
function channelSum(t: Tensor): Tensor {
  return sum(
    t,
    t.shape.map((_, i) => i).filter((i) => i !== 1),
    false,
  );
}

/** A vector [C] shaped to broadcast along axis 1 of a tensor of rank `rank`. */
function bc(v: Tensor, rank: number): Tensor {
  return reshape(v, [v.size, ...new Array<number>(Math.max(rank - 2, 0)).fill(1)]);
}

export const batchNormTrainOp = defineOp<BatchNormAttrs>({
  name: 'batchNormTrain',
  infer: (inputs, { eps }) => {
    const op = 'batchNormTrain';
    expectCount(op, inputs, 3);
    const [x, w, b] = inputs;
    const C = checkX(op, x);
    checkVec(op, w, x, C, 'weight');
    checkVec(op, b, x, C, 'bias');
    checkEps(op, eps);
    return [
      { shape: [...x.shape], dtype: x.dtype },
      { shape: [C], dtype: x.dtype },
      { shape: [C], dtype: x.dtype },
    ];
  },
  grad: ([dy, dmean, dvar], { inputs: [x, w], outputs: [, mean, variance], attrs: { eps } }) => {
    const r = once(() => batchNormBackward(dy, x, mean, variance, w, dmean, dvar, eps));
    return [() => r()[0], () => r()[1], () => r()[2]];
  },
});

export const batchNormBackwardOp = defineOp<BatchNormAttrs>({
  name: 'batchNormBackward',
  infer: (inputs, { eps }) => {
    const op = 'batchNormBackward';
    expectCount(op, inputs, 7);
    const [dy, x, mean, variance, w, dmean, dvar] = inputs;
    const C = checkX(op, x, 'x');
    expectFloat(op, dy, 'dy');
    if (
      dy.dtype !== x.dtype ||
      dy.shape.length !== x.shape.length ||
      dy.shape.some((d, i) => d !== x.shape[i])
    )
      throw new StrataError(op, `dy must be ${x.dtype} [${x.shape}] like x, got ${dy.dtype} [${dy.shape}]`);
    checkVec(op, mean, x, C, 'mean');
    checkVec(op, variance, x, C, 'variance');
    checkVec(op, w, x, C, 'weight');
    checkVec(op, dmean, x, C, 'dmean');
    checkVec(op, dvar, x, C, 'dvariance');
    checkEps(op, eps);
    return [
      { shape: [...x.shape], dtype: x.dtype },
      { shape: [C], dtype: x.dtype },
      { shape: [C], dtype: x.dtype },
    ];
  },
  // The partial derivatives of dx, dw = Σdy·x̂, db = Σdy with respect to each input, with mean and
  // variance independent (s = (variance + eps)^-½, x̂ = (x − mean)·s, r = w·s, A = Σdy, B = Σdy·x̂;
  // g, gw, gb the incoming gradients of dx, dw, db; Gm = Σg/M, Gx = Σg·x̂/M; Σ per channel).
  grad: ([g, gw, gb], { inputs: [dy, x, mean, variance, w, , dvar], attrs: { eps } }) => {
    const rank = x.rank;
    const M = x.size / Math.max(x.shape[1], 1);
    const B_ = (v: Tensor) => bc(v, rank);
    const s = once(() => pow(add(variance, eps), -0.5));
    const xc = once(() => sub(x, B_(mean)));
    const xh = once(() => mul(xc(), B_(s())));
    const r = once(() => mul(w, s()));
    const A = once(() => channelSum(dy));
    const B = once(() => channelSum(mul(dy, xh())));
    const Gm = once(() => mul(channelSum(g), 1 / M));
    const Gx = once(() => mul(channelSum(mul(g, xh())), 1 / M));
    // Σ g·(dy − A/M) = Σ g·dy − A·Gm
    const gdy = once(() => sub(channelSum(mul(g, dy)), mul(A(), Gm())));
    const twoDvarM = once(() => mul(dvar, 2 / M));
    return [
      // dy: r·(g − Gm − x̂·Gx) + x̂·gw + gb
      () => add(add(mul(B_(r()), sub(sub(g, B_(Gm())), mul(xh(), B_(Gx())))), mul(xh(), B_(gw))), B_(gb)),
      // x: g·(2·dvar/M − r·s·B/M) + dy·(gw·s − r·s·Gx)
      () => {
        const rs = mul(r(), s());
        return add(
          mul(g, B_(sub(twoDvarM(), mul(rs, mul(B(), 1 / M))))),
          mul(dy, B_(sub(mul(gw, s()), mul(rs, Gx())))),
        );
      },
      // mean: r·s·(Gm·B + A·Gx) − gw·s·A − 2·dvar·Gm
      () =>
        sub(
          sub(mul(mul(r(), s()), add(mul(Gm(), B()), mul(A(), Gx()))), mul(mul(gw, s()), A())),
          mul(mul(dvar, 2), Gm()),
        ),
      // variance: −½·s²·(r·(Σg·dy − A·Gm) − 3·r·B·Gx + gw·B)
      () =>
        mul(
          mul(mul(s(), s()), -0.5),
          add(sub(mul(r(), gdy()), mul(mul(r(), B()), mul(Gx(), 3))), mul(gw, B())),
        ),
      // weight: s·(Σg·dy − A·Gm − B·Gx)
      () => mul(s(), sub(gdy(), mul(B(), Gx()))),
      // dmean: Gm
      () => Gm(),
      // dvariance: 2·Σg·(x − mean)/M
      () => mul(channelSum(mul(g, xc())), 2 / M),
    ];
  },
});

/** Training-mode batch normalization of x (N, C, …): [y, mean, biased variance]. */
export const batchNormTrain = (x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor[] =>
  runOp(batchNormTrainOp, [x, weight, bias], { eps });

/** The gradient of batchNormTrain: [dx, dweight, dbias]. */
export const batchNormBackward = (
  dy: Tensor,
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  weight: Tensor,
  dmean: Tensor,
  dvariance: Tensor,
  eps: number,
): Tensor[] => runOp(batchNormBackwardOp, [dy, x, mean, variance, weight, dmean, dvariance], { eps });
