// Every op of the op table should have a wasm kernel (an op without one falls back to the reference
// backend with a one-time warning). A missing kernel is reported as a todo, so that a new op does not
// break the build before its kernel exists.
import { test } from 'node:test';
import { wasmKernels } from '../../src/backends/wasm/index.js';
import { opTable } from '../../src/index.js';

const aliases = new Set(['reshape']);
const missing = Object.keys(opTable).filter((op) => !aliases.has(op) && !(op in wasmKernels));

test(
  'every op has a wasm kernel',
  missing.length
    ? { todo: `no wasm kernel yet for ${missing.join(', ')} (they run on the reference backend)` }
    : {},
  () => {},
);
