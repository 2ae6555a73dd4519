// The hostile set (tools/fuzz/hostile.ts; files in test/fixtures/hostile and, for ONNX, the ONNX
// engineer's test/fixtures/onnx/hostile): every file is refused with its specific StrataError, within
// 100 ms, before any large allocation (the JS heap, array buffers and the wasm heap grow by less than
// 4 MiB while it is loaded).
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import '../../src/backends/reference/index.js';
import '../../src/backends/wasm/index.js';
import '../../src/ops/methods.js';
import { getBackend } from '../../src/core/backend.js';
import { StrataError } from '../../src/core/errors.js';
import { readIdx } from '../../src/data/idx.js';
import { readImage } from '../../src/data/images.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { loadModel } from '../../src/io/model.js';
import { loadOnnx } from '../../src/io/onnx/import.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { collect } from '../../tools/fuzz/harness.js';
import { FIXTURES, type HostileCase, hostileCases, type Loader } from '../../tools/fuzz/hostile.js';

const scratch = mkdtempSync(join(tmpdir(), 'strata-hostile-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const load: Record<Loader, (path: string) => unknown> = {
  safetensors: (p) => decodeSafetensors(readFileSync(p), p),
  model: (p) => loadModel(p),
  checkpoint: (p) => loadCheckpoint(p),
  idx: (p) => readIdx(p),
  image: (p) => readImage(p),
  onnx: (p) => loadOnnx(p),
};

/** The path to load: the fixture itself, or a copy with a symbolic link out of its folder. */
function prepare(c: HostileCase): string {
  const p = join(FIXTURES, c.path);
  if (!c.symlink) return p;
  const model = join(scratch, 'model');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(scratch, 'outside.bin'), Buffer.from(new Float32Array([9, 9, 9, 9]).buffer));
  copyFileSync(p, join(model, 'model.onnx'));
  symlinkSync(join('..', 'outside.bin'), join(model, 'link.bin'));
  return join(model, 'model.onnx');
}

const mem = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers + getBackend().memory().heapBytes;
};

describe('hostile files are refused with a specific StrataError before any large allocation', () => {
  for (const c of hostileCases)
    test(`${c.path}: ${c.what}`, () => {
      const path = prepare(c);
      getBackend(); // the wasm heap exists before measuring
      collect();
      const m0 = mem();
      const t0 = performance.now();
      let err: unknown = null;
      try {
        load[c.loader](path);
      } catch (e) {
        err = e;
      }
      const ms = performance.now() - t0;
      const grew = mem() - m0;
      assert.ok(err instanceof StrataError, `refused with a StrataError, got ${err}`);
      assert.match((err as Error).message, c.expect);
      assert.ok(ms < 100, `refused in ${ms.toFixed(1)} ms`);
      assert.ok(grew < 4 * 2 ** 20, `memory grew by ${(grew / 2 ** 20).toFixed(2)} MiB`);
    });

  test('every hostile kind of issue 9 is in the set', () => {
    const text = hostileCases.map((c) => `${c.path} ${c.what}`).join('\n');
    for (const re of [
      /shape_far_larger/,
      /overlapping_offsets/,
      /negative_offset/,
      /reversed_offsets/,
      /header_length_2p64/,
      /header_over_100MB/,
      /duplicate_names/,
      /external_dotdot/,
      /external_absolute/,
      /external_symlink/,
      /raw_length_mismatch/,
      /negative_dim/,
    ])
      assert.match(text, re);
  });
});
