import { StrataError } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import type { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { clippedRelu, gelu, prelu, swish } from '../functional/activations.js';
import { normAxis } from '../core/shape.js';
import { reshape } from '../ops/shape.js';
import { softmax } from '../ops/softmax.js';
import { elu, leakyRelu, relu, sigmoid, tanh } from '../ops/unary.js';
import { Layer, type LayerConfig } from './layer.js';
import { registerLayer } from './registry.js';

/** Element-wise activations keep the shape: output = input. */
abstract class Activation extends Layer {
  computeOutputShape([s]: number[][]): number[] {
    return [...s];
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** max(0, x). */
export class ReLU extends Activation {
  static override readonly type: string = 'ReLU';
  forward([x]: Tensor[]): Tensor {
    return relu(x);
  }
}
/** 1 / (1 + e^−x). */
export class Sigmoid extends Activation {
  static override readonly type: string = 'Sigmoid';
  forward([x]: Tensor[]): Tensor {
    return sigmoid(x);
  }
}
/** tanh(x). */
export class Tanh extends Activation {
  static override readonly type: string = 'Tanh';
  forward([x]: Tensor[]): Tensor {
    return tanh(x);
  }
}
/** x·sigmoid(x) (SiLU). */
export class Swish extends Activation {
  static override readonly type: string = 'Swish';
  forward([x]: Tensor[]): Tensor {
    return swish(x);
  }
}

function positive(where: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || !(v >= 0))
    throw new StrataError(where, `${what} must be a number >= 0, got ${v}`);
  return v;
}

/** x for x > 0, αx otherwise (default α 0.01). */
export class LeakyReLU extends Activation {
  static override readonly type: string = 'LeakyReLU';
  readonly alpha: number;
  constructor(c: LayerConfig & { alpha?: number } = {}) {
    super(c);
    this.alpha = c.alpha ?? 0.01;
  }
  forward([x]: Tensor[]): Tensor {
    return leakyRelu(x, this.alpha);
  }
  override getConfig() {
    return { alpha: this.alpha };
  }
}

/** min(max(0, x), ceiling). */
export class ClippedReLU extends Activation {
  static override readonly type: string = 'ClippedReLU';
  readonly ceiling: number;
  constructor(c: LayerConfig & { ceiling?: number } = {}) {
    super(c);
    this.ceiling = positive(this.where, c.ceiling ?? 6, 'ceiling');
  }
  forward([x]: Tensor[]): Tensor {
    return clippedRelu(x, this.ceiling);
  }
  override getConfig() {
    return { ceiling: this.ceiling };
  }
}

/** x for x > 0, α(eˣ − 1) otherwise (default α 1). */
export class ELU extends Activation {
  static override readonly type: string = 'ELU';
  readonly alpha: number;
  constructor(c: LayerConfig & { alpha?: number } = {}) {
    super(c);
    this.alpha = c.alpha ?? 1;
  }
  forward([x]: Tensor[]): Tensor {
    return elu(x, this.alpha);
  }
  override getConfig() {
    return { alpha: this.alpha };
  }
}

/** Gaussian error linear unit, exact (erf) or with the tanh approximation. */
export class GELU extends Activation {
  static override readonly type: string = 'GELU';
  readonly approximate: 'none' | 'tanh';
  constructor(c: LayerConfig & { approximate?: 'none' | 'tanh' } = {}) {
    super(c);
    this.approximate = c.approximate ?? 'none';
  }
  forward([x]: Tensor[]): Tensor {
    return gelu(x, this.approximate);
  }
  override getConfig() {
    return { approximate: this.approximate };
  }
}

/**
 * Parametric ReLU: max(0,x) + a·min(0,x) with a learned slope `a`, one per channel (axis 1) or one shared.
 * Parameters: C slopes (or 1), initialized to 0.25.
 */
export class PReLU extends Activation {
  static override readonly type: string = 'PReLU';
  readonly channelShared: boolean;
  readonly init: number;
  constructor(c: LayerConfig & { channelShared?: boolean; init?: number } = {}) {
    super(c);
    this.channelShared = c.channelShared ?? false;
    this.init = c.init ?? 0.25;
  }
  protected override createParams([s]: number[][], gen: Generator, dtype: DType): void {
    this.addParam('alpha', [this.channelShared ? 1 : s[0]], { constant: this.init }, gen, dtype);
  }
  forward([x]: Tensor[]): Tensor {
    const a = this.p('alpha');
    const shape = x.shape.slice(1).map((d, i) => (i === 0 && !this.channelShared ? d : 1));
    return prelu(x, reshape(a, shape));
  }
  override getConfig() {
    return { channelShared: this.channelShared, init: this.init };
  }
}

/** Softmax over an axis of the example (default: the channel axis, 0 — axis 1 of the batch). */
export class Softmax extends Activation {
  static override readonly type: string = 'Softmax';
  readonly axis: number;
  constructor(c: LayerConfig & { axis?: number } = {}) {
    super(c);
    this.axis = c.axis ?? 0;
  }
  forward([x]: Tensor[]): Tensor {
    return softmax(x, normAxis(this.where, this.axis, x.rank - 1) + 1);
  }
  override getConfig() {
    return { axis: this.axis };
  }
}

for (const c of [ReLU, Sigmoid, Tanh, Swish, LeakyReLU, ClippedReLU, ELU, GELU, PReLU, Softmax])
  registerLayer(c);
