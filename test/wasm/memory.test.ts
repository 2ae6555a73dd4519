// Memory: a training loop that never disposes anything keeps the wasm memory flat. The engine frees
// the intermediates of each step (scope), the optimizer replaces parameters in place, and what the
// user drops is reclaimed by the FinalizationRegistry (on a later turn of the event loop).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClassificationOutput,
  Conv2D,
  Dense,
  Flatten,
  MaxPool2D,
  memoryInfo,
  mul,
  noGrad,
  outputLayerOf,
  ReLU,
  randn,
  SGD,
  Sequential,
  scope,
  setBackend,
  setThreads,
  sub,
  type Tensor,
  tensor,
  valueAndGradOf,
} from '../../src/index.js';
import { wasmRuntime } from '../../src/backends/wasm/index.js';

function smallConvNet() {
  return new Sequential(
    [
      new Conv2D({ filters: 8, kernelSize: 3, padding: 'same' }),
      new ReLU(),
      new MaxPool2D({ kernelSize: 2 }),
      new Conv2D({ filters: 16, kernelSize: 3 }),
      new ReLU(),
      new Flatten(),
      new Dense({ units: 10 }),
      new ClassificationOutput({ classes: [...'0123456789'] }),
    ],
    { inputShape: [1, 12, 12] },
  ).build({ seed: 1 });
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;

test('a training loop (fit-style steps, no dispose) keeps bytesInUse flat', () => {
  setBackend('wasm');
  setThreads(2);
  const model = smallConvNet();
  const out = outputLayerOf(model.layers)!;
  const params = model.parameters();
  const opt = new SGD({ lr: 0.05 });
  const x = randn([16, 1, 12, 12], { seed: 2 });
  const y = tensor(
    Array.from({ length: 16 }, (_, i) => i % 10),
    undefined,
    { dtype: 'int32' },
  );
  const losses: number[] = [];
  let warm = memoryInfo();
  for (let step = 0; step < 300; step++) {
    const l = scope(() => {
      const { value, grads } = valueAndGradOf(
        () => out.loss(model.forward(x, { training: true }), y),
        params.map((p) => p.value),
      );
      opt.step(params, grads);
      return value.item();
    });
    losses.push(l);
    if (step === 19) warm = memoryInfo();
  }
  const end = memoryInfo();
  console.log(
    `# fit-style loop: after 20 steps bytesInUse ${warm.bytesInUse} (${warm.liveStorages} storages), after 300 ${end.bytesInUse} (${end.liveStorages}); heap ${mib(end.heapBytes)}`,
  );
  assert.equal(end.bytesInUse, warm.bytesInUse, 'bytes in use grew after warm-up');
  assert.equal(end.liveStorages, warm.liveStorages, 'live storages grew after warm-up');
  assert.equal(end.heapBytes, warm.heapBytes, 'the heap grew after warm-up');
  assert.ok(losses[losses.length - 1] < losses[0], `the loss should fall: ${losses[0]} → ${losses.at(-1)}`);
});

test('a careless loop (results dropped, never disposed) stays bounded through the finalizers', async () => {
  setBackend('wasm');
  const heap = wasmRuntime().heap;
  const prevGcBytes = heap.gcBytes;
  // the allocator asks for a collection before growing once this much was allocated (64 MiB by
  // default; this net is small)
  heap.gcBytes = 2 ** 20;
  const gcs = heap.gcCount;
  const model = smallConvNet();
  const out = outputLayerOf(model.layers)!;
  const params = model.parameters();
  const x = randn([16, 1, 12, 12], { seed: 3 });
  const y = tensor(
    Array.from({ length: 16 }, (_, i) => i % 10),
    undefined,
    { dtype: 'int32' },
  );
  let warm = memoryInfo();
  let peak = 0;
  for (let step = 0; step < 400; step++) {
    // as test/layers/_catalog.ts sgd: value and grads are left for the garbage collector
    const { value, grads }: { value: Tensor; grads: Tensor[] } = valueAndGradOf(
      () => out.loss(model.forward(x, { training: true }), y),
      params.map((p) => p.value),
    );
    value.item();
    noGrad(() => {
      params.forEach((p, j) => {
        p.assign(sub(p.value, mul(grads[j], 0.05)));
      });
    });
    // a loop that yields now and then (callbacks, progress, data loading) lets finalizers run
    if (step % 10 === 9) await new Promise((r) => setImmediate(r));
    if (step === 49) warm = memoryInfo();
    if (step >= 50) peak = Math.max(peak, memoryInfo().bytesInUse);
  }
  heap.gcBytes = prevGcBytes;
  const end = memoryInfo();
  console.log(
    `# careless loop (${heap.gcCount - gcs} collections asked by the allocator): after 50 steps bytesInUse ${mib(warm.bytesInUse)}, peak after ${mib(peak)}, after 400 ${mib(end.bytesInUse)}; heap ${mib(end.heapBytes)}`,
  );
  // never reclaimed, the dropped gradients and updates of 400 steps would hold about 11.7 MiB
  assert.ok(heap.gcCount > gcs, 'the allocator should have asked for a collection');
  assert.ok(peak < 6 * 2 ** 20, `bytes in use kept growing: ${mib(warm.bytesInUse)} → ${mib(peak)}`);
});
