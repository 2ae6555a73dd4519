import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fromTypedArray } from '../core/creation.js';
import type { DType } from '../core/dtype.js';
import { StrataError } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import { buildingFromFile } from '../layers/layer.js';
import { Graph } from '../models/graph.js';
import type { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { faultPoint, writeFileAtomic } from './atomic.js';
import { brief, parseJson } from './json.js';
import { decodeSafetensors, encodeSafetensors, type RawTensor } from './safetensors.js';

/**
 * Saving a model: `model.json` (the architecture from `model.toConfig()`, the class names, free-form
 * metadata, the weights file's name and SHA-256) and `model.safetensors` (every parameter and buffer by its
 * full name — input-normalization statistics and batch-norm running statistics are buffers, so they are
 * saved with the weights). Both files are written atomically, weights first. Loading only parses JSON
 * and safetensors: layers are constructed from registered classes, nothing is evaluated.
 */
export const MODEL_FORMAT = 'strata-model';
export const MODEL_VERSION = 1;
/** The previous weights, kept while a save is between its two files (see saveModel). */
const PREV_WEIGHTS = '.model.safetensors.prev';

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: number;
  model: Record<string, unknown>;
  classNames?: string[];
  weights: string;
  weightsSha256: string;
  metadata?: Record<string, unknown>;
}

const isShape = (v: unknown) =>
  Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && (d as number) >= 1);
const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The form of a model config read from a file, checked before any layer is made: the layer list, each
 * entry's type, name and config, input shapes of positive integers, graph connections as names.
 */
function checkModelConfig(cfg: Record<string, unknown>, where: string): void {
  const bad = (msg: string): never => {
    throw new StrataError(where, msg);
  };
  if (cfg.name !== undefined && typeof cfg.name !== 'string') bad('the model name must be a string');
  if (!Array.isArray(cfg.layers)) bad(`the ${String(cfg.type)} config needs a \`layers\` list`);
  (cfg.layers as unknown[]).forEach((l, i) => {
    if (!isObject(l)) bad(`layer entry ${i} must be an object, got ${brief(l)}`);
    const e = l as Record<string, unknown>;
    if (typeof e.type !== 'string') bad(`layer entry ${i} has no string \`type\``);
    if (e.name !== undefined && typeof e.name !== 'string')
      bad(`layer entry ${i}: the name must be a string, got ${brief(e.name)}`);
    if (e.config !== undefined && !isObject(e.config))
      bad(`layer entry ${i} ('${e.name}'): config must be an object, got ${brief(e.config)}`);
    if (cfg.type === 'Graph' && !(Array.isArray(e.inputs) && e.inputs.every((x) => typeof x === 'string')))
      bad(`graph layer entry ${i} ('${e.name}') needs an \`inputs\` list of names, got ${brief(e.inputs)}`);
  });
  if (cfg.type === 'Sequential' && cfg.inputShape !== undefined && !isShape(cfg.inputShape))
    bad(`inputShape must be a list of positive integers, got ${brief(cfg.inputShape)}`);
  if (cfg.type === 'Graph') {
    if (!isObject(cfg.inputs))
      bad(`the Graph config needs \`inputs\` (name → shape), got ${brief(cfg.inputs)}`);
    for (const [k, v] of Object.entries(cfg.inputs as Record<string, unknown>))
      if (!isShape(v)) bad(`input '${k}': the shape must be a list of positive integers, got ${brief(v)}`);
    if (cfg.output !== undefined && typeof cfg.output !== 'string') bad('output must be a layer name');
  }
}

/** Rebuilds a (not yet built) network from `model.toConfig()` output. */
export function modelFromConfig(c: unknown, where = 'load'): Model {
  if (!c || typeof c !== 'object' || Array.isArray(c))
    throw new StrataError(where, 'the model config must be an object');
  const cfg = c as Record<string, unknown>;
  checkModelConfig(cfg, where);
  if (cfg.type === 'Sequential') return Sequential.fromConfig(cfg);
  if (cfg.type === 'Graph') return Graph.fromConfig(cfg);
  throw new StrataError(where, `unknown model type '${String(cfg.type)}'; expected 'Sequential' or 'Graph'`);
}

/**
 * The check `buildingFromFile` runs on each parameter of a model built from a file, before creating
 * it: the file must hold a tensor of that name, shape and dtype.
 */
export function fileParams(tensors: Map<string, RawTensor>, file: string, prefix = '') {
  return (param: string, shape: readonly number[], dtype: DType): void => {
    const t = tensors.get(prefix + param);
    if (!t)
      throw new StrataError('load', `${file} has no tensor '${prefix + param}' for the model's parameter`);
    if (!shapesEqual(t.shape, shape as number[]) || t.dtype !== dtype)
      throw new StrataError(
        'load',
        `${file}: tensor '${prefix + param}' is ${t.dtype} [${t.shape}], the model expects ${dtype} [${shape.join(',')}]`,
      );
  };
}

/** Every parameter and buffer of a model as raw tensors by full name. */
export function stateTensors(model: Model): Record<string, RawTensor> {
  const out: Record<string, RawTensor> = {};
  for (const [name, p] of model.namedState())
    out[name] = { dtype: p.value.dtype, shape: [...p.value.shape], data: p.value.data() };
  return out;
}

/** The dtype of the saved parameters (to build the model with), float32 when there are none. */
export function savedDtype(tensors: Map<string, RawTensor>, prefix = ''): DType {
  for (const [k, t] of tensors) if (k.startsWith(prefix) && t.dtype !== 'int32') return t.dtype;
  return 'float32';
}

/**
 * Assigns saved tensors (names prefixed by `prefix`) to a built model's parameters and buffers; every
 * one must be present with the same shape and dtype, and no extra tensor may be left over.
 */
export function loadStateTensors(
  model: Model,
  tensors: Map<string, RawTensor>,
  file: string,
  prefix = '',
): void {
  const state = model.namedState();
  for (const [name, p] of state) {
    const t = tensors.get(prefix + name);
    if (!t)
      throw new StrataError('load', `${file} has no tensor '${prefix + name}' for the model's parameter`);
    if (!shapesEqual(t.shape, p.value.shape) || t.dtype !== p.value.dtype)
      throw new StrataError(
        'load',
        `${file}: tensor '${prefix + name}' is ${t.dtype} [${t.shape}], the model expects ${p.value.dtype} [${p.value.shape}]`,
      );
  }
  for (const k of tensors.keys())
    if (k.startsWith(prefix) && !state.has(k.slice(prefix.length)))
      throw new StrataError('load', `${file} holds tensor '${k}', which the model has no parameter for`);
  for (const [name, p] of state) {
    const t = tensors.get(prefix + name)!;
    p.assign(fromTypedArray(t.data, t.shape, { dtype: t.dtype, backend: p.value.backend }));
  }
}

export function readBytes(path: string, where: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError(
      where,
      code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(e as Error).message}`,
    );
  }
}

/** Saves `model` into folder `dir` as model.json + model.safetensors; returns the two paths. */
export function saveModel(
  model: Model,
  dir: string,
  info: { classNames?: string[]; metadata?: Record<string, unknown> } = {},
): { config: string; weights: string } {
  const bytes = encodeSafetensors(stateTensors(model), { format: MODEL_FORMAT });
  const weights = join(dir, 'model.safetensors');
  const config = join(dir, 'model.json');
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    model: model.toConfig(),
    classNames: info.classNames,
    weights: 'model.safetensors',
    weightsSha256: createHash('sha256').update(bytes).digest('hex'),
    metadata: info.metadata,
  };
  // Until the new model.json is in place, the weights the old one names stay reachable under a
  // hidden name (a hard link, no copy): a crash between the two renames leaves the old model loadable.
  const prev = join(dir, PREV_WEIGHTS);
  rmSync(prev, { force: true });
  try {
    linkSync(weights, prev);
  } catch {
    if (existsSync(weights)) copyFileSync(weights, prev);
  }
  writeFileAtomic(weights, bytes);
  faultPoint('save-model-between-files');
  writeFileAtomic(config, `${JSON.stringify(file, null, 2)}\n`);
  rmSync(prev, { force: true });
  return { config, weights };
}

/** Parses and checks a model.json; `path` may be the file or its folder. */
export function readModelFile(path: string): { file: ModelFile; configPath: string } {
  let configPath = path;
  try {
    if (statSync(path).isDirectory()) configPath = join(path, 'model.json');
  } catch {
    throw new StrataError('load', `no such file or folder: ${path}`);
  }
  const text = new TextDecoder().decode(readBytes(configPath, 'load'));
  const file = parseJson(text, 'load', configPath) as ModelFile;
  if (!file || typeof file !== 'object' || file.format !== MODEL_FORMAT)
    throw new StrataError(
      'load',
      `${configPath} is not a Strata model file (no "format": "${MODEL_FORMAT}")`,
    );
  if (file.version !== MODEL_VERSION)
    throw new StrataError(
      'load',
      `${configPath} has format version ${file.version}; this Strata reads ${MODEL_VERSION}`,
    );
  if (
    typeof file.weights !== 'string' ||
    file.weights !== basename(file.weights) ||
    file.weights.startsWith('.')
  )
    throw new StrataError(
      'load',
      `${configPath}: "weights" must be a file name in the same folder, got ${brief(file.weights)}`,
    );
  if (
    file.classNames !== undefined &&
    !(Array.isArray(file.classNames) && file.classNames.every((c) => typeof c === 'string'))
  )
    throw new StrataError('load', `${configPath}: "classNames" must be a list of strings`);
  return { file, configPath };
}

/** Loads a model saved by `saveModel` (path: model.json or its folder), built and with its weights. */
export function loadModel(path: string): {
  model: Model;
  classNames?: string[];
  metadata?: Record<string, unknown>;
} {
  const { file, configPath } = readModelFile(path);
  let weightsPath = join(dirname(configPath), file.weights);
  let bytes = readBytes(weightsPath, 'load');
  let { tensors } = decodeSafetensors(bytes, weightsPath);
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  if (typeof file.weightsSha256 === 'string' && sha(bytes) !== file.weightsSha256) {
    // A save that stopped between its two files: model.json is the old one, and so are these weights.
    const prevPath = join(dirname(configPath), PREV_WEIGHTS);
    const prev =
      file.weights === 'model.safetensors' && existsSync(prevPath) ? readBytes(prevPath, 'load') : null;
    if (!prev || sha(prev) !== file.weightsSha256)
      throw new StrataError(
        'load',
        `${weightsPath} does not match ${configPath} (SHA-256 differs): the files come from different saves`,
      );
    weightsPath = prevPath;
    bytes = prev;
    tensors = decodeSafetensors(bytes, weightsPath).tensors;
  }
  const model = buildingFromFile(configPath, fileParams(tensors, weightsPath), () =>
    modelFromConfig(file.model, `load ${configPath}`).build({ dtype: savedDtype(tensors) }),
  );
  loadStateTensors(model, tensors, weightsPath);
  return { model, classNames: file.classNames, metadata: file.metadata };
}
