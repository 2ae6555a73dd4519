import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { dropout, spatialDropout } from '../functional/dropout.js';
import { type CallContext, Layer, type LayerConfig } from './layer.js';
import { optNumber } from './options.js';
import { registerLayer } from './registry.js';

export interface DropoutLayerConfig extends LayerConfig {
  /** Probability of dropping an element (or channel), in [0, 1) (default 0.5). */
  probability?: number;
}

/**
 * Dropout and spatial (channel) dropout. Active only in training (`ctx.training`); the mask comes
 * from `ctx.generator`, which the model seeds, so runs are reproducible. Inverted scaling: survivors
 * are multiplied by 1/(1 − p), so inference is the identity.
 */
abstract class DropoutBase extends Layer {
  readonly probability: number;
  constructor(c: DropoutLayerConfig = {}) {
    super(c);
    this.probability = optNumber(
      this.where,
      c.probability,
      'probability',
      0.5,
      (p) => p >= 0 && p < 1,
      'in [0, 1)',
    );
  }
  computeOutputShape([s]: number[][]): number[] {
    return [...s];
  }
  getConfig(): Record<string, unknown> {
    return { probability: this.probability };
  }
}

/**
 * Element-wise dropout. Shape: output = input, any shape.
 * ONNX: Dropout (identity at inference).
 */
export class Dropout extends DropoutBase {
  static override readonly type: string = 'Dropout';
  forward([x]: Tensor[], ctx: CallContext): Tensor {
    return dropout(x, this.probability, { training: ctx.training, generator: ctx.generator });
  }
}

/**
 * Drops whole channels of [C, ...spatial]: each (example, channel) is zeroed with probability p (Keras
 * SpatialDropout2D/3D, PyTorch Dropout2d/3d). Shape: output = input.
 */
abstract class SpatialDropoutND extends DropoutBase {
  abstract readonly rank: number;
  override computeOutputShape([s]: number[][]): number[] {
    if (s.length !== this.rank + 1)
      throw new StrataError(
        this.where,
        `expects input ${['[C,L]', '[C,H,W]', '[C,D,H,W]'][this.rank - 1]} (without batch), got [${s}]`,
      );
    return [...s];
  }
  forward([x]: Tensor[], ctx: CallContext): Tensor {
    return spatialDropout(x, this.probability, { training: ctx.training, generator: ctx.generator });
  }
}

export class SpatialDropout1D extends SpatialDropoutND {
  static override readonly type: string = 'SpatialDropout1D';
  readonly rank = 1;
}
export class SpatialDropout2D extends SpatialDropoutND {
  static override readonly type: string = 'SpatialDropout2D';
  readonly rank = 2;
}
export class SpatialDropout3D extends SpatialDropoutND {
  static override readonly type: string = 'SpatialDropout3D';
  readonly rank = 3;
}

for (const c of [Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D]) registerLayer(c);
