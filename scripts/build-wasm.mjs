#!/usr/bin/env node
// Compiles the AssemblyScript kernels (src/backends/wasm/kernels/) into src/backends/wasm/strata.wasm
// and, with relaxed SIMD (fused multiply-add in the GEMM microkernel), strata-fma.wasm, and copies
// both to dist/backends/wasm/ (where the compiled package loads them). Skips the compile when
// the .wasm is newer than every kernel source, unless --force. --wat also writes strata.wat.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasmDir = join(root, 'src/backends/wasm');
const kernels = join(wasmDir, 'kernels');
const outFile = join(wasmDir, 'strata.wasm');
const fmaFile = join(wasmDir, 'strata-fma.wasm');
const distDir = join(root, 'dist/backends/wasm');
const force = process.argv.includes('--force');
const wat = process.argv.includes('--wat');

const sources = [
  ...readdirSync(kernels)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(kernels, f)),
  join(wasmDir, 'opcodes.ts'),
  fileURLToPath(import.meta.url),
];
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
const upToDate = [outFile, fmaFile].every((f) => existsSync(f) && statSync(f).mtimeMs >= newest);

if (!upToDate || force || wat) {
  const asc = (await import('assemblyscript/asc')).default;
  const build = async (file, extra, text) => {
    const args = [
      join(kernels, 'index.ts'),
      '--outFile',
      file,
      ...(text ? ['--textFile', text] : []),
      '-O3',
      '--noAssert',
      '--runtime',
      'stub',
      '--importMemory',
      '--sharedMemory',
      '--initialMemory',
      '64',
      '--maximumMemory',
      '65536',
      '--enable',
      'simd',
      '--enable',
      'threads',
      ...extra,
    ];
    const t0 = Date.now();
    const { error, stderr } = await asc.main(args, {});
    if (error) {
      console.error(stderr.toString());
      console.error(`build:wasm failed: ${error.message}`);
      process.exit(1);
    }
    console.log(
      `build:wasm: ${file.slice(root.length + 1)} (${statSync(file).size} bytes, ${Date.now() - t0} ms)`,
    );
  };
  await build(outFile, [], wat ? join(wasmDir, 'strata.wat') : null);
  await build(fmaFile, ['--enable', 'relaxed-simd'], null);
}
if (existsSync(join(root, 'dist')) || process.argv.includes('--dist')) {
  mkdirSync(distDir, { recursive: true });
  copyFileSync(outFile, join(distDir, 'strata.wasm'));
  copyFileSync(fmaFile, join(distDir, 'strata-fma.wasm'));
}
