import type { KTensor, OutMeta, Storage } from './backend.js';
import type { DType } from './dtype.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/** What an op's shape inference sees of an input. */
export interface TensorMeta {
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface GradContext<A> {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: A;
}

/**
 * The gradient of an op: given the gradient of each output (zeros where an output got none), one
 * thunk per input, evaluated only for inputs that need a gradient. Gradients are built from ops, so
 * they are differentiable again and run on every backend that has the kernels.
 */
export type GradFn<A> = (
  dys: readonly Tensor[],
  ctx: GradContext<A>,
) => ReadonlyArray<(() => Tensor) | null | undefined>;

/** One row of the op table. */
export interface OpDef<A = any> {
  readonly name: string;
  /** Validates inputs and attributes and returns the outputs' shapes; throws StrataError naming the op. */
  readonly infer: (inputs: readonly TensorMeta[], attrs: A) => OutMeta[];
  /** Absent for ops without a gradient (comparisons, argmax, indices). */
  readonly grad?: GradFn<A>;
  /**
   * Outputs that never carry a gradient (for example max-pool indices); backward passes null for
   * them in the gradient function's `dys` (no zeros are built), so `grad` must not read those.
   */
  readonly nondiffOutputs?: readonly number[];
  /** The output is a view sharing the single input's storage (reshape): no kernel runs. */
  readonly alias?: boolean;
}

/** A recorded application of an op: the tape is the graph of these reachable from a result. */
export interface Node {
  readonly id: number;
  readonly op: OpDef;
  inputs: Tensor[];
  outputs: Tensor[];
  readonly attrs: unknown;
  /** Set once backward has run over this node without retainGraph. */
  freed: boolean;
}

export type { KTensor, OutMeta, Storage };
