// convnetjs 0.3.0 on the workloads it can run: W1, W2 (training) and W4 (batch-1 inference). One thread,
// float64 (its Vol is a Float64Array), one example at a time: a batch of 64 is 64 calls of
// trainer.train, whose SGD applies the averaged gradient every 64th call. `softmax` in convnetjs is a
// dense layer of 10 followed by softmax (so its W4 output is probabilities, as Strata's W4 model's).
// W3 and W5 have no op to call (convnetjs has layers, not tensor ops).
import { createRequire } from 'node:module';
import { cannot, chosen, randomValues, report } from './measure.mjs';

const convnetjs = createRequire(import.meta.url)('convnetjs');
const peer = 'convnetjs';

function lenet() {
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 120, activation: 'relu' },
    { type: 'fc', num_neurons: 84, activation: 'relu' },
    { type: 'softmax', num_classes: 10 },
  ]);
  return net;
}

function cifarCnn() {
  const conv = (filters) => ({ type: 'conv', sx: 3, filters, stride: 1, pad: 1, activation: 'relu' });
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: 32, out_sy: 32, out_depth: 3 },
    conv(32),
    conv(32),
    { type: 'pool', sx: 2, stride: 2 },
    conv(64),
    conv(64),
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 256, activation: 'relu' },
    { type: 'softmax', num_classes: 10 },
  ]);
  return net;
}

function image(seed, size = 28, depth = 1) {
  const v = new convnetjs.Vol(size, size, depth, 0.0);
  v.w.set(randomValues(size * size * depth, seed));
  return v;
}

/** One SGD step of a batch: `batch` calls of trainer.train (the update happens on the last one). */
function trainingStep(net, batch, size, depth) {
  const trainer = new convnetjs.Trainer(net, {
    method: 'sgd',
    learning_rate: 0.01,
    batch_size: batch,
    momentum: 0,
    l2_decay: 0,
  });
  const xs = Array.from({ length: batch }, (_, i) => image(100 + i, size, depth));
  return () => {
    let loss = 0;
    for (let i = 0; i < batch; i++) loss += trainer.train(xs[i], i % 10).loss;
    return loss;
  };
}

const run = {
  W1: () => report(peer, 'W1', 1, 'img/s', trainingStep(lenet(), 64, 28, 1), 64),
  W2: () => report(peer, 'W2', 1, 'img/s', trainingStep(cifarCnn(), 32, 32, 3), 32),
  W4: () => {
    const net = lenet();
    const x = image(6);
    return report(peer, 'W4', 1, 'µs', () => Array.from(net.forward(x, false).w));
  },
};

for (const w of chosen()) {
  if (!run[w]) {
    cannot(peer, w, 'no standalone conv/matmul op');
    continue;
  }
  await run[w]();
}
