import { fromTypedArray } from '../core/creation.js';
import { scope } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { type Layer, Parameter } from '../layers/layer.js';
import type { Model } from '../models/model.js';
import { filterPicture, type PictureOptions, type TensorPicture, tensorPicture } from './tiles.js';

/**
 * What every layer of a network makes of one input: `model.activations` for a batch of one, each
 * layer's output drawn as tiles (see tiles.ts). Runs wherever the library runs (Node or a browser page).
 */

export interface LayerMaps {
  name: string;
  type: string;
  /** Output shape without the batch axis. */
  shape: number[];
  values: Float32Array;
  picture: TensorPicture;
}

export interface FeatureMaps {
  input: TensorPicture;
  layers: LayerMaps[];
  /** The network's output for the input (probabilities when it ends in a softmax/classification layer). */
  output: Float32Array;
}

/** A batch of one from an example without batch axis (a tensor or values plus shape). */
export function batchOfOne(x: Tensor | Float32Array, shape?: readonly number[]): Tensor {
  if (x instanceof Float32Array) {
    if (!shape) throw new StrataError('featureMaps', 'an input given as values needs its shape');
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== x.length)
      throw new StrataError('featureMaps', `input has ${x.length} values, shape [${shape}] needs ${n}`);
    return fromTypedArray(x, [1, ...shape]);
  }
  return x;
}

function f32(t: Tensor): Float32Array {
  const d = t.data();
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

/**
 * Every layer's output for one input (a batch of one: [1, ...inputShape], or the example itself with
 * `shape`), in execution order, as pictures. `layerNames` picks layers.
 */
export function featureMaps(
  model: Model,
  input: Tensor | Float32Array,
  opts: PictureOptions & { layerNames?: readonly string[]; shape?: readonly number[] } = {},
): FeatureMaps {
  const shape = opts.shape ?? model.inputShapes[0];
  // In a scope: the activations are copied out and freed (the page calls this on every stroke).
  const { acts, output, xv, xshape } = scope(() => {
    const x = batchOfOne(input, shape);
    if (x.shape[0] !== 1) throw new StrataError('featureMaps', `expects a batch of one, got [${x.shape}]`);
    const a = model.activations(x, opts.layerNames);
    const last = model.layers[model.layers.length - 1];
    const acts: [string, Float32Array, number[]][] = [...a].map(([n, t]) => [n, f32(t), t.shape.slice(1)]);
    const output = a.get(last.name) ? f32(a.get(last.name)!) : f32(model.predict(x));
    return { acts, output, xv: f32(x), xshape: x.shape.slice(1) };
  });
  const byName = new Map(model.layers.map((l) => [l.name, l] as [string, Layer]));
  const layers: LayerMaps[] = acts.map(([name, values, s]) => ({
    name,
    type: byName.get(name)?.type ?? '?',
    shape: s,
    values,
    picture: tensorPicture(values, s, opts),
  }));
  return {
    input: tensorPicture(xv, xshape, { colorMap: 'gray', scaling: 'layer' }),
    layers,
    output,
  };
}

export interface FilterPictures {
  layer: string;
  type: string;
  /** The weight's shape [F, C/groups, ...K]. */
  shape: number[];
  picture: TensorPicture;
}

/** The learned filters of every convolution layer (any layer with a weight of rank ≥ 3). */
export function convFilters(
  model: Model,
  opts: { maxTiles?: number; maxChannels?: number } = {},
): FilterPictures[] {
  const out: FilterPictures[] = [];
  for (const l of model.layers) {
    if (!/conv/i.test(l.type)) continue;
    const w = l.params.get('weight');
    if (!(w instanceof Parameter) || w.shape.length < 3) continue;
    out.push({
      layer: l.name,
      type: l.type,
      shape: [...w.shape],
      picture: filterPicture(f32(w.value), w.shape, opts),
    });
  }
  return out;
}

/** The index of the largest value. */
export function argmaxOf(v: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[k]) k = i;
  return k;
}
