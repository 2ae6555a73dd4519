import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  Adam,
  adaptInputs,
  arrayDataset,
  BatchNormalization,
  batches,
  ClassificationOutput,
  cosineDecay,
  Dense,
  Dropout,
  EarlyStopping,
  evaluate,
  fit,
  Generator,
  HistoryLogger,
  ImageInput,
  LearningRateScheduler,
  loadCheckpoint,
  memoryInfo,
  ModelCheckpoint,
  outputLayerOf,
  permutation,
  randomShift,
  ReduceLROnPlateau,
  ReLU,
  scope,
  Sequential,
  valueAndGradOf,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-fit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Three classes of 4×4 "images": a class prototype plus noise. */
function blobs(n: number, seed: number) {
  const g = new Generator(seed);
  const protos = [0, 1, 2].map(() => Array.from({ length: 16 }, () => g.uniform(0, 1)));
  const x = new Float32Array(n * 16);
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y.push(c);
    for (let k = 0; k < 16; k++) x[i * 16 + k] = protos[c][k] + g.normal(0, 0.25);
  }
  return arrayDataset(x, [1, 4, 4], y, ['a', 'b', 'c']);
}

function net() {
  return new Sequential([
    new ImageInput({ shape: [1, 4, 4], normalization: 'zscore' }),
    new Dense({ units: 16 }),
    new BatchNormalization(),
    new ReLU(),
    new Dropout({ probability: 0.2 }),
    new Dense({ units: 3 }),
    new ClassificationOutput(),
  ]).build({ seed: 5 });
}

test('fit learns a separable problem; evaluate reports accuracy, confusion matrix, per-class scores', () => {
  const data = blobs(300, 1);
  const m = net();
  const r = fit(m, data, {
    epochs: 6,
    batchSize: 16,
    lr: 0.01,
    validationSplit: 0.2,
    seed: 3,
    progress: false,
  });
  assert.equal(r.history.length, 6);
  const last = r.history[5];
  assert.ok(last.loss < r.history[0].loss, 'loss decreases');
  assert.ok(last.valAccuracy! > 0.9, `val accuracy ${last.valAccuracy}`);
  const e = evaluate(m, blobs(90, 1));
  assert.ok(e.accuracy > 0.9);
  assert.equal(
    e.confusion.flat().reduce((a, b) => a + b, 0),
    90,
  );
  assert.equal(e.topK[2], 1);
  assert.ok(e.report.macro.f1 > 0.9);
  // model.fit / model.evaluate are the same functions as methods.
  assert.equal(m.evaluate(blobs(90, 1)).accuracy, e.accuracy);
});

test('resuming from a checkpoint ends with exactly the weights of an uninterrupted run', () => {
  const data = blobs(120, 2);
  const callbacks = (d: string) => [
    new LearningRateScheduler(cosineDecay(0.02, 5 * 6), 'batch'),
    new EarlyStopping({ patience: 50 }),
    new ModelCheckpoint(d),
  ];
  const common = {
    batchSize: 20,
    validationSplit: 0.25,
    seed: 11,
    augment: randomShift(1),
    progress: false as const,
  };
  const a = net();
  const ra = fit(a, data, {
    ...common,
    epochs: 5,
    optimizer: new Adam(),
    callbacks: callbacks(join(dir, 'a')),
  });
  const b = net();
  fit(b, data, { ...common, epochs: 2, optimizer: new Adam(), callbacks: callbacks(join(dir, 'b')) });
  const c = net();
  const rc = fit(c, data, {
    ...common,
    epochs: 5,
    optimizer: new Adam(),
    callbacks: callbacks(join(dir, 'b')),
    resumeFrom: join(dir, 'b', 'last.safetensors'),
  });
  for (const [k, p] of a.namedState())
    assert.deepEqual(c.namedState().get(k)!.value.data(), p.value.data(), k);
  const strip = (h: typeof ra.history) => h.map(({ seconds, imagesPerSecond, ...rest }) => rest);
  assert.deepEqual(strip(rc.history), strip(ra.history));
  // The checkpoint loads on its own too.
  const ck = loadCheckpoint(join(dir, 'a', 'best.safetensors'));
  assert.equal(ck.optimizerState?.type, 'Adam');
  assert.ok((ck.state.epoch as number) >= 1);
  assert.throws(
    () =>
      fit(net(), data, { ...common, seed: 12, epochs: 5, resumeFrom: join(dir, 'b', 'last.safetensors') }),
    /trained with seed 11, this run asks for 12/,
  );
});

test('early stopping, reduce-on-plateau and the history logger', () => {
  const data = blobs(60, 3);
  const stop = new EarlyStopping({ monitor: 'loss', patience: 1, minDelta: 10 });
  const plateau = new ReduceLROnPlateau({ monitor: 'loss', patience: 0, factor: 0.5, threshold: 10 });
  const r = fit(net(), data, {
    epochs: 10,
    batchSize: 30,
    lr: 0.01,
    progress: false,
    callbacks: [stop, plateau, new HistoryLogger(join(dir, 'h.csv')), new HistoryLogger(join(dir, 'h.json'))],
  });
  assert.equal(r.history.length, 2);
  assert.ok(r.stoppedEarly);
  assert.equal(stop.stoppedEpoch, 2);
  assert.equal(r.history[1].lr, 0.005);
  const csv = readFileSync(join(dir, 'h.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'epoch,loss,accuracy,lr,seconds,imagesPerSecond');
  assert.equal(csv.length, 3);
  assert.equal(JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8')).length, 2);
  assert.throws(
    () => fit(net(), data, { epochs: 1, progress: false, callbacks: [new EarlyStopping()] }),
    /monitors 'valLoss', which this run does not produce/,
  );
});

test('bad training data gives clear errors before any step', () => {
  const m = net();
  const wrong = arrayDataset(new Float32Array(2 * 9), [1, 3, 3], [0, 1]);
  assert.throws(
    () => fit(m, wrong, { progress: false }),
    /examples have shape \[1,3,3\], the model expects \[1,4,4\]/,
  );
  const many = arrayDataset(new Float32Array(2 * 16), [1, 4, 4], [0, 7]);
  assert.throws(() => fit(m, many, { progress: false }), /label 7, but the model has only 3 outputs/);
  assert.throws(() => fit(m, blobs(9, 1), { epochs: 0 }), /epochs must be a positive integer/);
});

test('the low-level loop of docs/TRAINING.md: valueAndGradOf + optimizer.step, nothing to dispose', () => {
  const train = blobs(96, 4);
  const model = net();
  const params = model.parameters();
  const output = outputLayerOf(model.layers)!;
  const optimizer = new Adam({ lr: 0.01 });
  const gen = new Generator(0);
  adaptInputs(model, train); // z-score statistics of the input layer from the training data
  const live: number[] = [];
  let last = Infinity;
  for (let epoch = 0; epoch < 8; epoch++) {
    for (const batch of batches(train, { batchSize: 32, order: permutation(96, gen) }))
      last = scope(() => {
        const { value, grads } = valueAndGradOf(
          () => output.loss(model.forward(batch.x, { training: true, generator: gen }), batch.y),
          params.map((p) => p.value),
        );
        optimizer.step(params, grads);
        return value.item();
      });
    live.push(memoryInfo().liveTensors);
  }
  assert.ok(last < 0.3, `loss ${last}`);
  assert.equal(live[7], live[1], `live tensors after each epoch: ${live}`);
});
