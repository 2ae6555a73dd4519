import { type Backend, type Kernel, registerBackend } from '../../core/backend.js';
import { arrayFor, type DType, type TypedArray } from '../../core/dtype.js';
import type { KernelTable } from '../../ops/registry.js';
import { convKernels } from './conv.js';
import { elementwiseKernels } from './elementwise.js';
import { fusedKernels } from './fused.js';
import { linalgKernels } from './linalg.js';
import { normKernels } from './norm.js';
import { poolKernels } from './pool.js';
import { reduceKernels } from './reduce.js';
import { resizeKernels } from './resize.js';
import { shapeKernels } from './shape.js';
import { RefStorage, setOwner } from './storage.js';

/** Every kernel of the op table, in plain loops: the specification the fast backends are checked against. */
export const referenceKernels: KernelTable = {
  ...elementwiseKernels,
  ...reduceKernels,
  ...shapeKernels,
  ...linalgKernels,
  ...convKernels,
  ...fusedKernels,
  ...poolKernels,
  ...resizeKernels,
  ...normKernels,
};

/**
 * The reference backend: plain TypeScript loops computing in float64 and storing float32, float64 or
 * int32. Slow and simple on purpose.
 */
export function createReferenceBackend(): Backend {
  let bytes = 0;
  let live = 0;
  const table = referenceKernels as unknown as Record<string, Kernel<any>>;
  const b: Backend = {
    name: 'reference',
    dtypes: ['float32', 'float64', 'int32'],
    upload(data: TypedArray) {
      bytes += data.byteLength;
      live++;
      return new RefStorage(b, data.slice());
    },
    read(s) {
      return (s as RefStorage).data.slice();
    },
    alloc(size: number, dtype: DType) {
      const a = arrayFor(dtype, size);
      bytes += a.byteLength;
      live++;
      return new RefStorage(b, a);
    },
    free(s) {
      bytes -= (s as RefStorage).data.byteLength;
      live--;
    },
    kernel: (op) => table[op],
    memory: () => ({ bytesInUse: bytes, heapBytes: bytes, liveStorages: live }),
  };
  setOwner(b);
  return b;
}

registerBackend('reference', createReferenceBackend);
