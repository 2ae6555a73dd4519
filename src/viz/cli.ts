import type { Command } from 'commander';
import { explainCommand, LAYERS } from '../explain/run.js';
import { visualize } from './visualize.js';

/** Runs an async command body; errors print as `strata: message` with exit code 1 (works under parse and parseAsync). */
function guarded<A extends unknown[]>(f: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await f(...a);
    } catch (e) {
      process.stderr.write(`strata: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  };
}

/** Adds `strata visualize` and `strata explain` to the command-line program. */
export function addVizCommands(program: Command): void {
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
    .action(
      guarded(async (model: string, image: string, o: { out: string; invert: boolean; json: boolean }) => {
        const r = await visualize(model, image, { out: o.out, invert: o.invert });
        if (o.json) {
          console.log(JSON.stringify(r));
          return;
        }
        console.log(
          `prediction: ${r.className} (${(100 * r.probabilities[r.predicted]).toFixed(2)} %)${r.label !== undefined ? `, true class ${r.label}` : ''}`,
        );
        for (const f of r.files) console.log(`wrote ${f}`);
      }),
    );

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
      guarded(
        async (
          layer: string | undefined,
          o: { all: boolean; json: boolean; out: string; seed: number; small: boolean },
        ) => {
          await explainCommand(layer, o);
        },
      ),
    );
}
