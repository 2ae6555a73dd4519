import type { Tensor } from '../core/tensor.js';
import { reshape } from './shape.js';
import { expectRank } from './window.js';

/**
 * Runs `f` on a batched (N, C, ...spatial) tensor: an unbatched (C, ...spatial) input, which the
 * user-facing convolution and pooling functions accept as PyTorch does, gets a batch axis of 1 that
 * is removed from the result(s) again. Internal (not re-exported by ops/index.ts).
 */
export function batched<T extends Tensor | Tensor[]>(
  fn: string,
  x: Tensor,
  r: number,
  f: (x: Tensor) => T,
): T {
  if (expectRank(fn, x, r)) return f(x);
  const y = f(reshape(x, [1, ...x.shape]));
  const drop = (t: Tensor) => reshape(t, t.shape.slice(1));
  return (Array.isArray(y) ? y.map(drop) : drop(y as Tensor)) as T;
}
