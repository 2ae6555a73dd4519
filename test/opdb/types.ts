import type { Tensor } from '../../src/index.js';

/** How a driver makes one input of a case (values are drawn from a generator seeded per case). */
export interface InputSpec {
  shape: number[];
  /**
   * normal (default): N(0,1); positive: U(0.5, 2); unit: U(-0.9, 0.9); distinct: a shuffled arange
   * scaled so no two values tie (max/min/pool); mask: 0/1; int: integers in [0, high) as int32.
   */
  kind?: 'normal' | 'positive' | 'unit' | 'distinct' | 'mask' | 'int';
  high?: number;
  /** Explicit values instead (row-major). */
  values?: number[];
  /** Not differentiated (masks, indices, labels). */
  noGrad?: boolean;
}

export interface OpCase {
  /** Unique within its entry, used in fixture names: `${entry.op}/${case.name}`. */
  name: string;
  inputs: InputSpec[];
  /** The computation, through the public API. May return several tensors. */
  run: (...xs: Tensor[]) => Tensor | Tensor[];
}

export interface ErrorCase {
  name: string;
  run: () => unknown;
  /** The message must match (it names the op and shows the numbers). */
  message: RegExp;
}

export interface OpEntry {
  /** An op-table name (see opTable) or a composite function name. */
  op: string;
  cases: OpCase[];
  errors?: ErrorCase[];
  /** Reasons for skipping a driver for this entry; every skip carries its reason. */
  skip?: { gradcheck?: string; golden?: string; wasm?: string };
  /** float32-vs-reference tolerance override, with its reason. */
  tolerance?: { atol: number; rtol: number; reason: string };
}
