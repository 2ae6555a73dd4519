import { backward as runBackward } from '../autograd/grad.js';
import type { BackwardOptions } from '../autograd/backward.js';
import type { Backend } from '../core/backend.js';
import { backendByName } from '../core/backend.js';
import { toBackend } from '../core/creation.js';
import type { DType } from '../core/dtype.js';
import type { Shape } from '../core/shape.js';
import { aliasOf, Tensor } from '../core/tensor.js';
import * as o from './index.js';
import type { TensorOrNumber } from './define.js';
import type { Axes } from './reduce.js';
import type { PadMode } from './shape.js';

/** Chainable methods on Tensor, each the function of the same name in the ops. */
declare module '../core/tensor.js' {
  interface Tensor {
    add(b: TensorOrNumber): Tensor;
    sub(b: TensorOrNumber): Tensor;
    mul(b: TensorOrNumber): Tensor;
    div(b: TensorOrNumber): Tensor;
    pow(b: TensorOrNumber): Tensor;
    maximum(b: TensorOrNumber): Tensor;
    minimum(b: TensorOrNumber): Tensor;
    equal(b: TensorOrNumber): Tensor;
    notEqual(b: TensorOrNumber): Tensor;
    less(b: TensorOrNumber): Tensor;
    lessEqual(b: TensorOrNumber): Tensor;
    greater(b: TensorOrNumber): Tensor;
    greaterEqual(b: TensorOrNumber): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    clamp(min?: number, max?: number): Tensor;
    cast(dtype: DType): Tensor;
    sum(axes?: Axes, keepDims?: boolean): Tensor;
    mean(axes?: Axes, keepDims?: boolean): Tensor;
    max(axes?: Axes, keepDims?: boolean): Tensor;
    min(axes?: Axes, keepDims?: boolean): Tensor;
    variance(axes?: Axes, keepDims?: boolean, correction?: number): Tensor;
    argmax(axis?: number, keepDims?: boolean): Tensor;
    argmin(axis?: number, keepDims?: boolean): Tensor;
    reshape(shape: Shape): Tensor;
    permute(perm: readonly number[]): Tensor;
    transpose(a?: number, b?: number): Tensor;
    slice(begin: readonly number[], end?: readonly (number | undefined)[], step?: readonly number[]): Tensor;
    pad(pads: ReadonlyArray<readonly [number, number]>, mode?: PadMode, value?: number): Tensor;
    flip(axes?: Axes): Tensor;
    broadcastTo(shape: Shape): Tensor;
    squeeze(axes?: Axes): Tensor;
    unsqueeze(axis: number): Tensor;
    flatten(start?: number, end?: number): Tensor;
    matmul(b: Tensor): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    /** Runs reverse-mode differentiation from this tensor (a scalar unless `gradient` is given). */
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    /** Same data, no recorded history. */
    detach(): Tensor;
    /** A copy on another backend. */
    toBackend(backend: string | Backend): Tensor;
  }
}

const P = Tensor.prototype as any;
for (const name of [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'relu',
  'sigmoid',
  'tanh',
  'clamp',
  'cast',
  'sum',
  'mean',
  'max',
  'min',
  'variance',
  'argmax',
  'argmin',
  'reshape',
  'permute',
  'transpose',
  'slice',
  'pad',
  'flip',
  'broadcastTo',
  'squeeze',
  'unsqueeze',
  'flatten',
  'matmul',
  'softmax',
  'logSoftmax',
] as const) {
  const f = (o as any)[name] as (...a: unknown[]) => Tensor;
  P[name] = function (this: Tensor, ...args: unknown[]) {
    return f(this, ...args);
  };
}
P.backward = function (this: Tensor, gradient?: Tensor | null, opts?: BackwardOptions) {
  runBackward(this, gradient, opts);
};
P.detach = function (this: Tensor) {
  return aliasOf(this, this.shape);
};
P.toBackend = function (this: Tensor, b: string | Backend) {
  return toBackend(this, typeof b === 'string' ? backendByName(b) : b);
};
