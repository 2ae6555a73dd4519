import cliProgress from 'cli-progress';
import type { BatchLogs, Callback, EpochLogs, TrainContext } from './callbacks.js';

export interface ProgressOptions {
  /** Where to write (default process.stdout). */
  stream?: NodeJS.WritableStream;
  /** Seconds between plain lines when the stream is not a terminal (default 5). */
  plainInterval?: number;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** One line summing up an epoch: losses, accuracies, time, speed. */
export function epochLine(logs: EpochLogs, epochs: number): string {
  const parts = [
    `epoch ${String(logs.epoch).padStart(String(epochs).length)}/${epochs}`,
    `loss ${logs.loss.toFixed(4)}`,
    `acc ${pct(logs.accuracy)}`,
  ];
  if (logs.valLoss !== undefined) parts.push(`val_loss ${logs.valLoss.toFixed(4)}`);
  if (logs.valAccuracy !== undefined) parts.push(`val_acc ${pct(logs.valAccuracy)}`);
  parts.push(
    `lr ${logs.lr.toPrecision(3)}`,
    `${logs.seconds.toFixed(1)} s`,
    `${Math.round(logs.imagesPerSecond)} img/s`,
  );
  return parts.join('  ');
}

/**
 * A progress bar per epoch (cli-progress) with the running loss, accuracy, images per second and time
 * left; when the stream is not a terminal, plain lines every few seconds instead (noTTYOutput), and one
 * summary line per epoch in both cases.
 */
export class ProgressBar implements Callback {
  readonly name = 'ProgressBar';
  private bar: cliProgress.SingleBar | null = null;
  private seen = 0;
  private lossSum = 0;
  private correct = 0;
  private start = 0;
  private readonly stream: NodeJS.WritableStream;
  private readonly interval: number;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stdout;
    this.interval = opts.plainInterval ?? 5;
  }

  onEpochBegin(ctx: TrainContext): void {
    this.seen = 0;
    this.lossSum = 0;
    this.correct = 0;
    this.start = performance.now();
    const w = String(ctx.epochs).length;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${String(ctx.epoch + 1).padStart(w)}/${ctx.epochs} [{bar}] {percentage}% | loss {loss} | acc {acc} | {speed} img/s | ETA {eta_formatted}`,
        stream: this.stream,
        noTTYOutput: true,
        notTTYSchedule: this.interval * 1000,
        barsize: 24,
        hideCursor: false,
        etaBuffer: 20,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(ctx.trainSize, 0, { loss: '-', acc: '-', speed: '-' });
  }

  onBatchEnd(_ctx: TrainContext, logs: BatchLogs): void {
    this.seen += logs.size;
    this.lossSum += logs.loss * logs.size;
    this.correct += logs.correct;
    const secs = (performance.now() - this.start) / 1000;
    this.bar?.update(this.seen, {
      loss: (this.lossSum / this.seen).toFixed(4),
      acc: pct(this.correct / this.seen),
      speed: Math.round(this.seen / Math.max(secs, 1e-9)),
    });
  }

  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    this.bar?.stop();
    this.bar = null;
    this.stream.write(`${epochLine(logs, ctx.epochs)}\n`);
  }

  onTrainEnd(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
