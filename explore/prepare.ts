/**
 * Writes the explorer's data files into build/explore-public (vite's public folder for the page):
 *   data/heldout.bin  the 2,000 digits the main job holds out (stratified split, seed 0): never trained on
 *   data/train.bin    3,000 digits of the main job's training part (stratified, seed 0), for training in the page
 * both in a seeded random order, so that any prefix mixes the classes.
 *   model-default/    the shipped default weights (explore/default-model), used when strata-out/ has no model
 * Each .bin is [u32 count][count×784 grey levels 0–255][count labels].
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Dataset,
  Generator,
  loadMnistPackage,
  permutation,
  stratifiedSplit,
  subset,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function bin(d: Dataset): Uint8Array {
  const n = d.y.length;
  const b = new Uint8Array(4 + n * 785);
  new DataView(b.buffer).setUint32(0, n, true);
  for (let i = 0; i < n * 784; i++) b[4 + i] = Math.round(d.x[i] * 255);
  b.set(Uint8Array.from(d.y), 4 + n * 784);
  return b;
}

/** Writes the data files (and the default model) into `out`; returns what it wrote. */
export function prepareExplore(
  out = process.env.STRATA_EXPLORE_PUBLIC ?? join(here, '..', 'build', 'explore-public'),
): string {
  const all = loadMnistPackage();
  const split = stratifiedSplit(all, 2000, 0);
  // Shuffled (seeded): the bundled digits are ordered by class, and the page uses prefixes of these files.
  const test = subset(split.test, permutation(split.test.y.length, new Generator(1)));
  const chosen = stratifiedSplit(split.train, 3000, 0).test;
  const small = subset(chosen, permutation(chosen.y.length, new Generator(2)));
  mkdirSync(join(out, 'data'), { recursive: true });
  writeFileSync(join(out, 'data', 'heldout.bin'), bin(test));
  writeFileSync(join(out, 'data', 'train.bin'), bin(small));
  const model = join(here, 'default-model');
  if (existsSync(join(model, 'model.json'))) {
    mkdirSync(join(out, 'model-default'), { recursive: true });
    for (const f of ['model.json', 'model.safetensors'])
      copyFileSync(join(model, f), join(out, 'model-default', f));
  }
  return `explorer data: ${test.y.length} held-out and ${small.y.length} training digits in ${out}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  console.log(prepareExplore());
