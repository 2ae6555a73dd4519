import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { mul, sub } from './binary.js';
import { defineOp, expectCount, expectFloat, run1 } from './define.js';
import { sum } from './reduce.js';
import { exp } from './unary.js';

function softmaxLike(name: string, grad: (dy: Tensor, y: Tensor, axis: number) => Tensor) {
  return defineOp<{ axis: number }>({
    name,
    infer: (inputs) => {
      expectCount(name, inputs, 1);
      expectFloat(name, inputs[0]);
      return [{ shape: [...inputs[0].shape], dtype: inputs[0].dtype }];
    },
    grad: ([dy], { outputs: [y], attrs: { axis } }) => [() => grad(dy, y, axis)],
  });
}

/** Softmax along an axis, computed stably (max subtracted). dx = y·(dy − Σ dy·y). */
export const softmaxOp = softmaxLike('softmax', (dy, y, axis) =>
  mul(y, sub(dy, sum(mul(dy, y), axis, true))),
);
/** Log-softmax along an axis. dx = dy − exp(y)·Σ dy. */
export const logSoftmaxOp = softmaxLike('logSoftmax', (dy, y, axis) =>
  sub(dy, mul(exp(y), sum(dy, axis, true))),
);

export const softmax = (x: Tensor, axis = -1): Tensor =>
  run1(softmaxOp, [x], { axis: normAxis('softmax', axis, x.rank) });
export const logSoftmax = (x: Tensor, axis = -1): Tensor =>
  run1(logSoftmaxOp, [x], { axis: normAxis('logSoftmax', axis, x.rank) });
