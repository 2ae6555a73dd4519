import { StrataError } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { binaryCrossEntropy, crossEntropy, huber, mae, mse } from '../functional/losses.js';
import { argmax } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { softmax } from '../ops/softmax.js';
import { sigmoid } from '../ops/unary.js';
import { Layer, type LayerConfig } from './layer.js';
import { oneOf, optNumber, prod } from './options.js';
import { registerLayer } from './registry.js';

/**
 * Output layers end a network and define its loss (MATLAB's classificationLayer, regressionLayer).
 *
 * The forward output is what `predict` should give (probabilities for a classifier), while training
 * needs the loss computed stably from the logits. So each output layer remembers, for each output
 * tensor it makes, the input it made it from, and `loss(output, target)` uses that input:
 *
 *     const out = model.forward(x, { training: true });
 *     const loss = outputLayerOf(model.layers)!.loss(out, y);   // crossEntropy(logits, y), not log(softmax)
 *
 * `loss` falls back to the (less stable) formula on the output itself when the tensor did not come
 * from this layer's forward (or its input was freed). `lossFromInput(logits, target)` is the direct form.
 */
export interface OutputLayer {
  readonly isOutputLayer: true;
  /** The mean loss of a batch from this layer's forward output (see above). */
  loss(output: Tensor, target: Tensor): Tensor;
  /** The mean loss of a batch from this layer's input (logits), computed stably. */
  lossFromInput(input: Tensor, target: Tensor): Tensor;
}

export function isOutputLayer(l: unknown): l is Layer & OutputLayer {
  return l instanceof Layer && (l as Partial<OutputLayer>).isOutputLayer === true;
}

/** The last output layer among `layers` (a model's `layers`), or undefined. */
export function outputLayerOf(layers: readonly Layer[]): (Layer & OutputLayer) | undefined {
  for (let i = layers.length - 1; i >= 0; i--)
    if (isOutputLayer(layers[i])) return layers[i] as Layer & OutputLayer;
  return undefined;
}

/** For each output tensor of an output layer, the input it came from. */
const inputsOf = new WeakMap<Tensor, Tensor>();

abstract class OutputBase extends Layer implements OutputLayer {
  readonly isOutputLayer = true as const;
  protected abstract activate(x: Tensor): Tensor;
  abstract lossFromInput(input: Tensor, target: Tensor): Tensor;
  /** The loss from the output itself, when its input is not known. */
  protected abstract lossFromOutput(output: Tensor, target: Tensor): Tensor;

  forward([x]: Tensor[]): Tensor {
    const y = this.activate(x);
    if (y !== x) inputsOf.set(y, x);
    return y;
  }

  loss(output: Tensor, target: Tensor): Tensor {
    const x = inputsOf.get(output);
    return x && !x.isDisposed ? this.lossFromInput(x, target) : this.lossFromOutput(output, target);
  }

  override flops([s]: number[][]): number {
    return 3 * prod(s);
  }
}

function classNames(where: string, v: unknown): string[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length < 1 || !v.every((c) => typeof c === 'string'))
    throw new StrataError(where, `classes must be a list of names, got ${JSON.stringify(v)}`);
  if (new Set(v).size !== v.length)
    throw new StrataError(where, `classes repeat a name: ${JSON.stringify(v)}`);
  return [...v];
}

export interface ClassificationOutputConfig extends LayerConfig {
  /** Class names, in the order of the channels (optional; their number must match the input's C). */
  classes?: string[];
  /** Label smoothing ε in [0, 1) for the loss (default 0). */
  labelSmoothing?: number;
  /** Per-class loss weights (length C). */
  classWeights?: number[];
}

/**
 * Softmax over the channel axis plus cross-entropy loss. Works per example ([C]) and per pixel
 * ([C, ...spatial], segmentation). Targets: class indices [N] / [N, ...spatial] (int32 or integral
 * floats) or one-hot / probabilities of the output's shape.
 * Shape: output = input. Parameters: none. ONNX: Softmax (axis 1).
 */
export class ClassificationOutput extends OutputBase {
  static override readonly type: string = 'ClassificationOutput';
  readonly classes: string[] | null;
  readonly labelSmoothing: number;
  readonly classWeights: number[] | null;

  constructor(c: ClassificationOutputConfig = {}) {
    super(c);
    this.classes = classNames(this.where, c.classes);
    this.labelSmoothing = optNumber(
      this.where,
      c.labelSmoothing,
      'labelSmoothing',
      0,
      (e) => e >= 0 && e < 1,
      'in [0, 1)',
    );
    if (
      c.classWeights !== undefined &&
      (!Array.isArray(c.classWeights) || !c.classWeights.every((w) => typeof w === 'number' && w >= 0))
    )
      throw new StrataError(
        this.where,
        `classWeights must be non-negative numbers, got ${JSON.stringify(c.classWeights)}`,
      );
    this.classWeights = c.classWeights ? [...c.classWeights] : null;
  }

  computeOutputShape([s]: number[][]): number[] {
    if (s.length < 1) throw new StrataError(this.where, `expects input [C] or [C, ...spatial], got [${s}]`);
    const n = this.classes?.length ?? this.classWeights?.length;
    if (n !== undefined && s[0] !== n)
      throw new StrataError(this.where, `has ${n} classes but its input has ${s[0]} channels (input [${s}])`);
    if (this.classes && this.classWeights && this.classWeights.length !== this.classes.length)
      throw new StrataError(
        this.where,
        `classWeights has ${this.classWeights.length} values for ${this.classes.length} classes`,
      );
    return [...s];
  }

  protected activate(x: Tensor): Tensor {
    return softmax(x, 1);
  }

  private opts() {
    return { labelSmoothing: this.labelSmoothing, weight: this.classWeights ?? undefined };
  }

  lossFromInput(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.opts());
  }

  protected lossFromOutput(output: Tensor, target: Tensor): Tensor {
    return crossEntropy(output, target, { ...this.opts(), fromLogits: false });
  }

  /** The predicted class of each example of an output [N, C]: its name, or its index without names. */
  decode(output: Tensor): Array<string | number> {
    if (output.rank !== 2)
      throw new StrataError(this.where, `decode needs an output [N, C], got [${output.shape}]`);
    return Array.from(argmax(output, 1).data(), (i) => this.classes?.[i] ?? i);
  }

  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { labelSmoothing: this.labelSmoothing };
    if (this.classes) c.classes = this.classes;
    if (this.classWeights) c.classWeights = this.classWeights;
    return c;
  }
}

export interface BinaryOutputConfig extends LayerConfig {
  /** Names of the negative and the positive class (optional). */
  classes?: [string, string];
  /** Weight of the positive term of the loss (PyTorch's pos_weight; default 1). */
  posWeight?: number;
}

/**
 * Sigmoid plus binary cross-entropy (from the logits), one independent yes/no per output element
 * (binary or multi-label). Targets in [0, 1] of the output's shape (or of its size, e.g. [N] for [N, 1]).
 * Shape: output = input. Parameters: none. ONNX: Sigmoid.
 */
export class BinaryOutput extends OutputBase {
  static override readonly type: string = 'BinaryOutput';
  readonly classes: string[] | null;
  readonly posWeight: number;

  constructor(c: BinaryOutputConfig = {}) {
    super(c);
    this.classes = classNames(this.where, c.classes);
    if (this.classes && this.classes.length !== 2)
      throw new StrataError(
        this.where,
        `classes must name 2 classes (negative, positive), got ${this.classes.length}`,
      );
    this.posWeight = optNumber(
      this.where,
      c.posWeight,
      'posWeight',
      1,
      (w) => w > 0 && Number.isFinite(w),
      'a positive number',
    );
  }

  computeOutputShape([s]: number[][]): number[] {
    return [...s];
  }

  protected activate(x: Tensor): Tensor {
    return sigmoid(x);
  }

  private target(like: Tensor, t: Tensor): Tensor {
    if (shapesEqual(t.shape, like.shape)) return t;
    if (t.size === like.size) return reshape(t, like.shape);
    throw new StrataError(this.where, `target [${t.shape}] does not match the output [${like.shape}]`);
  }

  lossFromInput(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, this.target(input, target), {
      posWeight: this.posWeight === 1 ? undefined : this.posWeight,
    });
  }

  protected lossFromOutput(output: Tensor, target: Tensor): Tensor {
    if (this.posWeight !== 1)
      throw new StrataError(
        this.where,
        'with posWeight the loss needs the logits: pass the output of this layer’s forward',
      );
    return binaryCrossEntropy(output, this.target(output, target), { fromLogits: false });
  }

  getConfig(): Record<string, unknown> {
    return this.classes
      ? { classes: this.classes, posWeight: this.posWeight }
      : { posWeight: this.posWeight };
  }
}

export interface RegressionOutputConfig extends LayerConfig {
  /** 'mse' (default, mean squared error), 'mae' or 'huber'. */
  loss?: 'mse' | 'mae' | 'huber';
  /** Threshold of the Huber loss (default 1). */
  delta?: number;
}

/**
 * Identity plus a regression loss: mean squared error by default (PyTorch's MSELoss; MATLAB's
 * regressionLayer halves it). Targets of the output's shape.
 * Shape: output = input. Parameters: none. ONNX: none (identity).
 */
export class RegressionOutput extends OutputBase {
  static override readonly type: string = 'RegressionOutput';
  readonly lossName: 'mse' | 'mae' | 'huber';
  readonly delta: number;

  constructor(c: RegressionOutputConfig = {}) {
    super(c);
    this.lossName = oneOf(this.where, c.loss, 'loss', ['mse', 'mae', 'huber'], 'mse');
    this.delta = optNumber(
      this.where,
      c.delta,
      'delta',
      1,
      (d) => d > 0 && Number.isFinite(d),
      'a positive number',
    );
  }

  computeOutputShape([s]: number[][]): number[] {
    return [...s];
  }

  protected activate(x: Tensor): Tensor {
    return x;
  }

  lossFromInput(input: Tensor, target: Tensor): Tensor {
    const t =
      !shapesEqual(target.shape, input.shape) && target.size === input.size
        ? reshape(target, input.shape)
        : target;
    if (this.lossName === 'mae') return mae(input, t);
    if (this.lossName === 'huber') return huber(input, t, { delta: this.delta });
    return mse(input, t);
  }

  protected lossFromOutput(output: Tensor, target: Tensor): Tensor {
    return this.lossFromInput(output, target);
  }

  override flops(): number {
    return 0;
  }

  getConfig(): Record<string, unknown> {
    return this.lossName === 'huber' ? { loss: this.lossName, delta: this.delta } : { loss: this.lossName };
  }
}

for (const c of [ClassificationOutput, BinaryOutput, RegressionOutput]) registerLayer(c);
