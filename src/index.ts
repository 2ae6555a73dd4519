/**
 * Strata: tensors, autograd, backends, layers, training. Everything public is re-exported here.
 */
import './backends/reference/index.js';
import './backends/wasm/index.js';
import './ops/methods.js';

export { getThreads, initWasm, setThreads } from './backends/wasm/index.js';
export type { InitWasmOptions, WasmSource } from './backends/wasm/init.js';

export { gradients } from './autograd/backward.js';
export type { BackwardOptions } from './autograd/backward.js';
export { backward, detach, grad, gradOf, valueAndGrad, valueAndGradOf } from './autograd/grad.js';
export type { TensorTree } from './autograd/grad.js';
export { gradcheck } from './autograd/gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './autograd/gradcheck.js';
export { getBackend, listBackends, registerBackend, setBackend } from './core/backend.js';
export type { Backend, Kernel, KTensor, MemoryInfo, OutMeta, Storage } from './core/backend.js';
export * from './core/creation.js';
export type { DType, TypedArray } from './core/dtype.js';
export { enableGrad, isGradEnabled, keep, noGrad, scope } from './core/engine.js';
export { StrataError } from './core/errors.js';
export { memoryInfo } from './core/meminfo.js';
export type { GradContext, GradFn, Node, OpDef, TensorMeta } from './core/op.js';
export { Generator, manualSeed } from './core/random.js';
export type { Shape } from './core/shape.js';
export { type NestedArray, Tensor } from './core/tensor.js';
export * from './ops/index.js';
export { opTable } from './ops/registry.js';
export type { AliasOpName, AttrsOf, KernelTable, OpName, OpTable } from './ops/registry.js';
export type { TensorOrNumber } from './ops/define.js';
export type { Padding } from './ops/window.js';
export type { ResizeBackwardAttrs } from './ops/resize.js';
export * from './functional/index.js';
export * from './layers/index.js';
export * from './models/index.js';
export * from './optim/index.js';
export * from './data/index.js';
export * from './io/index.js';
export * from './train/index.js';
export * from './io/onnx/index.js';
export * from './viz/index.js';
export * from './explain/index.js';
