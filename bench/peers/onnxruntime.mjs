// onnxruntime-node 1.30 (CPU execution provider) on W3, W4 and W5, inference only: the models are
// Strata's, written by Strata's ONNX exporter (src/io/onnx): W3 a Conv2D layer without bias (one Conv
// node), W4 the LeNet-5 of W1 at batch 1 (its output layer exports as Softmax, as Strata's forward
// gives probabilities), W5 a Dense layer of 1024 units without bias at batch 1024 (one MatMul or
// Gemm node). `node --import tsx bench/peers/onnxruntime.mjs --threads N [W3 W4 W5]`: intra-op
// threads N, inter-op 1, sequential execution, all graph optimizations. session.run is asynchronous
// in Node: its calls are awaited (part of what a Node user pays).
import ort from 'onnxruntime-node';
import {
  ClassificationOutput,
  Conv2D,
  Dense,
  Flatten,
  MaxPool2D,
  ReLU,
  Sequential,
} from '../../src/index.js';
import { exportOnnx } from '../../src/io/onnx/index.js';
import { cannot, chosen, randomValues, report, W3_GFLOP, W5_GFLOP } from './measure.mjs';

const ti = process.argv.indexOf('--threads');
const threads = ti >= 0 ? Number(process.argv[ti + 1]) : 1;
const peer = 'onnxruntime';

function lenet() {
  return new Sequential(
    [
      new Conv2D({ filters: 6, kernelSize: 5, padding: 2 }),
      new ReLU(),
      new MaxPool2D({ kernelSize: 2 }),
      new Conv2D({ filters: 16, kernelSize: 5 }),
      new ReLU(),
      new MaxPool2D({ kernelSize: 2 }),
      new Flatten(),
      new Dense({ units: 120 }),
      new ReLU(),
      new Dense({ units: 84 }),
      new ReLU(),
      new Dense({ units: 10 }),
      new ClassificationOutput(),
    ],
    { inputShape: [1, 28, 28] },
  ).build({ seed: 1 });
}

async function session(model, batch) {
  const bytes = exportOnnx(model, { batch });
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

async function runner(model, batch, inputShape, seed) {
  const s = await session(model, batch);
  const dims = [batch, ...inputShape];
  const x = new ort.Tensor(
    'float32',
    randomValues(
      dims.reduce((a, b) => a * b),
      seed,
    ),
    dims,
  );
  const feeds = { [s.inputNames[0]]: x };
  return () => s.run(feeds);
}

const run = {
  W3: async () => {
    const model = new Sequential([new Conv2D({ filters: 64, kernelSize: 3, padding: 1, bias: false })], {
      inputShape: [64, 56, 56],
    }).build({ seed: 4 });
    const call = await runner(model, 16, [64, 56, 56], 3);
    await report(peer, 'W3', threads, 'GFLOP/s', call, W3_GFLOP);
  },
  W4: async () => {
    const call = await runner(lenet(), 1, [1, 28, 28], 6);
    await report(peer, 'W4', threads, 'µs', async () => Array.from((await call()).output.data));
  },
  W5: async () => {
    const model = new Sequential([new Dense({ units: 1024, bias: false })], { inputShape: [1024] }).build({
      seed: 2,
    });
    const call = await runner(model, 1024, [1024], 1);
    await report(peer, 'W5', threads, 'GFLOP/s', call, W5_GFLOP);
  },
};

for (const w of chosen()) {
  if (run[w]) await run[w]();
  else cannot(peer, w, 'inference only (onnxruntime-node has no training API)');
}
