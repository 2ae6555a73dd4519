import { envVar } from '../../core/backend.js';
import { StrataError } from '../../core/errors.js';

/**
 * Finding and compiling the kernel module `strata.wasm`, which the build writes next to this file
 * (src/backends/wasm/ for the sources run through tsx, dist/backends/wasm/ for the package). In Node
 * the relaxed-SIMD build `strata-fma.wasm` beside it is preferred where the engine compiles it
 * (`STRATA_WASM_FMA=0` keeps the plain one); the two differ only in the GEMM microkernel's rounding.
 *
 * In Node the bytes are read synchronously with fs, so the backend is ready on first use. Elsewhere
 * (a browser, a bundle) call `initWasm()` first, which fetches `new URL('./strata.wasm',
 * import.meta.url)` or takes the bytes / module you give it. `STRATA_WASM_PATH` overrides the file.
 */
let compiled: WebAssembly.Module | null = null;
let sharedOk: boolean | null = null;

export function wasmUrl(): URL {
  return new URL('./strata.wasm', import.meta.url);
}

type NodeProcess = { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } };

/** A Node built-in module, or undefined outside Node (no static import, so bundles stay browser-safe). */
export function nodeModule<T>(id: string): T | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node ? (p.getBuiltinModule?.(id) as T | undefined) : undefined;
}

/** Whether threads can share memory here (SharedArrayBuffer and shared WebAssembly.Memory exist). */
export function sharedMemoryAvailable(): boolean {
  if (sharedOk !== null) return sharedOk;
  if (envVar('STRATA_WASM_SHARED') === '0' || typeof SharedArrayBuffer === 'undefined')
    return (sharedOk = false);
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    sharedOk = true;
  } catch {
    sharedOk = false;
  }
  return sharedOk;
}

/**
 * The module declares its memory as an imported shared memory. Where shared memory is unavailable,
 * the same bytes work single-threaded once the import's limits flag says "not shared" (the kernels
 * use no atomic instructions): this flips that one byte.
 */
export function unshareMemoryImport(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  let pos = 8;
  const leb = (): number => {
    let r = 0;
    let shift = 0;
    for (;;) {
      const x = b[pos++];
      r |= (x & 0x7f) << shift;
      if (!(x & 0x80)) return r >>> 0;
      shift += 7;
    }
  };
  while (pos < b.length) {
    const id = b[pos++];
    const size = leb();
    const end = pos + size;
    if (id === 2) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        const moduleName = leb();
        pos += moduleName;
        const fieldName = leb();
        pos += fieldName;
        const kind = b[pos++];
        if (kind === 0) leb();
        else if (kind === 1) {
          pos++;
          const f = b[pos++];
          leb();
          if (f & 1) leb();
        } else if (kind === 2) {
          if (b[pos] & 2) b[pos] &= ~2;
          const f = b[pos++];
          leb();
          if (f & 1) leb();
        } else if (kind === 3) pos += 2;
        else break;
      }
      return b;
    }
    pos = end;
  }
  return b;
}

/** Which build of the kernels runs: 'fma' (relaxed SIMD, fused multiply-add) or 'simd'. */
let variant: 'fma' | 'simd' = 'simd';

export function kernelVariant(): 'fma' | 'simd' {
  return variant;
}

/**
 * Whether this engine compiles relaxed SIMD. Node 20 (V8 11.3) has it behind a flag, which is turned
 * on at run time (process-wide, like the collection of `heap.ts`; V8 ships it on from 11.4).
 */
function relaxedSimdOk(bytes: Uint8Array): boolean {
  if (WebAssembly.validate(bytes as BufferSource)) return true;
  const v8 = nodeModule<typeof import('node:v8')>('node:v8');
  if (!v8) return false;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(bytes as BufferSource);
}

function bytesFromFile(): Uint8Array {
  const fs = nodeModule<typeof import('node:fs')>('node:fs');
  const url = nodeModule<typeof import('node:url')>('node:url');
  if (!fs || !url)
    throw new StrataError(
      'wasm',
      'the kernel module is not loaded: call `await initWasm()` first outside Node (or use the reference backend)',
    );
  const explicit = envVar('STRATA_WASM_PATH');
  if (!explicit && envVar('STRATA_WASM_FMA') !== '0') {
    // the fused multiply-add build, where the engine takes it (GEMM and convolutions ×1.3)
    try {
      const fma = fs.readFileSync(url.fileURLToPath(new URL('./strata-fma.wasm', import.meta.url)));
      if (relaxedSimdOk(fma)) {
        variant = 'fma';
        return fma;
      }
    } catch {
      // not built or not shipped: the plain build below
    }
  }
  const path = explicit || url.fileURLToPath(wasmUrl());
  try {
    const bytes = fs.readFileSync(path);
    // a file given by STRATA_WASM_PATH may be either build
    if (explicit && !WebAssembly.validate(bytes as BufferSource) && relaxedSimdOk(bytes)) variant = 'fma';
    return bytes;
  } catch (e) {
    throw new StrataError(
      'wasm',
      `cannot read the kernel module ${path} (${(e as Error).message}); run \`npm run build:wasm\``,
    );
  }
}

function compile(bytes: Uint8Array): WebAssembly.Module {
  return new WebAssembly.Module(
    (sharedMemoryAvailable() ? bytes : unshareMemoryImport(bytes)) as BufferSource,
  );
}

/** The compiled kernel module (synchronous: reads the file in Node). */
export function kernelModule(): WebAssembly.Module {
  if (!compiled) compiled = compile(bytesFromFile());
  return compiled;
}

/**
 * Loads the kernel module asynchronously before first use: from `source` (bytes or a compiled
 * module), or by fetching a URL (default: strata.wasm next to this module). Needed outside Node.
 */
export async function initWasm(source?: BufferSource | WebAssembly.Module | URL | string): Promise<void> {
  if (source instanceof WebAssembly.Module) {
    compiled = source;
    return;
  }
  if (source && (ArrayBuffer.isView(source) || source instanceof ArrayBuffer)) {
    const u8 = ArrayBuffer.isView(source)
      ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
      : new Uint8Array(source);
    compiled = compile(u8);
    return;
  }
  if (nodeModule('node:fs') && source === undefined) {
    kernelModule();
    return;
  }
  const res = await fetch(source ?? wasmUrl());
  compiled = compile(new Uint8Array(await res.arrayBuffer()));
}
