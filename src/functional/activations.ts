import type { Tensor } from '../core/tensor.js';
import { add, mul, sub } from '../ops/binary.js';
import { clamp, erf, neg, relu, sigmoid, tanh } from '../ops/unary.js';

/** GELU: x·Φ(x) exactly (erf), or the tanh approximation. Composite: gradient from erf/tanh. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate === 'tanh') {
    const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  }
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** Swish / SiLU: x·sigmoid(βx). */
export function swish(x: Tensor, beta = 1): Tensor {
  return mul(x, sigmoid(beta === 1 ? x : mul(x, beta)));
}

/** Parametric ReLU: max(0,x) + a·min(0,x), `a` broadcast against x (per channel: shape [C,1,1]). */
export function prelu(x: Tensor, a: Tensor): Tensor {
  return sub(relu(x), mul(a, relu(neg(x))));
}

/** Clipped ReLU: min(max(0, x), ceiling). */
export function clippedRelu(x: Tensor, ceiling: number): Tensor {
  return clamp(x, 0, ceiling);
}
