import type { Kernel } from '../core/backend.js';
import type { OpDef } from '../core/op.js';
import * as batchnorm from './batchnorm.js';
import * as binary from './binary.js';
import * as conv from './conv.js';
import * as fused from './fused.js';
import * as matmul from './matmul.js';
import * as pool from './pool.js';
import * as reduce from './reduce.js';
import * as resize from './resize.js';
import * as shape from './shape.js';
import * as softmax from './softmax.js';
import * as unary from './unary.js';

/**
 * THE op table: every primitive op of Strata, by name. Backends type their kernel tables against it,
 * so a backend missing a kernel is a compile error (or, for a partial table, a one-time fallback).
 */
export const opTable = {
  // element-wise, one input
  neg: unary.negOp,
  exp: unary.expOp,
  log: unary.logOp,
  sqrt: unary.sqrtOp,
  abs: unary.absOp,
  sign: unary.signOp,
  relu: unary.reluOp,
  reluBackward: unary.reluBackwardOp,
  sigmoid: unary.sigmoidOp,
  softplus: unary.softplusOp,
  tanh: unary.tanhOp,
  erf: unary.erfOp,
  leakyRelu: unary.leakyReluOp,
  elu: unary.eluOp,
  clamp: unary.clampOp,
  cast: unary.castOp,
  // element-wise, broadcasting
  add: binary.addOp,
  addScaled: binary.addScaledOp,
  sub: binary.subOp,
  mul: binary.mulOp,
  div: binary.divOp,
  pow: binary.powOp,
  maximum: binary.maximumOp,
  minimum: binary.minimumOp,
  equal: binary.equalOp,
  notEqual: binary.notEqualOp,
  less: binary.lessOp,
  lessEqual: binary.lessEqualOp,
  greater: binary.greaterOp,
  greaterEqual: binary.greaterEqualOp,
  where: binary.whereOp,
  // reductions
  sum: reduce.sumOp,
  max: reduce.maxOp,
  min: reduce.minOp,
  argmax: reduce.argmaxOp,
  argmin: reduce.argminOp,
  // shape
  reshape: shape.reshapeOp,
  permute: shape.permuteOp,
  slice: shape.sliceOp,
  sliceScatter: shape.sliceScatterOp,
  concat: shape.concatOp,
  pad: shape.padOp,
  padBackward: shape.padBackwardOp,
  flip: shape.flipOp,
  broadcastTo: shape.broadcastToOp,
  // linear algebra, normalizing
  matmul: matmul.matmulOp,
  softmax: softmax.softmaxOp,
  logSoftmax: softmax.logSoftmaxOp,
  // convolution and pooling (N-d, NCHW / NCDHW)
  conv: conv.convOp,
  convBackwardData: conv.convBackwardDataOp,
  convBackwardFilter: conv.convBackwardFilterOp,
  // fused product + bias + activation (the Conv and Dense layers' forward)
  convBiasAct: fused.convBiasActOp,
  linearBiasAct: fused.linearBiasActOp,
  maxPool: pool.maxPoolOp,
  avgPool: pool.avgPoolOp,
  avgPoolBackward: pool.avgPoolBackwardOp,
  unpoolScatter: pool.unpoolScatterOp,
  poolGather: pool.poolGatherOp,
  // resizing (ONNX Resize: nearest and linear) and its adjoint
  resize: resize.resizeOp,
  resizeBackward: resize.resizeBackwardOp,
  // batch normalization in training (fused statistics, normalization and affine) and its gradient
  batchNormTrain: batchnorm.batchNormTrainOp,
  batchNormBackward: batchnorm.batchNormBackwardOp,
} as const;

export type OpTable = typeof opTable;
export type OpName = keyof OpTable;
export type AttrsOf<K extends OpName> = OpTable[K] extends OpDef<infer A> ? A : never;

/** Ops that are views of their input (no kernel runs). */
export type AliasOpName = 'reshape';

/** Kernels keyed by op name, typed by each op's attributes. Aliasing ops (reshape) need none. */
export type KernelTable = { [K in Exclude<OpName, AliasOpName>]: Kernel<AttrsOf<K>> };
