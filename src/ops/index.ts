import { installGradHelpers } from '../autograd/hooks.js';
import { full } from '../core/creation.js';
import type { Tensor } from '../core/tensor.js';
import { add } from './binary.js';
import { run1 } from './define.js';
import { reshapeOp } from './shape.js';

export * from './batchnorm.js';
export * from './binary.js';
export {
  type ConvAttrs,
  type ConvBackwardDataAttrs,
  type ConvBackwardFilterAttrs,
  conv,
  convBackwardData,
  convBackwardDataOp,
  convBackwardFilter,
  convBackwardFilterOp,
  convOp,
} from './conv.js';
export * from './conv_fns.js';
export {
  type ConvBiasActAttrs,
  convBiasAct,
  convBiasActOp,
  type FusedAct,
  type LinearBiasActAttrs,
  type LinearOptions,
  linear,
  linearBiasAct,
  linearBiasActOp,
} from './fused.js';
export * from './matmul.js';
export * from './pool.js';
export * from './pool_fns.js';
export * from './reduce.js';
export {
  type CoordinateMode,
  type NearestMode,
  type ResizeAttrs,
  type ResizeMode,
  type ResizeOptions,
  resize,
  resize1d,
  resize2d,
  resize3d,
} from './resize.js';
export * from './shape.js';
export * from './softmax.js';
export * from './unary.js';

export const zerosLike = (t: Tensor): Tensor => full(t.shape, 0, { dtype: t.dtype, backend: t.backend });
export const onesLike = (t: Tensor): Tensor => full(t.shape, 1, { dtype: t.dtype, backend: t.backend });

installGradHelpers({
  add: (a, b) => add(a, b),
  onesLike,
  zerosLike,
  alias: (t) => run1(reshapeOp, [t], { shape: [...t.shape] }),
});
