import { fromTypedArray } from '../core/creation.js';
import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Model } from '../models/model.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { writeFileAtomic } from './atomic.js';
import { buildingFromFile } from '../layers/layer.js';
import {
  loadStateTensors,
  modelFromConfig,
  readBytes,
  savedDtype,
  stateTensors,
  fileParams,
} from './model.js';
import { parseJson } from './json.js';
import { decodeSafetensors, encodeSafetensors, type RawTensor } from './safetensors.js';

/**
 * A training checkpoint is one safetensors file, written atomically: the model's parameters and buffers
 * (`model/<name>`), the optimizer's state tensors (`optimizer/<param>/<slot>`), and in the metadata (key
 * `strata`, JSON) the architecture, class names, the optimizer's type, settings and step counts, and the
 * training state (epoch, seed — the random streams are derived from seed and epoch —, history, callback
 * state). Resuming from it continues exactly as the uninterrupted run would have.
 */
export const CHECKPOINT_FORMAT = 'strata-checkpoint';

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  model: Record<string, unknown>;
  classNames?: string[];
  optimizer?: { type: string; config: Record<string, number | boolean>; steps: Record<string, number> };
  /** Free-form JSON training state (the fit loop stores epoch, seed, history, callbacks here). */
  state: Record<string, unknown>;
}

export function saveCheckpoint(
  path: string,
  data: { model: Model; optimizer?: Optimizer; classNames?: string[]; state: Record<string, unknown> },
): void {
  const tensors: Record<string, RawTensor> = {};
  for (const [k, t] of Object.entries(stateTensors(data.model))) tensors[`model/${k}`] = t;
  let optimizer: CheckpointMeta['optimizer'];
  if (data.optimizer) {
    const s = data.optimizer.stateDict();
    optimizer = { type: s.type, config: s.config, steps: s.steps };
    for (const [k, t] of Object.entries(s.tensors))
      tensors[`optimizer/${k}`] = { dtype: t.dtype, shape: [...t.shape], data: t.data() };
  }
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    model: data.model.toConfig(),
    classNames: data.classNames,
    optimizer,
    state: data.state,
  };
  writeFileAtomic(path, encodeSafetensors(tensors, { strata: JSON.stringify(meta) }));
}

/** Reads and checks a checkpoint file: its tensors and its metadata. */
export function readCheckpoint(path: string): { tensors: Map<string, RawTensor>; meta: CheckpointMeta } {
  const { tensors, metadata } = decodeSafetensors(readBytes(path, 'checkpoint'), path);
  if (metadata.strata === undefined)
    throw new StrataError('checkpoint', `${path} is not a Strata checkpoint (no "strata" metadata)`);
  const meta = parseJson(metadata.strata, 'checkpoint', `${path}: the "strata" metadata`) as CheckpointMeta;
  if (!meta || typeof meta !== 'object' || meta.format !== CHECKPOINT_FORMAT)
    throw new StrataError('checkpoint', `${path} is not a Strata checkpoint`);
  for (const k of tensors.keys())
    if (!k.startsWith('model/') && !k.startsWith('optimizer/'))
      throw new StrataError('checkpoint', `${path} holds an unexpected tensor '${k}'`);
  return { tensors, meta };
}

function optimizerStateOf(tensors: Map<string, RawTensor>, meta: CheckpointMeta): OptimizerState | undefined {
  if (!meta.optimizer) return undefined;
  const opt: Record<string, Tensor> = {};
  for (const [k, t] of tensors)
    if (k.startsWith('optimizer/'))
      opt[k.slice('optimizer/'.length)] = fromTypedArray(t.data, t.shape, { dtype: t.dtype });
  return { ...meta.optimizer, tensors: opt };
}

/**
 * Puts a checkpoint's weights into an existing (built) model of the same architecture and its state into
 * an optimizer of the same type; returns the training state and class names.
 */
export function restoreCheckpoint(
  path: string,
  model: Model,
  optimizer?: Optimizer,
): { state: Record<string, unknown>; classNames?: string[] } {
  const { tensors, meta } = readCheckpoint(path);
  const modelTensors = new Map([...tensors].filter(([k]) => k.startsWith('model/')));
  loadStateTensors(model, modelTensors, path, 'model/');
  const os = optimizerStateOf(tensors, meta);
  if (optimizer && os) {
    if (os.type !== optimizer.type)
      throw new StrataError(
        'checkpoint',
        `${path} holds the state of a ${os.type} optimizer, this run uses ${optimizer.type}`,
      );
    optimizer.loadStateDict(model.parameters(), os);
  }
  return { state: meta.state ?? {}, classNames: meta.classNames };
}

/** Loads a checkpoint on its own: the model (rebuilt from its config), the optimizer state, the state. */
export function loadCheckpoint(path: string): {
  model: Model;
  optimizerState?: OptimizerState;
  classNames?: string[];
  state: Record<string, unknown>;
} {
  const { tensors, meta } = readCheckpoint(path);
  const model = buildingFromFile(path, fileParams(tensors, path, 'model/'), () =>
    modelFromConfig(meta.model, `checkpoint ${path}`).build({ dtype: savedDtype(tensors, 'model/') }),
  );
  const modelTensors = new Map([...tensors].filter(([k]) => k.startsWith('model/')));
  loadStateTensors(model, modelTensors, path, 'model/');
  return {
    model,
    optimizerState: optimizerStateOf(tensors, meta),
    classNames: meta.classNames,
    state: meta.state ?? {},
  };
}
