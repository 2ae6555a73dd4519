import type { Kernel } from '../../../core/backend.js';
import { broadcastStrides } from '../../../core/shape.js';
import type { AttrsOf, KernelTable } from '../../../ops/registry.js';
import * as C from '../opcodes.js';
import { out, ptr, rt, sizeOf, zeros } from '../storage.js';

/**
 * Batched matmul with broadcast batch axes: per batch item the element offsets of A and B (repeated
 * where a batch axis broadcasts); transposition is a matter of strides, the pack routines absorb it.
 * Threads take whole batch items when there are enough, else column (or row) panels.
 */
const matmul: Kernel<AttrsOf<'matmul'>> = ([a, b], { transA, transB }, [m]) => {
  const r = m.shape.length;
  const M = m.shape[r - 2];
  const N = m.shape[r - 1];
  const ra = a.shape.length;
  const rb = b.shape.length;
  const K = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const batchShape = m.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  const total = batch * M * N;
  if (total === 0) return [out(0, m.dtype)];
  if (K === 0) return [zeros(total, m.dtype)];
  const o = out(total, m.dtype);
  const aMat = a.shape[ra - 2] * a.shape[ra - 1];
  const bMat = b.shape[rb - 2] * b.shape[rb - 1];
  const sa = broadcastStrides(a.shape.slice(0, -2), batchShape);
  const sb = broadcastStrides(b.shape.slice(0, -2), batchShape);
  const lda = a.shape[ra - 1];
  const ldb = b.shape[rb - 1];
  const work = 2 * total * K;
  const rtm = rt();
  if (batch === 1 && work >= SHARED_B_MIN_WORK && rtm.getThreads() > 1 && M >= 64 * rtm.getThreads()) {
    sharedB(
      rtm,
      M,
      N,
      K,
      ptr(a),
      transA ? 1 : a.shape[ra - 1],
      transA ? a.shape[ra - 1] : 1,
      ptr(b),
      transB ? 1 : b.shape[rb - 1],
      transB ? b.shape[rb - 1] : 1,
      o.ptr,
    );
    return [o];
  }
  const nt = rtm.threadsFor(work, 2);
  // whole batch items when there are enough; else row panels (each thread packs its rows of A, the
  // 4× larger pre-broadcast operand, and all of B), or column panels when there are few rows
  const split = batch >= nt && (batch % nt === 0 || batch >= 4 * nt) ? 0 : M >= 32 * nt || M >= N ? 2 : 1;
  const p = rtm.params(14 + 2 * batch);
  p.i(0, M)
    .i(1, N)
    .i(2, K)
    .i(3, ptr(a))
    .i(4, transA ? 1 : lda)
    .i(5, transA ? lda : 1)
    .i(6, ptr(b))
    .i(7, transB ? 1 : ldb)
    .i(8, transB ? ldb : 1)
    .i(9, o.ptr)
    .i(10, batch)
    .i(11, p.ptr + 14 * 4)
    .i(12, p.ptr + (14 + batch) * 4)
    .i(13, split);
  // batch offsets by an odometer over the batch shape
  const idx = new Array<number>(batchShape.length).fill(0);
  let offA = 0;
  let offB = 0;
  // written straight into the parameter block (a typed array per call costs more than the op's JS)
  for (let i = 0; i < batch; i++) {
    p.i(14 + i, offA * aMat);
    p.i(14 + batch + i, offB * bMat);
    for (let d = batchShape.length - 1; d >= 0; d--) {
      idx[d]++;
      offA += sa[d];
      offB += sb[d];
      if (idx[d] < batchShape[d]) break;
      offA -= sa[d] * batchShape[d];
      offB -= sb[d] * batchShape[d];
      idx[d] = 0;
    }
  }
  rtm.run(C.JOB_MATMUL, p, nt, 'matmul');
  return [o];
};

/** Products at least this large (flops) on several threads pack B once for all threads. */
const SHARED_B_MIN_WORK = 5e7;

interface GemmBlocking {
  gemmKcb(K: number): number;
  gemmNcb(N: number): number;
}

/**
 * One large product on all threads with B packed once per block (kernels/gemm.ts, gemmPackB and
 * gemmPacked): per (N block, K block) a packing job over B's column panels, then a product job over
 * row panels of A. Bitwise the same result as one thread's gemmRange.
 */
function sharedB(
  rtm: ReturnType<typeof rt>,
  M: number,
  N: number,
  K: number,
  a: number,
  rsa: number,
  csa: number,
  b: number,
  rsb: number,
  csb: number,
  c: number,
): void {
  const ex = rtm.exports as unknown as GemmBlocking;
  const kcb = ex.gemmKcb(K);
  const ncb = ex.gemmNcb(N);
  const threads = rtm.getThreads();
  const blk = rtm.heap.alloc(kcb * (Math.ceil(ncb / 8) * 8) * 4);
  try {
    for (let jc = 0; jc < N; jc += ncb) {
      const nc = Math.min(ncb, N - jc);
      for (let pc = 0; pc < K; pc += kcb) {
        const kc = Math.min(kcb, K - pc);
        const p = rtm.params(15);
        p.i(0, M).i(1, N).i(2, K).i(3, a).i(4, rsa).i(5, csa).i(6, b).i(7, rsb).i(8, csb).i(9, c);
        p.i(10, jc).i(11, nc).i(12, pc).i(13, kc).i(14, blk.ptr);
        rtm.run(C.JOB_GEMM_PACK_B, p, threads, 'matmul');
        // sixteen shares per thread: a core slowed by the host claims fewer of them, and the last
        // share, which the other thread may wait for, is short (W5 on two threads, paired rounds
        // while the host slowed the vCPUs: 16 shares beat 4 in five of six); a share streams the
        // B block once, the same per row as a larger one
        rtm.run(C.JOB_GEMM_PACKED, p, 16 * threads, 'matmul');
      }
    }
  } finally {
    rtm.heap.free(blk.ptr, blk.size);
  }
}

export const linalgKernels = { matmul } satisfies Partial<KernelTable>;
