import { fromTypedArray } from '../core/creation.js';
import { StrataError } from '../core/errors.js';
import { type Generator, globalGenerator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { mul } from '../ops/binary.js';

export interface DropoutOptions {
  /** Only in training does dropout drop (default true: calling it means you want it). */
  training?: boolean;
  /** The generator the mask is drawn from (default: the global one; layers pass the model's). */
  generator?: Generator;
}

function checkP(fn: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    throw new StrataError(fn, `probability must be in [0, 1], got ${p}`);
}

/** x times a mask of the given shape (broadcast against x): 0 with probability p, else 1/(1 − p). */
function masked(x: Tensor, p: number, maskShape: number[], g: Generator): Tensor {
  let n = 1;
  for (const d of maskShape) n *= d;
  // drawn straight into the tensor's float type (the values 0 and keep round as a conversion would)
  const m = x.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const keep = p === 1 ? 0 : 1 / (1 - p);
  g.fillDropMask(m, p, keep);
  return mul(x, fromTypedArray(m, maskShape, { dtype: x.dtype, backend: x.backend }));
}

/**
 * Inverted dropout: in training each element is zeroed with probability p and the survivors are scaled
 * by 1/(1 − p), so the expected value is unchanged and inference is the identity. The mask is drawn
 * from `generator`, so a seeded generator gives reproducible runs. ONNX: Dropout.
 */
export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  checkP('dropout', p);
  if (opts.training === false || p === 0) return x;
  return masked(x, p, [...x.shape], opts.generator ?? globalGenerator());
}

/**
 * Spatial (channel) dropout of (N, C, ...spatial): whole channels are zeroed with probability p, the
 * others scaled by 1/(1 − p) (Keras SpatialDropout2D/3D, PyTorch Dropout2d/3d).
 */
export function spatialDropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  checkP('spatialDropout', p);
  if (x.rank < 3)
    throw new StrataError('spatialDropout', `input must have shape (N, C, ...spatial), got [${x.shape}]`);
  if (opts.training === false || p === 0) return x;
  const shape = x.shape.map((d, i) => (i < 2 ? d : 1));
  return masked(x, p, shape, opts.generator ?? globalGenerator());
}
