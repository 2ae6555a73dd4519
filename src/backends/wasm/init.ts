import { initWasm as loadModule, nodeModule } from './loader.js';
import { wasmRuntime } from './index.js';

/** The kernel module: bytes, a compiled module, or a URL (default: strata.wasm next to the loader). */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string;

export interface InitWasmOptions {
  source?: WasmSource;
  /**
   * Threads to use (default: STRATA_THREADS, else the machine's parallelism in Node, and in a worker
   * of a cross-origin isolated page navigator.hardwareConcurrency up to 8; elsewhere 1).
   */
  threads?: number;
}

function isOptions(x: unknown): x is InitWasmOptions {
  return (
    typeof x === 'object' &&
    x !== null &&
    !(x instanceof WebAssembly.Module) &&
    !(x instanceof URL) &&
    !(x instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(x) &&
    !(typeof SharedArrayBuffer !== 'undefined' && x instanceof SharedArrayBuffer)
  );
}

/**
 * Loads the kernel module before first use (needed outside Node) and, outside Node or when `threads`
 * is given, starts the thread pool and resolves once its workers are up. In a browser, threads need a
 * worker of a cross-origin isolated page (the calling thread blocks while the others finish their
 * shares, which a page's main thread may not); elsewhere one thread, with the same results.
 *
 *   await initWasm();                   // fetch strata.wasm next to the module
 *   await initWasm({ threads: 4 });     // … and use 4 threads where the page allows
 *   await initWasm(bytes, { threads: 1 });
 */
export async function initWasm(
  source?: WasmSource | InitWasmOptions,
  options: InitWasmOptions = {},
): Promise<void> {
  const o: InitWasmOptions = isOptions(source) ? { ...source, ...options } : { ...options, source };
  await loadModule(o.source);
  // Node: the backend starts its pool on first use, as before
  if (o.threads === undefined && nodeModule('node:fs')) return;
  const r = wasmRuntime();
  if (o.threads !== undefined) r.setThreads(o.threads);
  await r.whenReady();
}
