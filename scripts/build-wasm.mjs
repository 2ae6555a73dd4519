#!/usr/bin/env node
// Compiles the AssemblyScript kernels (src/backends/wasm/kernels/) into src/backends/wasm/strata.wasm
// and copies it to dist/backends/wasm/ (where the compiled package loads it). Skips the compile when
// the .wasm is newer than every kernel source, unless --force. --wat also writes strata.wat.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasmDir = join(root, 'src/backends/wasm');
const kernels = join(wasmDir, 'kernels');
const outFile = join(wasmDir, 'strata.wasm');
const distFile = join(root, 'dist/backends/wasm/strata.wasm');
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
const upToDate = existsSync(outFile) && statSync(outFile).mtimeMs >= newest;

if (!upToDate || force || wat) {
  const asc = (await import('assemblyscript/asc')).default;
  const args = [
    join(kernels, 'index.ts'),
    '--outFile',
    outFile,
    ...(wat ? ['--textFile', join(wasmDir, 'strata.wat')] : []),
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
  ];
  const t0 = Date.now();
  const { error, stderr } = await asc.main(args, {});
  if (error) {
    console.error(stderr.toString());
    console.error(`build:wasm failed: ${error.message}`);
    process.exit(1);
  }
  console.log(
    `build:wasm: ${outFile.slice(root.length + 1)} (${statSync(outFile).size} bytes, ${Date.now() - t0} ms)`,
  );
}
if (existsSync(join(root, 'dist')) || process.argv.includes('--dist')) {
  mkdirSync(dirname(distFile), { recursive: true });
  copyFileSync(outFile, distFile);
}
