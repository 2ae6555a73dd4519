import { keep } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import { checkingNumerics, numericsLabel, numericsScope } from '../core/numerics.js';
import { profileLayer, profiledLayer, profiling } from '../core/profile.js';
import { Generator } from '../core/random.js';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';
import type { FusedAct } from '../ops/fused.js';
import { type Initializer, initTensor } from './init.js';

/**
 * While a model is built from a saved file, each parameter is checked against the file before anything
 * is allocated (a config may declare any size), and starts as zeros: the file's values replace it, so
 * running the initializers would only cost time. A ParamCheck checks one parameter read from the file
 * against the layer being built (buildingFromFile).
 */
export type ParamCheck = (param: string, shape: readonly number[], dtype: DType) => void;
let loading: { file: string; param: ParamCheck } | null = null;

/**
 * The most values one example may have at any layer of a model read from a file: 2^30 float32 values
 * are 4 GiB, the whole of a WebAssembly memory. A larger declared shape is refused before the layer
 * works out anything from it.
 */
export const MAX_EXAMPLE_VALUES = 2 ** 30;

/**
 * Runs `fn` (building a model read from `file`) with `param` called on every parameter (full name,
 * shape, dtype) before it is created; `param` throws when the file holds no such tensor.
 */
export function buildingFromFile<T>(file: string, param: ParamCheck, fn: () => T): T {
  const prev = loading;
  loading = { file, param };
  try {
    return fn();
  } finally {
    loading = prev;
  }
}

/** JSON-safe configuration of a layer (what is saved in the model's config file). */
export type LayerConfig = { name?: string } & Record<string, unknown>;

/** What a layer's forward knows besides its inputs. */
export interface CallContext {
  /** Training mode: dropout drops, batch normalization uses and updates batch statistics. */
  training: boolean;
  /** Randomness for dropout and the like (seeded by the model). */
  generator: Generator;
}

export interface BuildOptions {
  generator?: Generator;
  dtype?: DType;
}

/**
 * A parameter (trainable) or state buffer (running statistics, normalization statistics) of a layer.
 * Its `value` is a leaf tensor that requires a gradient when trainable; optimizers replace the value.
 */
export class Parameter {
  value: Tensor;
  /** Multiplies the optimizer's weight decay / L2 factor for this parameter. */
  decayFactor = 1;
  /** Multiplies the learning rate for this parameter. */
  lrFactor = 1;
  constructor(
    readonly name: string,
    value: Tensor,
    readonly trainable = true,
  ) {
    this.value = this.adopt(value);
  }

  private adopt(t: Tensor): Tensor {
    keep(t);
    t.name = this.name;
    t.requiresGrad = this.trainable;
    return t;
  }

  /** Replaces the value (optimizers, loading). The shape must stay the same. */
  assign(t: Tensor): void {
    if (t.shape.length !== this.value.shape.length || t.shape.some((d, i) => d !== this.value.shape[i]))
      throw new StrataError(
        `parameter '${this.name}'`,
        `new value has shape [${t.shape}], expected [${this.value.shape}]`,
      );
    if (t === this.value) return;
    const old = this.value;
    this.value = this.adopt(t.node ? t.detach() : t);
    if (old !== this.value) old.dispose();
  }

  get shape(): number[] {
    return this.value.shape;
  }
}

/**
 * A layer: a JSON config plus parameters, with a forward pass written through the ops and functional
 * API (so autograd gives the backward). Input shapes exclude the batch axis.
 */
export abstract class Layer {
  /** The registry key; subclasses set a static `type` and the instance reads it. */
  static readonly type: string = 'Layer';
  name: string;
  /** How many inputs the layer takes (combination layers take several). */
  readonly minInputs: number = 1;
  readonly maxInputs: number = 1;
  readonly params = new Map<string, Parameter>();
  private _inputShapes: number[][] | null = null;
  private _outputShape: number[] | null = null;

  constructor(config: LayerConfig = {}) {
    this.name = config.name ?? '';
  }

  get type(): string {
    return (this.constructor as typeof Layer).type;
  }

  /** Where error messages say the problem is: `Conv2D 'conv1'`. */
  get where(): string {
    return `${this.type}${this.name ? ` '${this.name}'` : ''}`;
  }

  get built(): boolean {
    return this._inputShapes !== null;
  }

  get inputShapes(): number[][] {
    if (!this._inputShapes) throw new StrataError(this.where, 'is not built yet');
    return this._inputShapes;
  }

  get outputShape(): number[] {
    if (!this._outputShape) throw new StrataError(this.where, 'is not built yet');
    return this._outputShape;
  }

  /** The output shape for these input shapes (no batch axis); throws naming the layer when they don't fit. */
  abstract computeOutputShape(inputShapes: number[][]): number[];

  /** Creates the parameters for these input shapes. */
  protected createParams(_inputShapes: number[][], _gen: Generator, _dtype: DType): void {}

  /** The forward pass on batched inputs. */
  abstract forward(inputs: Tensor[], ctx: CallContext): Tensor;

  /** The layer's own options (the name is added by `toConfig`). */
  abstract getConfig(): Record<string, unknown>;

  /** Multiply-adds ×2 for one example (for summaries). */
  flops(_inputShapes: number[][]): number {
    return 0;
  }

  /** Checks input shapes, creates parameters, and fixes the output shape. Idempotent for equal shapes. */
  build(inputShapes: number[][], opts: BuildOptions = {}): number[] {
    if (inputShapes.length < this.minInputs || inputShapes.length > this.maxInputs)
      throw new StrataError(
        this.where,
        `takes ${this.minInputs === this.maxInputs ? this.minInputs : `${this.minInputs} to ${this.maxInputs}`} input(s), got ${inputShapes.length}`,
      );
    if (this._inputShapes) {
      this.checkInputs(inputShapes);
      return this.outputShape;
    }
    if (loading)
      for (const s of inputShapes) {
        const n = s.reduce((a, b) => a * b, 1);
        if (!(n <= MAX_EXAMPLE_VALUES))
          throw new StrataError(
            this.where,
            `${loading.file}: an input of shape [${s}] would hold ${n} values per example, more than the ${MAX_EXAMPLE_VALUES} that fit in memory`,
          );
      }
    const out = this.computeOutputShape(inputShapes);
    this.createParams(inputShapes, opts.generator ?? new Generator(0), opts.dtype ?? 'float32');
    this._inputShapes = inputShapes.map((s) => [...s]);
    this._outputShape = out;
    return out;
  }

  /** Pre-flight: inputs must have the shapes the layer was built for. */
  checkInputs(shapes: number[][]): void {
    const want = this.inputShapes;
    shapes.forEach((s, i) => {
      const w = want[i];
      if (s.length !== w.length || s.some((d, j) => d !== w[j]))
        throw new StrataError(
          this.where,
          `expected input${shapes.length > 1 ? ` ${i}` : ''} of shape [${w}] (without batch), got [${s}]`,
        );
    });
  }

  /** Whether batched inputs have the shapes the layer was built for (checkInputs says what is wrong). */
  private fits(inputs: Tensor[]): boolean {
    const want = this._inputShapes!;
    if (inputs.length !== want.length) return false;
    for (let i = 0; i < inputs.length; i++) {
      const s = inputs[i].shape;
      const w = want[i];
      if (s.length !== w.length + 1) return false;
      for (let j = 0; j < w.length; j++) if (s[j + 1] !== w[j]) return false;
    }
    return true;
  }

  /** Runs the layer on batched inputs after checking their shapes. */
  call(inputs: Tensor[], ctx: CallContext): Tensor {
    return this.callFused(inputs, ctx, 'none');
  }

  /**
   * `call` with an activation applied to the output inside the layer's own op (a Conv or Dense layer
   * followed by a ReLU layer in a Sequential model): the same checks, profiling and numerics scope,
   * attributed to this layer. Only for layers whose `fusesActivation` is true.
   */
  callFused(inputs: Tensor[], ctx: CallContext, act: FusedAct): Tensor {
    if (profiling && profiledLayer() !== this)
      return profileLayer(this, () => this.callFused(inputs, ctx, act));
    if (checkingNumerics && numericsLabel() !== this.where)
      return numericsScope(this.where, () => this.callFused(inputs, ctx, act));
    if (!this.built) this.build(inputs.map((t) => t.shape.slice(1)));
    else if (!this.fits(inputs)) this.checkInputs(inputs.map((t) => t.shape.slice(1)));
    return act === 'none' ? this.forward(inputs, ctx) : this.forwardAct(inputs, ctx, act);
  }

  /** Whether forwardAct can apply an activation in the layer's own op (Conv and Dense). */
  get fusesActivation(): boolean {
    return false;
  }

  /** The forward pass with `act` applied to the output (for layers that fuse activations). */
  protected forwardAct(_inputs: Tensor[], _ctx: CallContext, act: FusedAct): Tensor {
    throw new StrataError(this.where, `cannot apply the activation '${act}' in its own op`);
  }

  protected addParam(
    name: string,
    shape: number[],
    init: Initializer,
    gen: Generator,
    dtype: DType,
    trainable = true,
  ): Parameter {
    if (loading) {
      loading.param(`${this.name}.${name}`, shape, dtype);
      init = 'zeros';
    }
    const p = new Parameter(`${this.name}.${name}`, initTensor(init, shape, gen, dtype), trainable);
    this.params.set(name, p);
    return p;
  }

  /** The value of a parameter or buffer by its short name. */
  protected p(name: string): Tensor {
    const p = this.params.get(name);
    if (!p) throw new StrataError(this.where, `has no parameter '${name}' (not built?)`);
    return p.value;
  }

  trainableParams(): Parameter[] {
    return [...this.params.values()].filter((p) => p.trainable);
  }

  paramCount(): number {
    let n = 0;
    for (const p of this.params.values()) if (p.trainable) n += p.value.size;
    return n;
  }

  toConfig(): { type: string; name: string; config: Record<string, unknown> } {
    return { type: this.type, name: this.name, config: this.getConfig() };
  }
}

export type LayerClass = (new (config: any) => Layer) & { readonly type: string };
