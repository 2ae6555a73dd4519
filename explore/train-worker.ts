/**
 * The explorer's training thread: trains the default network (digits-cnn) on the page's training
 * digits with Adam, off the page's main thread, and reports every batch's loss, the held-out accuracy
 * before training and after every epoch, and the weights now and then (so the page can show the
 * network's feature maps while it learns).
 */
import {
  Adam,
  adaptInput,
  backendName,
  type Digits,
  digitsCnn,
  engineLabel,
  fetchDigits,
  fromTypedArray,
  Generator,
  getState,
  getThreads,
  type Model,
  noGrad,
  outputLayerOf,
  scope,
  startBackend,
  valueAndGradOf,
} from './lib.js';

export interface TrainRequest {
  type: 'train';
  epochs: number;
  /** Training digits to use (at most the file's). */
  examples: number;
  /** Held-out digits to measure accuracy on. */
  heldout: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Post the weights every this many batches (and after each epoch). */
  weightsEvery: number;
  /** Absolute URL of the page's data folder (a worker resolves relative URLs against its own script). */
  dataUrl: string;
  /** Threads to train with (default: navigator.hardwareConcurrency up to 8 when cross-origin isolated). */
  threads?: number;
}

export type TrainMessage =
  | { type: 'ready'; backend: string; threads: number; isolated: boolean; engine: string; note: string }
  | { type: 'eval'; epoch: number; accuracy: number }
  | { type: 'batch'; epoch: number; step: number; loss: number }
  | {
      type: 'epoch';
      epoch: number;
      loss: number;
      accuracy: number;
      seconds: number;
      examplesPerSecond: number;
    }
  | { type: 'weights'; epoch: number; step: number; state: Record<string, Float32Array> }
  | { type: 'done'; seconds: number }
  | { type: 'error'; message: string };

const post = (m: TrainMessage) => (self as unknown as Worker).postMessage(m);

function subset(d: Digits, n: number): Digits {
  const k = Math.min(n, d.n);
  return { x: d.x.subarray(0, k * 784), y: d.y.subarray(0, k), n: k };
}

function accuracy(model: Model, d: Digits): number {
  let right = 0;
  for (let s = 0; s < d.n; s += 250) {
    const e = Math.min(d.n, s + 250);
    const p = noGrad(() =>
      scope(() => model.predict(fromTypedArray(d.x.subarray(s * 784, e * 784), [e - s, 1, 28, 28])).data()),
    );
    for (let i = 0; i < e - s; i++) {
      let k = 0;
      for (let c = 1; c < 10; c++) if (p[i * 10 + c] > p[i * 10 + k]) k = c;
      if (k === d.y[s + i]) right++;
    }
  }
  return right / d.n;
}

async function train(r: TrainRequest): Promise<void> {
  const t0 = performance.now();
  const [trainAll, heldAll] = await Promise.all([
    fetchDigits(new URL('train.bin', r.dataUrl).href),
    fetchDigits(new URL('heldout.bin', r.dataUrl).href),
  ]);
  const tr = subset(trainAll, r.examples);
  const held = subset(heldAll, r.heldout);
  const model = digitsCnn().build({ seed: r.seed });
  adaptInput(model, tr);
  post({ type: 'weights', epoch: 0, step: 0, state: getState(model) });
  post({ type: 'eval', epoch: 0, accuracy: accuracy(model, held) });
  const out = outputLayerOf(model.layers)!;
  const params = model.parameters();
  const opt = new Adam({ lr: r.lr });
  const gen = new Generator(r.seed);
  const order = Int32Array.from({ length: tr.n }, (_, i) => i);
  let step = 0;
  for (let epoch = 1; epoch <= r.epochs; epoch++) {
    const te = performance.now();
    gen.shuffle(order);
    let sum = 0;
    for (let s = 0; s < tr.n; s += r.batchSize) {
      const idx = order.subarray(s, Math.min(tr.n, s + r.batchSize));
      const xb = new Float32Array(idx.length * 784);
      const yb = new Int32Array(idx.length);
      idx.forEach((j, i) => {
        xb.set(tr.x.subarray(j * 784, (j + 1) * 784), i * 784);
        yb[i] = tr.y[j];
      });
      const loss = scope(() => {
        const x = fromTypedArray(xb, [idx.length, 1, 28, 28]);
        const y = fromTypedArray(yb, [idx.length]);
        const { value, grads } = valueAndGradOf(
          () => out.loss(model.forward(x, { training: true, generator: gen }), y),
          params.map((p) => p.value),
        );
        opt.step(params, grads);
        return value.item();
      });
      sum += loss * idx.length;
      step++;
      post({ type: 'batch', epoch, step, loss });
      if (step % r.weightsEvery === 0) post({ type: 'weights', epoch, step, state: getState(model) });
    }
    const seconds = (performance.now() - te) / 1000;
    post({ type: 'weights', epoch, step, state: getState(model) });
    post({
      type: 'epoch',
      epoch,
      loss: sum / tr.n,
      accuracy: accuracy(model, held),
      seconds,
      examplesPerSecond: tr.n / seconds,
    });
  }
  post({ type: 'done', seconds: (performance.now() - t0) / 1000 });
}

let started: Promise<void> | null = null;

self.onmessage = (e: MessageEvent<TrainRequest>) => {
  if (e.data?.type !== 'train') return;
  started ??= startBackend(e.data.threads).then(({ note }) => {
    const threads = backendName() === 'wasm' ? getThreads() : 1;
    post({
      type: 'ready',
      backend: backendName(),
      threads,
      isolated: self.crossOriginIsolated === true,
      engine: engineLabel(threads),
      note,
    });
  });
  started
    .then(() => train(e.data))
    .catch((err: unknown) =>
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
};
