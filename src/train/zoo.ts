import { StrataError } from '../core/errors.js';
import { ReLU } from '../layers/activation.js';
import { BatchNormalization } from '../layers/normalization.js';
import { Conv2D } from '../layers/conv.js';
import { Dense, ImageInput } from '../layers/core.js';
import { Dropout } from '../layers/dropout.js';
import type { Initializer } from '../layers/init.js';
import { ClassificationOutput } from '../layers/output.js';
import { MaxPool2D } from '../layers/pool.js';
import { Sequential } from '../models/sequential.js';

export interface ZooOptions {
  /** Example shape [C,H,W] (default [1,28,28]). */
  inputShape?: number[];
  /** Default 10. */
  numClasses?: number;
  /** Class names for the output layer (their count must be numClasses). */
  classNames?: string[];
}

/**
 * The main job's network, in the article's order: image input with z-score normalization →
 * convolution 3×3 (16) → batch normalization → ReLU → max pooling 2×2 → convolution 3×3 (32) → batch
 * normalization → ReLU → max pooling 2×2 → dropout 0.25 → fully connected 64 → ReLU → dropout 0.5 →
 * fully connected (classes) → softmax classification output. Convolutions have no bias (the batch
 * normalization right after has one). About 106k parameters for 28×28 digits.
 *
 * Weights start as PyTorch's defaults, uniform in ±1/√fanIn, rather than the layers' He default (√6 times
 * wider): with batch normalization the effective step shrinks as weights grow, and on these digits the
 * wider start cost about two epochs of the 12 (measured in both Strata and PyTorch).
 */
export function digitsCnn(
  opts: ZooOptions & { filters?: [number, number]; hidden?: number } = {},
): Sequential {
  const [f1, f2] = opts.filters ?? [16, 32];
  const hidden = opts.hidden ?? 64;
  const numClasses = opts.numClasses ?? opts.classNames?.length ?? 10;
  const [c, h, w] = opts.inputShape ?? [1, 28, 28];
  const flat = f2 * Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2);
  return new Sequential(
    [
      new ImageInput({ name: 'input', shape: [c, h, w], normalization: 'zscore' }),
      new Conv2D({
        name: 'conv1',
        filters: f1,
        kernelSize: 3,
        padding: 'same',
        bias: false,
        weightInit: small(c * 9),
      }),
      new BatchNormalization({ name: 'bn1' }),
      new ReLU({ name: 'relu1' }),
      new MaxPool2D({ name: 'pool1', kernelSize: 2 }),
      new Conv2D({
        name: 'conv2',
        filters: f2,
        kernelSize: 3,
        padding: 'same',
        bias: false,
        weightInit: small(f1 * 9),
      }),
      new BatchNormalization({ name: 'bn2' }),
      new ReLU({ name: 'relu2' }),
      new MaxPool2D({ name: 'pool2', kernelSize: 2 }),
      new Dropout({ name: 'drop1', probability: 0.25 }),
      new Dense({ name: 'fc1', units: hidden, weightInit: small(flat) }),
      new ReLU({ name: 'relu3' }),
      new Dropout({ name: 'drop2', probability: 0.5 }),
      new Dense({ name: 'fc2', units: numClasses, weightInit: small(hidden) }),
      new ClassificationOutput({ name: 'output', classes: opts.classNames }),
    ],
    { name: 'digits-cnn' },
  );
}

/**
 * LeNet-5 with ReLU and max pooling (LeCun et al. 1998, modernized): convolution 5×5 (6, padded to keep
 * 28×28) → ReLU → max pool → convolution 5×5 (16) → ReLU → max pool → fully connected 120 → ReLU → 84 →
 * ReLU → classes → softmax classification output; z-score input.
 */
export function lenet(opts: ZooOptions = {}): Sequential {
  const numClasses = opts.numClasses ?? opts.classNames?.length ?? 10;
  return new Sequential(
    [
      new ImageInput({ name: 'input', shape: opts.inputShape ?? [1, 28, 28], normalization: 'zscore' }),
      new Conv2D({ name: 'conv1', filters: 6, kernelSize: 5, padding: 2 }),
      new ReLU({ name: 'relu1' }),
      new MaxPool2D({ name: 'pool1', kernelSize: 2 }),
      new Conv2D({ name: 'conv2', filters: 16, kernelSize: 5 }),
      new ReLU({ name: 'relu2' }),
      new MaxPool2D({ name: 'pool2', kernelSize: 2 }),
      new Dense({ name: 'fc1', units: 120 }),
      new ReLU({ name: 'relu3' }),
      new Dense({ name: 'fc2', units: 84 }),
      new ReLU({ name: 'relu4' }),
      new Dense({ name: 'fc3', units: numClasses }),
      new ClassificationOutput({ name: 'output', classes: opts.classNames }),
    ],
    { name: 'lenet' },
  );
}

/** PyTorch's default initialization of conv and linear weights: uniform in ±1/√fanIn. */
function small(fanIn: number): Initializer {
  const b = 1 / Math.sqrt(fanIn);
  return { uniform: [-b, b] };
}

export const builtinModels = { 'digits-cnn': digitsCnn, lenet } as const;

/** A ready-made network by name ('digits-cnn' or 'lenet'). */
export function builtinModel(name: string, opts: ZooOptions = {}): Sequential {
  const f = (builtinModels as Record<string, (o: ZooOptions) => Sequential>)[name];
  if (!f)
    throw new StrataError(
      'model',
      `unknown built-in model '${name}'; choose ${Object.keys(builtinModels).join(' or ')}, or give a JSON config file`,
    );
  return f(opts);
}
