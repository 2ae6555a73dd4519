#!/usr/bin/env node
import { Command } from 'commander';
import { demo } from './demo.js';

const program = new Command();
program.name('strata').description('Strata: deep learning in TypeScript').version('0.1.0');

program
  .command('demo', { isDefault: true })
  .description('train a small network on synthetic data and print the loss per step')
  .option('--steps <n>', 'training steps', (v) => Number.parseInt(v, 10), 60)
  .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 0)
  .action((opts: { steps: number; seed: number }) => demo(opts));

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
