import { fromTypedArray } from '../core/creation.js';
import { StrataError } from '../core/errors.js';
import { Generator } from '../core/random.js';
import { aliasOf, Tensor } from '../core/tensor.js';
import { gradients } from './backward.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Pass when |analytic - numeric| <= atol + rtol·|numeric| (defaults 1e-5 and 1e-3). */
  atol?: number;
  rtol?: number;
  /** Seed of the random weights that reduce the outputs to a scalar. */
  seed?: number;
  /** Indices of inputs to check (default: every float input). */
  check?: readonly number[];
}

export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytic - numeric| over every element checked. */
  maxAbsError: number;
  checked: number;
  failures: string[];
}

/**
 * Compares the analytic gradient of `f` with central finite differences, in float64. The outputs are
 * reduced to a scalar with fixed random weights, so every output element contributes.
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  inputs: readonly Tensor[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const which = opts.check ?? inputs.map((_, i) => i).filter((i) => inputs[i].dtype !== 'int32');
  for (const i of which)
    if (inputs[i].dtype !== 'float64')
      throw new StrataError('gradcheck', `input ${i} is ${inputs[i].dtype}; gradcheck needs float64 inputs`);
  const gen = new Generator(opts.seed ?? 1234);
  const asList = (o: Tensor | Tensor[]) => (o instanceof Tensor ? [o] : o).filter((t) => t.dtype !== 'int32');

  // Analytic.
  const leaves = inputs.map((x, i) => {
    const l = aliasOf(x, x.shape);
    if (which.includes(i)) l.requireGrad();
    return l;
  });
  const outs = asList(f(...leaves));
  const weights = outs.map((o) => {
    const w = new Float64Array(o.size);
    for (let k = 0; k < w.length; k++) w[k] = gen.uniform(-1, 1);
    return w;
  });
  const diffOuts = outs.filter((o) => o.requiresGrad);
  const seeds = diffOuts.map((o) =>
    fromTypedArray(weights[outs.indexOf(o)], o.shape, { backend: o.backend }),
  );
  const g = diffOuts.length
    ? gradients(
        diffOuts,
        seeds,
        leaves.filter((_, i) => which.includes(i)),
      )
    : new Map();

  const scalar = (xs: Tensor[]): number => {
    const os = asList(f(...xs));
    let s = 0;
    os.forEach((o, j) => {
      const d = o.data();
      for (let k = 0; k < d.length; k++) s += d[k] * weights[j][k];
    });
    return s;
  };

  const failures: string[] = [];
  let maxAbsError = 0;
  let checked = 0;
  for (const i of which) {
    const x = inputs[i];
    const base = x.data() as Float64Array;
    const analytic = g.get(leaves[i])?.data() ?? new Float64Array(base.length);
    for (let k = 0; k < base.length; k++) {
      const plus = Float64Array.from(base);
      plus[k] += eps;
      const minus = Float64Array.from(base);
      minus[k] -= eps;
      const at = (arr: Float64Array) =>
        scalar(inputs.map((y, j) => (j === i ? fromTypedArray(arr, x.shape, { backend: x.backend }) : y)));
      const numeric = (at(plus) - at(minus)) / (2 * eps);
      const err = Math.abs(analytic[k] - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      checked++;
      if (!(err <= atol + rtol * Math.abs(numeric)) && failures.length < 10)
        failures.push(`input ${i} element ${k}: analytic ${analytic[k]}, numeric ${numeric}`);
    }
  }
  return { ok: failures.length === 0, maxAbsError, checked, failures };
}
