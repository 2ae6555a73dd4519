import { getDefaultDtype } from '../core/creation.js';
import { isFloat } from '../core/dtype.js';
import { StrataError } from '../core/errors.js';
import { broadcastShapes } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import {
  defineOp,
  expectCount,
  expectFloat,
  expectSameDtype,
  lift,
  run1,
  scalarLike,
  type TensorOrNumber,
} from './define.js';
import { sumTo } from './reduce.js';
import { cast, log } from './unary.js';

type G = (dy: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;

/**
 * Element-wise ops of two inputs with NumPy broadcasting: one row each. Gradients are reduced back to
 * each input's shape (sumTo). Comparisons give 1 or 0 in the inputs' float type and have no gradient.
 */
function binary(name: string, ga: G | null, gb: G | null) {
  return defineOp({
    name,
    infer: (inputs) => {
      expectCount(name, inputs, 2);
      const [a, b] = inputs;
      expectFloat(name, a, 'first input');
      expectFloat(name, b, 'second input');
      expectSameDtype(name, a, b);
      return [{ shape: broadcastShapes(name, a.shape, b.shape), dtype: a.dtype }];
    },
    grad:
      ga && gb
        ? ([dy], { inputs: [a, b], outputs: [y] }) => [
            () => sumTo(ga(dy, a, b, y), a.shape),
            () => sumTo(gb(dy, a, b, y), b.shape),
          ]
        : undefined,
  });
}

export const addOp = binary(
  'add',
  (dy) => dy,
  (dy) => dy,
);
export const subOp = binary(
  'sub',
  (dy) => dy,
  (dy) => neg1(dy),
);
export const mulOp = binary(
  'mul',
  (dy, _a, b) => mul(dy, b),
  (dy, a) => mul(dy, a),
);
export const divOp = binary(
  'div',
  (dy, _a, b) => div(dy, b),
  (dy, _a, b, y) => neg1(div(mul(dy, y), b)),
);
/** NOTE: the gradient for the exponent uses log(a) and is only defined for a > 0. */
export const powOp = binary(
  'pow',
  (dy, a, b) => mul(dy, mul(b, pow(a, sub(b, 1)))),
  (dy, a, _b, y) => mul(dy, mul(y, log(a))),
);
/** Ties split the gradient evenly, as in PyTorch. */
export const maximumOp = binary(
  'maximum',
  (dy, a, b) => mul(dy, add(greater(a, b), mul(equal(a, b), 0.5))),
  (dy, a, b) => mul(dy, add(less(a, b), mul(equal(a, b), 0.5))),
);
export const minimumOp = binary(
  'minimum',
  (dy, a, b) => mul(dy, add(less(a, b), mul(equal(a, b), 0.5))),
  (dy, a, b) => mul(dy, add(greater(a, b), mul(equal(a, b), 0.5))),
);
export const equalOp = binary('equal', null, null);
export const notEqualOp = binary('notEqual', null, null);
export const lessOp = binary('less', null, null);
export const lessEqualOp = binary('lessEqual', null, null);
export const greaterOp = binary('greater', null, null);
export const greaterEqualOp = binary('greaterEqual', null, null);

const neg1 = (t: Tensor) => mul(t, -1);

export interface AddScaledAttrs {
  alpha: number;
}

/**
 * a + alpha·b with broadcasting in one pass (PyTorch's add(a, b, alpha=...)): the optimizers'
 * update p − lr·g and coupled weight decay g + wd·p. The product is rounded to the tensors' type
 * before the add and alpha is taken in that type, so the result is bit for bit add(a, mul(b, alpha))
 * (and, with alpha = −c, sub(a, mul(b, c))).
 */
export const addScaledOp = defineOp<AddScaledAttrs>({
  name: 'addScaled',
  infer: (inputs, { alpha }) => {
    expectCount('addScaled', inputs, 2);
    const [a, b] = inputs;
    expectFloat('addScaled', a, 'first input');
    expectFloat('addScaled', b, 'second input');
    expectSameDtype('addScaled', a, b);
    if (typeof alpha !== 'number' || Number.isNaN(alpha))
      throw new StrataError('addScaled', `alpha must be a number, got ${alpha}`);
    return [{ shape: broadcastShapes('addScaled', a.shape, b.shape), dtype: a.dtype }];
  },
  grad: ([dy], { inputs: [a, b], attrs: { alpha } }) => [
    () => sumTo(dy, a.shape),
    () => sumTo(mul(dy, alpha), b.shape),
  ],
});

export const addScaled = (a: Tensor, b: Tensor, alpha: number): Tensor =>
  run1(addScaledOp, [a, b], { alpha });

export const add = (a: TensorOrNumber, b: TensorOrNumber): Tensor => run1(addOp, lift('add', a, b), {});
export const sub = (a: TensorOrNumber, b: TensorOrNumber): Tensor => run1(subOp, lift('sub', a, b), {});
export const mul = (a: TensorOrNumber, b: TensorOrNumber): Tensor => run1(mulOp, lift('mul', a, b), {});
export const div = (a: TensorOrNumber, b: TensorOrNumber): Tensor => run1(divOp, lift('div', a, b), {});
export const pow = (a: TensorOrNumber, b: TensorOrNumber): Tensor => run1(powOp, lift('pow', a, b), {});
export const maximum = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  run1(maximumOp, lift('maximum', a, b), {});
export const minimum = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  run1(minimumOp, lift('minimum', a, b), {});
export const equal = (a: TensorOrNumber, b: TensorOrNumber): Tensor => run1(equalOp, lift('equal', a, b), {});
export const notEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  run1(notEqualOp, lift('notEqual', a, b), {});
export const less = (a: TensorOrNumber, b: TensorOrNumber): Tensor => run1(lessOp, lift('less', a, b), {});
export const lessEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  run1(lessEqualOp, lift('lessEqual', a, b), {});
export const greater = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  run1(greaterOp, lift('greater', a, b), {});
export const greaterEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor =>
  run1(greaterEqualOp, lift('greaterEqual', a, b), {});

/** `cond ? a : b` element-wise with broadcasting; `cond` is nonzero for true. */
export const whereOp = defineOp({
  name: 'where',
  infer: (inputs) => {
    expectCount('where', inputs, 3);
    const [c, a, b] = inputs;
    expectFloat('where', a);
    expectSameDtype('where', a, b);
    expectSameDtype('where', c, a);
    return [{ shape: broadcastShapes('where', c.shape, a.shape, b.shape), dtype: a.dtype }];
  },
  grad: ([dy], { inputs: [c, a, b] }) => {
    const z = scalarLike(dy, 0);
    return [null, () => sumTo(where(c, dy, z), a.shape), () => sumTo(where(c, z, dy), b.shape)];
  },
});

export function where(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  // Two numbers: the result takes the condition's float type, or the default one.
  if (typeof a === 'number' && typeof b === 'number')
    a = scalarLike(cond, a, isFloat(cond.dtype) ? cond.dtype : getDefaultDtype());
  const [x, y] = lift('where', a, b);
  return run1(whereOp, [cast(cond, x.dtype), x, y], {});
}
