import type { Kernel, KTensor, OutMeta } from '../../../core/backend.js';
import type { FusedAct } from '../../../ops/fused.js';
import type { AttrsOf, KernelTable } from '../../../ops/registry.js';
import * as C from '../opcodes.js';
import { ptr, rt, sizeOf, type WasmStorage } from '../storage.js';
import { convKernels } from './conv.js';
import { MEM_WORK } from './elementwise.js';
import { linalgKernels } from './linalg.js';

const actCodes: Record<FusedAct, number> = { none: C.ACT_NONE, relu: C.ACT_RELU };

/**
 * The fused ops: the product job (conv or matmul) into y, then in the same kernel the epilogue job
 * (kernels/elementwise.ts biasAct) in place: y[o, f, i] = act(y[o, f, i] + b[f]). One output, no
 * intermediate tensor; bitwise the separate product, add and activation.
 */
function biasAct(y: WasmStorage, m: OutMeta, b: KTensor | undefined, act: FusedAct): void {
  const n = sizeOf(m.shape);
  if (n === 0 || (!b && act === 'none')) return;
  const outer = m.shape[0];
  const F = m.shape[1];
  const r = rt();
  const p = r
    .params(6)
    .i(0, y.ptr)
    .i(1, b ? ptr(b) : 0)
    .i(2, outer)
    .i(3, F)
    .i(4, n / (outer * F))
    .i(5, actCodes[act]);
  r.run(C.JOB_BIAS_ACT, p, r.threadsFor(n * MEM_WORK), 'biasAct');
}

const convBiasAct: Kernel<AttrsOf<'convBiasAct'>> = ([x, w, b], a, [m]) => {
  const [y] = convKernels.conv([x, w], a, [m]) as WasmStorage[];
  biasAct(y, m, b, a.act);
  return [y];
};

const linearBiasAct: Kernel<AttrsOf<'linearBiasAct'>> = ([x, w, b], a, [m]) => {
  const [y] = linalgKernels.matmul([x, w], TRANS_B, [m]) as WasmStorage[];
  biasAct(y, m, b, a.act);
  return [y];
};
const TRANS_B = { transA: false, transB: true };

export const fusedKernels = { convBiasAct, linearBiasAct } satisfies Partial<KernelTable>;
