// A child process for the crash tests (test/robust/interrupt.test.ts): saves a model — model.json +
// model.safetensors — and a checkpoint into a folder, generation after generation, every parameter of
// generation g being its initial value + g. `once` saves generation 1 (with STRATA_FAULT set, it dies
// in the middle); `loop` saves forever and prints "ready" after the first save (it is killed at a
// random moment). Light imports, so that it starts fast.
import '../../src/backends/reference/index.js';
import '../../src/ops/methods.js';
import '../../src/layers/index.js';
import { setBackend } from '../../src/core/backend.js';
import { fromTypedArray } from '../../src/core/creation.js';
import { saveCheckpoint } from '../../src/io/checkpoint.js';
import { saveModel } from '../../src/io/model.js';
import { join } from 'node:path';
import { base } from './_saver_model.js';

const [dir, mode] = process.argv.slice(2);
setBackend('reference'); // no wasm start-up: this process only saves
const model = base();
const init = model.parameters().map((p) => Float32Array.from(p.value.data()));
function generation(g: number): void {
  model.parameters().forEach((p, i) => {
    p.assign(
      fromTypedArray(
        init[i].map((v) => v + g),
        p.value.shape,
      ),
    );
  });
  saveModel(model, dir, { metadata: { generation: g } });
  saveCheckpoint(join(dir, 'checkpoint.safetensors'), { model, state: { generation: g } });
}
if (mode === 'once') generation(Number(process.argv[4] ?? 1));
else
  for (let g = 1; ; g++) {
    generation(g);
    if (g === 1) process.stdout.write('ready\n');
  }
