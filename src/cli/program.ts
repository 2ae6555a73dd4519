import { Command, CommanderError, Option } from 'commander';
import { getThreads, setThreads } from '../backends/wasm/index.js';
import '../index.js';
import { getBackend, setBackend } from '../core/backend.js';
import { StrataError } from '../core/errors.js';
import { optimizerNames } from '../optim/index.js';
import {
  evaluateCmd,
  type Io,
  predictCmd,
  processIo,
  summaryCmd,
  type TrainOptions,
  train,
  trainAsync,
} from './commands.js';
import { demo } from './demo.js';
import { addVizCommands } from '../viz/cli.js';
import { addOnnxCommands } from '../io/onnx/cli.js';

/** Picks the backend and thread count; returns what is in use (for the log and model.json). */
function setup(o: { backend?: string; threads?: string }): { backend: string; threads: number } {
  if (o.backend) setBackend(o.backend);
  const b = getBackend().name;
  if (b !== 'wasm') return { backend: b, threads: 1 };
  if (o.threads !== undefined) {
    const n = Number(o.threads);
    if (!Number.isInteger(n) || n < 1)
      throw new StrataError('--threads', `must be a positive integer, got '${o.threads}'`);
    setThreads(n);
  }
  return { backend: b, threads: getThreads() };
}

const backendOpt = () => new Option('--backend <name>', 'compute backend (wasm or reference; default wasm)');
const threadsOpt = () =>
  new Option('--threads <n>', 'threads of the wasm backend (default: STRATA_THREADS or all cores)');

/** The `strata` command. `train` is the default, so `npm start` runs the main job. */
/**
 * How the program runs: `interactive` (the real command, main.ts) trains with the event loop running,
 * so Ctrl-C (SIGINT) or SIGTERM ends training after the current batch with a checkpoint; `exitCode` is
 * what the run asks to exit with (130 after an interruption).
 */
export interface RunState {
  interactive: boolean;
  exitCode: number;
}

export function makeProgram(
  io: Io = processIo,
  run: RunState = { interactive: false, exitCode: 0 },
): Command {
  const program = new Command();
  program
    .name('strata')
    .description(
      'Strata: deep learning in TypeScript. Without a command, trains the digit CNN on the bundled MNIST digits.',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  program
    .command('train', { isDefault: true })
    .description(
      'train a model and save it (default: digits-cnn on the bundled mnist digits, 8,000 / 2,000 split)',
    )
    .option('--model <name|file>', 'built-in model (digits-cnn, lenet) or a JSON model config', 'digits-cnn')
    .option(
      '--idx <files...>',
      'train on IDX files: <images> <labels> (raw or .gz), e.g. MNIST or Fashion-MNIST',
    )
    .option('--images <folder>', 'train on an image folder: one sub-folder of PNG/JPEG images per class')
    .option(
      '--test-idx <files...>',
      'a separate IDX test set: <images> <labels> (instead of a held-out split)',
    )
    .option('--test-split <n>', 'held-out examples: a count or a fraction (default 2000 for mnist, else 0.2)')
    .option('--epochs <n>', 'epochs', '12')
    .option('--batch-size <n>', 'batch size', '64')
    .addOption(new Option('--optimizer <name>', 'optimizer').choices([...optimizerNames]).default('adam'))
    .option('--lr <x>', 'learning rate (the peak of the one-cycle schedule)', '0.002')
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule, stepped per batch')
        .choices(['onecycle', 'cosine', 'constant'])
        .default('onecycle'),
    )
    .option('--shift <px>', 'augmentation: random shifts of up to this many pixels (0: none)', '2')
    .option('--seed <n>', 'seed of the split, initialization, shuffling, augmentation and dropout', '0')
    .option('--limit <n>', 'train on only n examples (stratified), for a quick try')
    .option('--out <dir>', 'output folder for model.json and model.safetensors', 'strata-out')
    .option('--checkpoints', 'save checkpoints (last and best) into <out>/checkpoints every epoch')
    .option('--resume <checkpoint>', 'continue training from a checkpoint file (same seed and batch size)')
    .addOption(
      new Option(
        '--on-non-finite <what>',
        'a batch whose loss or gradient is NaN/Infinity: stop with an error naming the step, or skip it',
      )
        .choices(['stop', 'skip'])
        .default('stop'),
    )
    .option(
      '--check-numerics',
      'name the first op and layer (forward or backward) that makes a NaN/Infinity (slow; also STRATA_CHECK_NUMERICS=1)',
    )
    .option('--no-progress', 'no progress bar')
    .option('--no-report', 'do not write <out>/report.html (feature maps, curves, confusion matrix)')
    .option(
      '--json',
      'end with one JSON line {"testAccuracy","epochs","seconds"} on stdout (the rest on stderr)',
    )
    .addOption(backendOpt())
    .addOption(threadsOpt())
    .action((o: TrainOptions & { seed: string; backend?: string; threads?: string }) => {
      const info = setup(o);
      const seed = Number(o.seed);
      if (!Number.isInteger(seed) || seed < 0)
        throw new StrataError('--seed', `must be an integer >= 0, got '${o.seed}'`);
      if (!run.interactive) return train({ ...o, seed }, info, io);
      return trainInteractive({ ...o, seed }, info, io, run);
    });

  program
    .command('evaluate <model>')
    .description(
      'accuracy, confusion matrix and per-class scores of a saved model (default data: its held-out split)',
    )
    .option('--idx <files...>', 'evaluate on IDX files: <images> <labels>')
    .option('--images <folder>', 'evaluate on an image folder')
    .option('--batch-size <n>', 'batch size', '256')
    .option('--json', 'print the results as JSON')
    .addOption(backendOpt())
    .addOption(threadsOpt())
    .action((model: string, o) => {
      setup(o);
      evaluateCmd(model, o, io);
    });

  program
    .command('predict <model> <images...>')
    .description(
      'class and probabilities for PNG/JPEG images of the model input size (values scaled to [0, 1])',
    )
    .option('--top <k>', 'how many of the most likely classes to show', '3')
    .option('--json', 'print the results as JSON')
    .addOption(backendOpt())
    .addOption(threadsOpt())
    .action((model: string, images: string[], o) => {
      setup(o);
      predictCmd(model, images, o, io);
    });

  program
    .command('summary <model>')
    .description(
      'layers, output shapes, parameters and FLOPs of a built-in model, a JSON config or a saved model',
    )
    .action((model: string) => summaryCmd(model, io));

  program
    .command('demo')
    .description('train a small network on synthetic data and print the loss per step')
    .option('--steps <n>', 'training steps', (v) => Number.parseInt(v, 10), 60)
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 0)
    .action((opts: { steps: number; seed: number }) => demo(opts));

  for (const c of program.commands)
    c.exitOverride().configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  addVizCommands(program, io);
  addOnnxCommands(program, io);
  return program;
}

/**
 * Ctrl-C during training: the first SIGINT (or SIGTERM) ends training after the current batch and writes
 * a checkpoint; a second one exits at once (every file Strata writes is written atomically, so nothing
 * half-written is left in place either way).
 */
async function trainInteractive(
  o: TrainOptions & { seed: number },
  info: { backend: string; threads: number },
  io: Io,
  run: RunState,
): Promise<void> {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(130);
    io.stderr.write(
      `\nstrata: ${sig}: finishing the current batch and saving a checkpoint (again to quit at once)\n`,
    );
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await trainAsync(o, info, io, ac.signal);
    if (r.interrupted) run.exitCode = 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The command line as the `strata` executable runs it: like runCli, with training interruptible
 * (see trainInteractive). Resolves to the exit code.
 */
export async function runCliAsync(argv: string[], io: Io = processIo): Promise<number> {
  const run: RunState = { interactive: true, exitCode: 0 };
  try {
    await makeProgram(io, run).parseAsync(argv, { from: 'user' });
    return run.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.stderr.write(`strata: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** Runs the command line `argv` (without node and the script) and returns the exit code; errors go to stderr. */
export function runCli(argv: string[], io: Io = processIo): number {
  try {
    makeProgram(io).parse(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.stderr.write(`strata: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
