// Helpers for writing op-database entries. Files starting with `_` are not entry files.
import { run1 } from '../../src/core/engine.js';
import { opTable, type Tensor } from '../../src/index.js';
import type { InputSpec, OpCase } from './types.js';

/** Input specs by kind: `n(3, 5)` is a [3,5] normal input. */
export const n = (...shape: number[]): InputSpec => ({ shape });
export const pos = (...shape: number[]): InputSpec => ({ shape, kind: 'positive' });
export const unit = (...shape: number[]): InputSpec => ({ shape, kind: 'unit' });
export const nz = (...shape: number[]): InputSpec => ({ shape, kind: 'nonzero' });
export const dist = (...shape: number[]): InputSpec => ({ shape, kind: 'distinct' });
export const mask = (...shape: number[]): InputSpec => ({ shape, kind: 'mask' });
export const vals = (shape: number[], values: number[]): InputSpec => ({ shape, values });

/**
 * A case whose attributes are data: `run` reads the same `attrs` object that is exported to the
 * golden generator, so the two cannot drift apart.
 */
export function withAttrs<A extends Record<string, unknown>>(
  name: string,
  inputs: InputSpec[],
  attrs: A,
  f: (xs: Tensor[], a: A) => Tensor | Tensor[],
  extra: Partial<Omit<OpCase, 'name' | 'inputs' | 'attrs' | 'run'>> = {},
): OpCase {
  return { name, inputs, attrs, run: (...xs) => f(xs, attrs), ...extra };
}

/** Runs one row of the op table directly (for backward ops such as padBackward with no public function). */
export function rawOp(name: keyof typeof opTable, inputs: Tensor[], attrs: unknown): Tensor {
  return run1(opTable[name] as any, inputs, attrs);
}
