import { full } from '../core/creation.js';
import { noGrad, scope } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { type CallContext, Layer, type LayerConfig } from './layer.js';
import { registerLayer } from './registry.js';

/**
 * Custom layers: a layer defined by its forward formula alone; autograd gives the backward.
 *
 * As a class — subclass `Layer`, set a static `type`, override `computeOutputShape`, `forward` and
 * `getConfig` (and `createParams` for learned parameters), then `registerLayer(MyLayer)` so a saved
 * model can load it:
 *
 *     class Scale2 extends Layer {
 *       static override readonly type = 'Scale2';
 *       computeOutputShape([s]: number[][]) { return [...s]; }
 *       forward([x]: Tensor[]) { return x.mul(2); }
 *       getConfig() { return {}; }
 *     }
 *     registerLayer(Scale2);
 *
 * As a function — `registerFunctionLayer('softsign', (x) => x.div(x.abs().add(1)))`, then
 * `new FunctionLayer({ fn: 'softsign' })`. The config saves the function's registered name only; on
 * load the formula is looked up by that name (it must be registered again before loading), never
 * evaluated from the file.
 */

/** A forward formula on batched inputs (axis 0 is the batch). */
export type LayerFormula = (...inputs: Tensor[]) => Tensor;

export interface FunctionLayerOptions {
  /**
   * The output shape (without batch) for the input shapes; throw a StrataError (or any Error) when
   * they don't fit. Without it the shape is found by running the formula once on zeros (batch 1).
   */
  outputShape?: (inputShapes: number[][]) => number[];
  /** How many inputs the formula takes: a number, or [min, max] (default 1). */
  inputs?: number | [number, number];
  /** A line for summaries and docs. */
  description?: string;
}

interface FunctionEntry extends FunctionLayerOptions {
  fn: LayerFormula;
}

const functions = new Map<string, FunctionEntry>();

/**
 * Registers a forward formula under a name, for FunctionLayer. Registering a name again replaces it
 * (so a module can be reloaded); the name is what a saved model stores.
 */
export function registerFunctionLayer(name: string, fn: LayerFormula, opts: FunctionLayerOptions = {}): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new StrataError('registerFunctionLayer', 'the name must be a non-empty string');
  if (typeof fn !== 'function')
    throw new StrataError('registerFunctionLayer', `the formula for '${name}' must be a function`);
  functions.set(name, { ...opts, fn });
}

export function registeredFunctionLayers(): string[] {
  return [...functions.keys()].sort();
}

export interface FunctionLayerConfig extends LayerConfig {
  /** The registered name of the formula (see registerFunctionLayer). */
  fn: string;
}

/**
 * A layer whose forward is a registered formula (like Keras's Lambda or MATLAB's functionLayer, but
 * loaded by name, never from code in the file). No parameters.
 * Shape: the formula's `outputShape`, or found by running it on zeros of batch 1.
 */
export class FunctionLayer extends Layer {
  static override readonly type: string = 'FunctionLayer';
  override readonly minInputs: number;
  override readonly maxInputs: number;
  readonly fn: string;
  private readonly entry: FunctionEntry;

  constructor(config: FunctionLayerConfig) {
    super(config);
    if (typeof config?.fn !== 'string')
      throw new StrataError(this.where, `needs \`fn\`, the registered name of its formula`);
    const e = functions.get(config.fn);
    if (!e)
      throw new StrataError(
        this.where,
        `no formula registered as '${config.fn}'; call registerFunctionLayer('${config.fn}', fn) before building or loading (registered: ${registeredFunctionLayers().join(', ') || 'none'})`,
      );
    this.fn = config.fn;
    this.entry = e;
    const n = e.inputs ?? 1;
    [this.minInputs, this.maxInputs] = typeof n === 'number' ? [n, n] : n;
  }

  override get where(): string {
    return `FunctionLayer${this.fn ? `(${this.fn})` : ''}${this.name ? ` '${this.name}'` : ''}`;
  }

  computeOutputShape(inputShapes: number[][]): number[] {
    try {
      if (this.entry.outputShape) return [...this.entry.outputShape(inputShapes)];
      return noGrad(() =>
        scope(() => this.entry.fn(...inputShapes.map((s) => full([1, ...s], 0))).shape.slice(1)),
      );
    } catch (e) {
      if (e instanceof StrataError && e.where.startsWith('FunctionLayer')) throw e;
      throw new StrataError(
        this.where,
        `does not accept input shape(s) ${inputShapes.map((s) => `[${s}]`).join(', ')}: ${(e as Error).message}`,
      );
    }
  }

  forward(inputs: Tensor[], _ctx: CallContext): Tensor {
    return this.entry.fn(...inputs);
  }

  getConfig() {
    return { fn: this.fn };
  }
}

registerLayer(FunctionLayer);
