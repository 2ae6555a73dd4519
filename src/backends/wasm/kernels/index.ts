// Entry of the kernel module. Every thread instantiates it on the one shared memory; `run` is the
// single entry the thread pool dispatches, so a job runs the same code on every thread, each taking
// its share from (tid, nt).
import {
  JOB_ARG, JOB_AVGPOOL, JOB_GEMM_PACK_B, JOB_GEMM_PACKED, JOB_AVGPOOL_BACKWARD, JOB_BINARY, JOB_CAST, JOB_CONV, JOB_CONV_BACKWARD_DATA,
  JOB_CONV_BACKWARD_FILTER, JOB_COPY, JOB_FILL, JOB_GATHER_MAPPED, JOB_MATMUL, JOB_MAXPOOL, JOB_POOL_GATHER,
  JOB_REDUCE, JOB_RESIZE, JOB_RESIZE_BACKWARD, JOB_SCATTER_MAPPED, JOB_SOFTMAX, JOB_TEST_TRAP, JOB_UNARY, JOB_UNPOOL, JOB_WHERE,
} from '../opcodes';
import { JOB_BIAS_ACT } from '../opcodes';
import { JOB_BATCHNORM_BACKWARD, JOB_BATCHNORM_TRAIN } from '../opcodes';
import { gemmPackB, gemmPacked, matmul, SCRATCH_BYTES } from './gemm';
import { convBackwardFilter } from './conv';
import { convAuto, convDataAuto } from './convdirect';
import { binary, cast, unary, where } from './elementwise';
import { biasAct } from './elementwise';
import { argReduce, reduce, softmax } from './reduce';
import { fill, gatherMapped, scatterMapped, stridedCopy } from './shape';
import { avgPool, avgPoolBackward, maxPool, poolGather, unpoolScatter } from './pool';
import { resize, resizeBackward } from './resize';
import { batchNormBackward, batchNormTrain } from './norm';

export { setScratch } from './common';
export { gemmKcb, gemmNcb } from './gemm';
export { checkIndices } from './pool';

/** Bytes of scratch each thread needs (GEMM blocks plus room for the other kernels' tiles). */
export function scratchBytes(): i32 {
  return <i32>SCRATCH_BYTES;
}

/** First free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

export function run(job: i32, p: usize, tid: i32, nt: i32): void {
  switch (job) {
    case JOB_MATMUL: matmul(p, tid, nt); break;
    case JOB_GEMM_PACK_B: gemmPackB(p, tid, nt); break;
    case JOB_GEMM_PACKED: gemmPacked(p, tid, nt); break;
    case JOB_CONV: convAuto(p, tid, nt); break;
    case JOB_CONV_BACKWARD_DATA: convDataAuto(p, tid, nt); break;
    case JOB_CONV_BACKWARD_FILTER: convBackwardFilter(p, tid, nt); break;
    case JOB_UNARY: unary(p, tid, nt); break;
    case JOB_BINARY: binary(p, tid, nt); break;
    case JOB_WHERE: where(p, tid, nt); break;
    case JOB_COPY: stridedCopy(p, tid, nt); break;
    case JOB_REDUCE: reduce(p, tid, nt); break;
    case JOB_SOFTMAX: softmax(p, tid, nt); break;
    case JOB_ARG: argReduce(p, tid, nt); break;
    case JOB_MAXPOOL: maxPool(p, tid, nt); break;
    case JOB_AVGPOOL: avgPool(p, tid, nt); break;
    case JOB_AVGPOOL_BACKWARD: avgPoolBackward(p, tid, nt); break;
    case JOB_UNPOOL: unpoolScatter(p, tid, nt); break;
    case JOB_POOL_GATHER: poolGather(p, tid, nt); break;
    case JOB_GATHER_MAPPED: gatherMapped(p, tid, nt); break;
    case JOB_SCATTER_MAPPED: scatterMapped(p, tid, nt); break;
    case JOB_FILL: fill(p, tid, nt); break;
    case JOB_CAST: cast(p, tid, nt); break;
    case JOB_RESIZE: resize(p, tid, nt); break;
    case JOB_RESIZE_BACKWARD: resizeBackward(p, tid, nt); break;
    case JOB_BIAS_ACT: biasAct(p, tid, nt); break;
    case JOB_BATCHNORM_TRAIN: batchNormTrain(p, tid, nt); break;
    case JOB_BATCHNORM_BACKWARD: batchNormBackward(p, tid, nt); break;
    case JOB_TEST_TRAP: if (tid == nt - 1) unreachable(); break;
    default: unreachable();
  }
}
