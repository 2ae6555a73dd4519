import type { Tensor } from '../../src/index.js';

/** How a driver makes one input of a case (values are drawn from a generator seeded per case). */
export interface InputSpec {
  shape: number[];
  /**
   * normal (default): N(0,1); positive: U(0.5, 2); unit: U(-0.9, 0.9); nonzero: ±U(0.5, 2);
   * distinct: a shuffled arange scaled so no two values tie, within the input and across the
   * case's distinct inputs (max/min/pool); mask: 0/1; int: integers in [0, high) as int32.
   */
  kind?: 'normal' | 'positive' | 'unit' | 'nonzero' | 'distinct' | 'mask' | 'int';
  high?: number;
  /** Explicit values instead (row-major). */
  values?: number[];
  /** Not differentiated (masks, indices, labels). mask and int inputs never are. */
  noGrad?: boolean;
}

/** Reasons for skipping a driver; every skip carries its reason. */
export interface Skips {
  gradcheck?: string;
  golden?: string;
  /** The WebAssembly backend (the backends driver also reads `skip[<backend name>]`). */
  wasm?: string;
  /** Every backend other than reference. */
  backends?: string;
  /** The coverage rule that an entry's cases include a size-1 and an odd size >= 17 dimension. */
  shapes?: string;
}

/** float32-vs-reference tolerance override, with its reason. */
export interface Tolerance {
  atol: number;
  rtol: number;
  reason: string;
}

export interface OpCase {
  /** Unique within its entry, used in fixture names: `${entry.op}/${case.name}`. */
  name: string;
  inputs: InputSpec[];
  /** The computation, through the public API. May return several tensors. */
  run: (...xs: Tensor[]) => Tensor | Tensor[];
  /**
   * The call's attributes as JSON (no functions, no Infinity), exported with the inputs to the
   * golden generator, whose family module (tools/golden/families/<file>.py) maps op + attrs to torch.
   * Build the case with `withAttrs` (test/opdb/_helpers.ts) so `run` reads the same object.
   */
  attrs?: Record<string, unknown>;
  /** Skips for this case only (the entry's skips apply to every case). */
  skip?: Skips;
  /** Overrides the entry's tolerance for this case. */
  tolerance?: Tolerance;
}

export interface ErrorCase {
  name: string;
  run: () => unknown;
  /** The message must match (it names the op and shows the numbers). */
  message: RegExp;
}

export interface OpEntry {
  /**
   * An op-table name (see opTable), a public function of src/ops, or `<name>.<variant>` for a
   * further entry of the same function (for example `where.scalars`).
   */
  op: string;
  cases: OpCase[];
  errors?: ErrorCase[];
  /** Reasons for skipping a driver for this entry; every skip carries its reason. */
  skip?: Skips;
  /** float32-vs-reference tolerance override, with its reason. */
  tolerance?: Tolerance;
}
