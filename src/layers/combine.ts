import { StrataError } from '../core/errors.js';
import { normAxis } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul } from '../ops/binary.js';
import { concat } from '../ops/shape.js';
import { Layer, type LayerConfig } from './layer.js';
import { prod } from './options.js';
import { registerLayer } from './registry.js';

/**
 * Combination layers: several inputs, one output — residual additions, gates, skip concatenations.
 * They take 2 or more inputs, so they live in a Graph: `{ layer: new Add(), inputs: ['conv2', 'input'] }`.
 */

/** Inputs of one shape combined element by element (no broadcasting: shapes must match exactly). */
abstract class ElementwiseCombine extends Layer {
  override readonly minInputs: number = 2;
  override readonly maxInputs: number = Number.POSITIVE_INFINITY;
  protected abstract readonly op: (a: Tensor, b: Tensor) => Tensor;

  computeOutputShape(shapes: number[][]): number[] {
    const [s0] = shapes;
    shapes.forEach((s, i) => {
      if (s.length !== s0.length || s.some((d, j) => d !== s0[j]))
        throw new StrataError(
          this.where,
          `all inputs must have one shape: input 0 is [${s0}], input ${i} is [${s}]`,
        );
    });
    return [...s0];
  }

  forward(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((acc, x) => this.op(acc, x), xs[0]);
  }

  override flops(shapes: number[][]): number {
    return (shapes.length - 1) * prod(shapes[0]);
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}

/**
 * Element-wise sum of n ≥ 2 inputs (MATLAB additionLayer, Keras Add): residual connections.
 * Shape: n × [...] → [...]. ONNX: Add (Sum for more than two).
 */
export class Add extends ElementwiseCombine {
  static override readonly type: string = 'Add';
  protected readonly op = add;
}

/**
 * Element-wise product of n ≥ 2 inputs (MATLAB multiplicationLayer, Keras Multiply).
 * Shape: n × [...] → [...]. ONNX: Mul.
 */
export class Multiply extends ElementwiseCombine {
  static override readonly type: string = 'Multiply';
  protected readonly op = mul;
}

export interface ConcatenationConfig extends LayerConfig {
  /** Axis of the example (without batch) to join along; default 0, the channel axis. Negative counts from the end. */
  axis?: number;
}

/**
 * Joins n ≥ 2 inputs along an axis of the example; the other axes must match.
 * Shape: [C₁, ...S], …, [Cₙ, ...S] → [C₁ + … + Cₙ, ...S] (axis 0). ONNX: Concat (axis + 1).
 */
export class Concatenation extends Layer {
  static override readonly type: string = 'Concatenation';
  override readonly minInputs: number = 2;
  override readonly maxInputs: number = Number.POSITIVE_INFINITY;
  readonly axis: number;

  constructor(c: ConcatenationConfig = {}) {
    super(c);
    const a = c.axis ?? 0;
    if (!Number.isInteger(a))
      throw new StrataError(this.where, `axis must be an integer, got ${JSON.stringify(a)}`);
    this.axis = a;
  }

  computeOutputShape(shapes: number[][]): number[] {
    const s0 = shapes[0];
    const ax = normAxis(this.where, this.axis, s0.length);
    let total = 0;
    shapes.forEach((s, i) => {
      if (s.length !== s0.length || s.some((d, j) => j !== ax && d !== s0[j]))
        throw new StrataError(
          this.where,
          `inputs must match outside axis ${this.axis}: input 0 is [${s0}], input ${i} is [${s}]`,
        );
      total += s[ax];
    });
    const out = [...s0];
    out[ax] = total;
    return out;
  }

  forward(xs: Tensor[]): Tensor {
    return concat(xs, normAxis(this.where, this.axis, xs[0].rank - 1) + 1);
  }

  getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}

/**
 * Concatenation along the channel axis (MATLAB depthConcatenationLayer): Concatenation with axis 0.
 * Shape: [C₁, ...S], …, [Cₙ, ...S] → [ΣCᵢ, ...S]. ONNX: Concat (axis 1).
 */
export class DepthConcatenation extends Concatenation {
  static override readonly type: string = 'DepthConcatenation';
  constructor(c: LayerConfig = {}) {
    if (c.axis !== undefined && c.axis !== 0)
      throw new StrataError(
        `DepthConcatenation${c.name ? ` '${c.name}'` : ''}`,
        `joins along the channel axis only; use Concatenation for axis ${JSON.stringify(c.axis)}`,
      );
    super({ ...c, axis: 0 });
  }
  override getConfig(): Record<string, unknown> {
    return {};
  }
}

for (const c of [Add, Multiply, Concatenation, DepthConcatenation]) registerLayer(c);
