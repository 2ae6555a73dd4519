import type { DType } from '../core/dtype.js';
import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import {
  defineOp,
  type OpDef,
  expectCount,
  expectFloat,
  expectSameDtype,
  run1,
  scalarLike,
} from './define.js';
import { add, div, greater, greaterEqual, lessEqual, mul, sub, where } from './binary.js';

/**
 * Element-wise ops of one input: one row each. The scalar formula of each lives in the backends
 * (reference: backends/reference/unary.ts); here are the shape rule and the gradient.
 */
function unary<A = Record<string, never>>(
  name: string,
  grad: ((dy: Tensor, x: Tensor, y: Tensor, attrs: A) => Tensor) | null,
  outDtype?: (attrs: A) => DType,
) {
  return defineOp<A>({
    name,
    infer: (inputs, attrs) => {
      expectCount(name, inputs, 1);
      if (!outDtype) expectFloat(name, inputs[0]);
      return [{ shape: [...inputs[0].shape], dtype: outDtype ? outDtype(attrs) : inputs[0].dtype }];
    },
    grad: grad ? ([dy], { inputs: [x], outputs: [y], attrs }) => [() => grad(dy, x, y, attrs)] : undefined,
  });
}

const one = (t: Tensor) => scalarLike(t, 1);

export const negOp: OpDef = unary('neg', (dy) => neg(dy));
export const expOp = unary('exp', (dy, _x, y) => mul(dy, y));
export const logOp = unary('log', (dy, x) => div(dy, x));
export const sqrtOp = unary('sqrt', (dy, _x, y) => div(dy, mul(y, 2)));
export const absOp = unary('abs', (dy, x) => mul(dy, sign(x)));
/** NOTE: sign has no gradient (zero almost everywhere). */
export const signOp = unary('sign', null);
export const reluOp = unary('relu', (dy, x) => reluBackward(dy, x));
/**
 * relu's gradient in one pass: dy · [x > 0] (exactly mul(dy, greater(x, 0)), NaN and −0 included).
 * Same shapes, no broadcasting. Linear in dy; its derivative in x is zero wherever it exists, so the
 * gradient for x is none (relu's second derivative is zero).
 */
export const reluBackwardOp = defineOp({
  name: 'reluBackward',
  infer: (inputs) => {
    expectCount('reluBackward', inputs, 2);
    const [dy, x] = inputs;
    expectFloat('reluBackward', dy, 'dy');
    expectFloat('reluBackward', x, 'x');
    expectSameDtype('reluBackward', dy, x);
    if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i]))
      throw new StrataError('reluBackward', `dy [${dy.shape}] and x [${x.shape}] must have the same shape`);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  grad: ([ddx], { inputs: [, x] }) => [() => reluBackward(ddx, x), null],
});
export const sigmoidOp = unary('sigmoid', (dy, _x, y) => mul(dy, mul(y, sub(one(y), y))));
/** log(1 + eˣ), computed stably; its gradient is sigmoid(x) everywhere (also at 0). */
export const softplusOp = unary('softplus', (dy, x) => mul(dy, sigmoid(x)));
export const tanhOp = unary('tanh', (dy, _x, y) => mul(dy, sub(one(y), mul(y, y))));
export const erfOp = unary('erf', (dy, x) => mul(dy, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
export const leakyReluOp = unary<{ alpha: number }>('leakyRelu', (dy, x, _y, { alpha }) =>
  mul(dy, where(greater(x, 0), one(x), scalarLike(x, alpha))),
);
export const eluOp = unary<{ alpha: number }>('elu', (dy, x, y, { alpha }) =>
  mul(dy, where(greater(x, 0), one(x), add(y, alpha))),
);
/** Gradient passes where min <= x <= max, as in PyTorch. */
export const clampOp = unary<{ min: number; max: number }>('clamp', (dy, x, _y, { min, max }) =>
  mul(dy, mul(greaterEqual(x, min), lessEqual(x, max))),
);
export const castOp: OpDef<{ dtype: DType }> = unary<{ dtype: DType }>(
  'cast',
  (dy, x) => cast(dy, x.dtype),
  ({ dtype }) => {
    if (!dtypes.includes(dtype))
      throw new StrataError('cast', `unknown dtype '${dtype}'; expected float32, float64 or int32`);
    return dtype;
  },
);
const dtypes: readonly DType[] = ['float32', 'float64', 'int32'];

export const neg = (x: Tensor): Tensor => run1(negOp, [x], {});
export const exp = (x: Tensor): Tensor => run1(expOp, [x], {});
export const log = (x: Tensor): Tensor => run1(logOp, [x], {});
export const sqrt = (x: Tensor): Tensor => run1(sqrtOp, [x], {});
export const abs = (x: Tensor): Tensor => run1(absOp, [x], {});
export const sign = (x: Tensor): Tensor => run1(signOp, [x], {});
export const relu = (x: Tensor): Tensor => run1(reluOp, [x], {});
export const reluBackward = (dy: Tensor, x: Tensor): Tensor => run1(reluBackwardOp, [dy, x], {});
export const sigmoid = (x: Tensor): Tensor => run1(sigmoidOp, [x], {});
export const softplus = (x: Tensor): Tensor => run1(softplusOp, [x], {});
export const tanh = (x: Tensor): Tensor => run1(tanhOp, [x], {});
export const erf = (x: Tensor): Tensor => run1(erfOp, [x], {});
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => run1(leakyReluOp, [x], { alpha });
export const elu = (x: Tensor, alpha = 1): Tensor => run1(eluOp, [x], { alpha });
export const clamp = (x: Tensor, min = -Infinity, max = Infinity): Tensor => run1(clampOp, [x], { min, max });
export const cast = (x: Tensor, dtype: DType): Tensor =>
  x.dtype === dtype ? x : run1(castOp, [x], { dtype });
