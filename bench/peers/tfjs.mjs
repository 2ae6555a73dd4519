// TensorFlow.js 4.22 on the workloads: `node bench/peers/tfjs.mjs cpu|wasm [W1..W5]`. One thread: the
// cpu backend is plain JavaScript, and the wasm backend runs one thread in Node (its threaded build
// needs a browser's workers). Layout NHWC, tfjs's native one (same work as Strata's NCHW).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { cannot, chosen, randomValues, report, W3_GFLOP, W5_GFLOP } from './measure.mjs';

const backend = process.argv[2];
if (backend !== 'cpu' && backend !== 'wasm') throw new Error('usage: tfjs.mjs cpu|wasm [W1..W5]');
await tf.setBackend(backend);
await tf.ready();
const peer = `tfjs-${backend}`;
tf.util.assert(tf.getBackend() === backend, () => `backend ${backend} did not start`);

/** LeNet-5 as W1 defines it; `probs`: softmax on the output (as Strata's W4 model has). */
function lenet(probs = false) {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 6,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 120, activation: 'relu' }),
      tfl.layers.dense({ units: 84, activation: 'relu' }),
      tfl.layers.dense({ units: 10, activation: probs ? 'softmax' : 'linear' }),
    ],
  });
}

function cifarCnn() {
  const conv = (f, inputShape) =>
    tfl.layers.conv2d({
      ...(inputShape ? { inputShape } : {}),
      filters: f,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
    });
  return tfl.sequential({
    layers: [
      conv(32, [32, 32, 3]),
      conv(32),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      conv(64),
      conv(64),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

/** One SGD step (forward, backward, update, loss read back), softmax cross-entropy on the logits. */
function trainingStep(model, batch, shape) {
  const x = tf.tensor(randomValues(batch * shape.reduce((a, b) => a * b), 5), [batch, ...shape]);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 10),
      'int32',
    ),
    10,
  );
  const opt = tf.train.sgd(0.01);
  return () =>
    tf.tidy(() => {
      const loss = opt.minimize(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })),
        true,
      );
      return loss.dataSync()[0];
    });
}

const run = {
  W1: () => report(peer, 'W1', 1, 'img/s', trainingStep(lenet(), 64, [28, 28, 1]), 64),
  W2: () => report(peer, 'W2', 1, 'img/s', trainingStep(cifarCnn(), 32, [32, 32, 3]), 32),
  W3: () => {
    const x = tf.tensor(randomValues(16 * 56 * 56 * 64, 3), [16, 56, 56, 64]);
    const w = tf.tensor(randomValues(3 * 3 * 64 * 64, 4), [3, 3, 64, 64]);
    return report(peer, 'W3', 1, 'GFLOP/s', () => tf.conv2d(x, w, 1, 'same').dispose(), W3_GFLOP);
  },
  W4: () => {
    const model = lenet(true);
    const x = tf.tensor(randomValues(28 * 28, 6), [1, 28, 28, 1]);
    return report(peer, 'W4', 1, 'µs', () => tf.tidy(() => model.predict(x).dataSync()));
  },
  W5: () => {
    const a = tf.tensor(randomValues(1024 * 1024, 1), [1024, 1024]);
    const b = tf.tensor(randomValues(1024 * 1024, 2), [1024, 1024]);
    return report(peer, 'W5', 1, 'GFLOP/s', () => tf.matMul(a, b).dispose(), W5_GFLOP);
  },
};

for (const w of chosen()) {
  if (w === 'W2' && backend === 'cpu') {
    // Measured apart: the first step took 245 s (wall, load average 6), so 6 steps would take ~25 min.
    cannot(
      peer,
      w,
      'not run: one step of 32 images took 245 s here (0.13 img/s; first step, load average 6)',
    );
    continue;
  }
  try {
    await run[w]();
  } catch (e) {
    // tfjs-backend-wasm has no Conv2DBackpropFilter kernel: training a conv net fails (W1, W2).
    cannot(peer, w, String(e?.message ?? e).split('\n')[0]);
  }
}
