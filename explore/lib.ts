/**
 * The part of Strata the explorer page and its training worker use: everything that runs in a browser
 * (no file system, no native modules). src/index.ts also pulls in Node-only pieces (file loaders,
 * resvg), so the page imports the modules themselves.
 */
import '../src/backends/reference/index.js';
import '../src/backends/wasm/index.js';
import '../src/ops/methods.js';
import '../src/layers/index.js';

import { initWasm } from '../src/backends/wasm/index.js';
import { getBackend, setBackend } from '../src/core/backend.js';
import { fromTypedArray } from '../src/core/creation.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { Input } from '../src/layers/core.js';
import type { Model } from '../src/models/model.js';
import { Sequential } from '../src/models/sequential.js';
import { Graph } from '../src/models/graph.js';

export { valueAndGradOf } from '../src/autograd/grad.js';
export { getThreads, initWasm } from '../src/backends/wasm/index.js';
export { getBackend, setBackend } from '../src/core/backend.js';
export { fromTypedArray } from '../src/core/creation.js';
export { noGrad, scope } from '../src/core/engine.js';
export { Generator } from '../src/core/random.js';
export { outputLayerOf } from '../src/layers/output.js';
export type { Model } from '../src/models/model.js';
export { Adam } from '../src/optim/adam.js';
export { digitsCnn } from '../src/train/zoo.js';
export { argmaxOf, featureMaps, type LayerMaps } from '../src/viz/featuremaps.js';
export type { Raster } from '../src/viz/tiles.js';

/**
 * Picks the wasm backend and falls back to the reference one. SIMD kernels; threads (default
 * navigator.hardwareConcurrency, at most 8; `threads` overrides) only in a worker of a cross-origin
 * isolated page, else one thread. Resolves once the pool's workers are up.
 */
export async function startBackend(threads?: number): Promise<{ backend: string; note: string }> {
  try {
    await initWasm(threads === undefined ? {} : { threads });
    setBackend('wasm');
    fromTypedArray(new Float32Array([1, 2]), [2]).data();
    return { backend: 'wasm', note: '' };
  } catch (e) {
    setBackend('reference');
    return {
      backend: 'reference',
      note: `wasm unavailable (${(e as Error).message}); using the reference backend`,
    };
  }
}

export function backendName(): string {
  return getBackend().name;
}

/** "wasm SIMD, 2 threads", "wasm SIMD, 1 thread", "reference, 1 thread". */
export function engineLabel(threads: number): string {
  const b = backendName();
  return `${b === 'wasm' ? 'wasm SIMD' : b}, ${threads} thread${threads === 1 ? '' : 's'}`;
}

/** Digits as the page's data files hold them: [u32 count][count×784 grey bytes][count labels]. */
export interface Digits {
  x: Float32Array;
  y: Uint8Array;
  n: number;
}

export function parseDigits(buf: ArrayBuffer): Digits {
  const n = new DataView(buf).getUint32(0, true);
  const px = new Uint8Array(buf, 4, n * 784);
  const y = new Uint8Array(buf, 4 + n * 784, n);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = px[i] / 255;
  return { x, y: y.slice(), n };
}

export async function fetchDigits(url: string): Promise<Digits> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return parseDigits(await r.arrayBuffer());
}

/** A model from a model.json + safetensors pair (the format `strata train` saves). */
export function modelFromFiles(file: { model: Record<string, unknown> }, weights: Uint8Array): Model {
  const cfg = file.model;
  const model = cfg.type === 'Graph' ? Graph.fromConfig(cfg) : Sequential.fromConfig(cfg);
  model.build();
  const { tensors } = decodeSafetensors(weights, 'model.safetensors');
  setState(model, Object.fromEntries([...tensors].map(([k, t]) => [k, t.data as Float32Array])));
  return model;
}

/** Every parameter and buffer by name, copied out (to post to another thread). */
export function getState(model: Model): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, p] of model.namedState()) out[name] = Float32Array.from(p.value.data() as Float32Array);
  return out;
}

/** Assigns values by name (shapes must match the model's). */
export function setState(model: Model, state: Record<string, Float32Array>): void {
  for (const [name, p] of model.namedState()) {
    const v = state[name];
    if (!v) throw new Error(`no value for ${name}`);
    if (v.length !== p.value.size)
      throw new Error(`${name}: ${v.length} values for shape [${p.value.shape}]`);
    p.assign(fromTypedArray(v, p.value.shape, { backend: p.value.backend }));
  }
}

/** Sets the z-score statistics of the model's input layer from training digits. */
export function adaptInput(model: Model, d: Digits): void {
  for (const l of model.layers)
    if (l instanceof Input && l.normalization !== 'none') l.adapt(fromTypedArray(d.x, [d.n, 1, 28, 28]));
}
