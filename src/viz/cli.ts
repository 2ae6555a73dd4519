import type { Command } from 'commander';
import { explainCommand, LAYERS } from '../explain/run.js';
import { visualize } from './visualize.js';

/** Where the commands write (the CLI's io: process streams, or test sinks). */
export interface VizIo {
  stdout: { write(s: string): unknown };
}

const processOut: VizIo = { stdout: process.stdout };

/** Adds `strata visualize` and `strata explain` to the command-line program (both run synchronously). */
export function addVizCommands(program: Command, io: VizIo = processOut): void {
  const print = (s: string) => io.stdout.write(`${s}\n`);
  program
    .command('visualize')
    .description(
      'draw what a saved model does with one input: feature maps of every layer, filters, probabilities, curves, confusion matrix',
    )
    .argument('<model>', 'model.json or its folder (for example strata-out)')
    .argument('<image>', 'a PNG/JPEG file of the model’s input size, or mnist:<index> for a bundled digit')
    .option('--out <dir>', 'folder for the pictures', 'strata-out/visualize')
    .option('--invert', 'use 1 − value (dark digit on a light background)', false)
    .option('--json', 'print the prediction and the files as JSON', false)
    .action((model: string, image: string, o: { out: string; invert: boolean; json: boolean }) => {
      const r = visualize(model, image, { out: o.out, invert: o.invert });
      if (o.json) {
        print(JSON.stringify(r));
        return;
      }
      print(
        `prediction: ${r.className} (${(100 * r.probabilities[r.predicted]).toFixed(2)} %)${r.label !== undefined ? `, true class ${r.label}` : ''}`,
      );
      for (const f of r.files) print(`wrote ${f}`);
    });

  program
    .command('explain')
    .description(`measure what a layer does with small seeded experiments (${LAYERS.join(', ')})`)
    .argument('[layer]', `one of ${LAYERS.join(', ')} (aliases: conv, pool, relu, bn, unpool …)`)
    .option('--all', 'run every experiment and write one HTML page', false)
    .option('--json', 'print the measured numbers as JSON', false)
    .option('--out <dir>', 'folder for the plots (and index.html with --all)', 'strata-out/explain')
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 0)
    .option('--small', 'reduced sizes (quick check)', false)
    .action(
      (
        layer: string | undefined,
        o: { all: boolean; json: boolean; out: string; seed: number; small: boolean },
      ) => {
        explainCommand(layer, { ...o, print });
      },
    );
}
