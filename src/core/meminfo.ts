import { getBackend, type MemoryInfo } from './backend.js';
import { liveTensorCount } from './memory.js';

/** Live tensors, bytes in use and heap size of the current backend. */
export function memoryInfo(): MemoryInfo {
  const m = getBackend().memory();
  return {
    liveTensors: liveTensorCount(),
    liveStorages: m.liveStorages,
    bytesInUse: m.bytesInUse,
    heapBytes: m.heapBytes,
  };
}
