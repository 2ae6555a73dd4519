import type { Kernel } from '../../core/backend.js';
import type { FusedAct } from '../../ops/fused.js';
import type { AttrsOf, KernelTable } from '../../ops/registry.js';
import { convKernels } from './conv.js';
import { unaryFormulas } from './elementwise.js';
import { linalgKernels } from './linalg.js';
import { dataOf, type RefStorage } from './storage.js';

/**
 * The epilogue in place on the product y (already rounded to its dtype, as the separate op's output
 * is): y[o, f, i] = act(y[o, f, i] + b[f]), each step stored (so rounded) as the separate add and
 * activation ops store theirs.
 */
function biasAct(y: RefStorage, shape: readonly number[], b: ArrayLike<number> | null, act: FusedAct): void {
  const ys = y.data;
  const F = shape[1];
  let inner = 1;
  for (let d = 2; d < shape.length; d++) inner *= shape[d];
  if (b) for (let i = 0; i < ys.length; i++) ys[i] = ys[i] + b[Math.floor(i / inner) % F];
  if (act === 'relu') for (let i = 0; i < ys.length; i++) ys[i] = reluOf(ys[i]);
}

/** relu as the reference's relu kernel computes it (−0 → 0, NaN kept). */
const reluOf = unaryFormulas.relu({});

const convBiasAct: Kernel<AttrsOf<'convBiasAct'>> = ([x, w, b], a, [m]) => {
  const [y] = convKernels.conv([x, w], a, [m]) as RefStorage[];
  biasAct(y, m.shape, b ? dataOf(b) : null, a.act);
  return [y];
};

const linearBiasAct: Kernel<AttrsOf<'linearBiasAct'>> = ([x, w, b], a, [m]) => {
  const [y] = linalgKernels.matmul([x, w], { transA: false, transB: true }, [m]) as RefStorage[];
  biasAct(y, m.shape, b ? dataOf(b) : null, a.act);
  return [y];
};

export const fusedKernels = { convBiasAct, linearBiasAct } satisfies Partial<KernelTable>;
