import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { ReLU } from '../layers/activation.js';
import type { CallContext, Layer } from '../layers/layer.js';
import { layerFromConfig } from '../layers/registry.js';
import { type BuildModelOptions, Model, type SummaryRow } from './model.js';

export interface SequentialOptions {
  name?: string;
  /** Input shape without batch; optional when the first layer is an input layer. */
  inputShape?: number[];
}

/** Layers applied one after another. */
export class Sequential extends Model {
  private readonly list: Layer[];
  private shape: number[] | null;

  constructor(layers: Layer[], opts: SequentialOptions = {}) {
    super();
    this.list = [...layers];
    this.name = opts.name ?? 'sequential';
    const first = layers[0] as Layer & { declaredInputShape?: number[] };
    this.shape = opts.inputShape ?? first?.declaredInputShape ?? null;
    nameLayers(this.list);
  }

  get layers(): Layer[] {
    return this.list;
  }

  get inputShapes(): number[][] {
    if (!this.shape)
      throw new StrataError(this.name, 'has no input shape: give inputShape or start with an input layer');
    return [this.shape];
  }

  get outputShape(): number[] {
    return this.list.length ? this.list[this.list.length - 1].outputShape : this.inputShapes[0];
  }

  build(opts: BuildModelOptions = {}): this {
    const gen = this.seedWith(opts.seed);
    let s = this.inputShapes[0];
    for (const l of this.list) s = l.build([s], { generator: gen, dtype: opts.dtype });
    return this;
  }

  /**
   * Without `collect` (which needs every layer's own output), a layer that fuses activations (Conv,
   * Dense) followed by a plain ReLU layer runs as one op with the ReLU inside, and the ReLU layer is
   * skipped: the same values bit for bit, one op fewer (the profiler's layer table then has no row
   * for that ReLU; its time is the fused layer's).
   */
  protected run(inputs: Tensor[], ctx: CallContext, collect?: (layer: Layer, out: Tensor) => void): Tensor {
    const list = this.list;
    if (!list.every((l) => l.built)) this.build();
    let x = inputs[0];
    for (let i = 0; i < list.length; i++) {
      const l = list[i];
      if (!collect && i + 1 < list.length && l.fusesActivation && list[i + 1].constructor === ReLU) {
        x = l.callFused([x], ctx, 'relu');
        i++;
        continue;
      }
      x = l.call([x], ctx);
      collect?.(l, x);
    }
    return x;
  }

  summaryRows(): SummaryRow[] {
    if (!this.list.every((l) => l.built)) this.build();
    let prev = 'input';
    return this.list.map((l) => {
      const r = {
        name: l.name,
        type: l.type,
        inputs: [prev],
        outputShape: l.outputShape,
        params: l.paramCount(),
        flops: l.flops(l.inputShapes),
      };
      prev = l.name;
      return r;
    });
  }

  toConfig(): Record<string, unknown> {
    return {
      type: 'Sequential',
      name: this.name,
      inputShape: this.shape,
      layers: this.list.map((l) => l.toConfig()),
    };
  }

  static fromConfig(c: Record<string, unknown>): Sequential {
    if (!Array.isArray(c.layers)) throw new StrataError('load', 'Sequential config needs a `layers` array');
    return new Sequential(
      c.layers.map((l) => layerFromConfig(l)),
      {
        name: typeof c.name === 'string' ? c.name : undefined,
        inputShape: Array.isArray(c.inputShape) ? (c.inputShape as number[]) : undefined,
      },
    );
  }
}

/** Gives unnamed layers unique names (`conv2d_1`, …) and rejects duplicates. */
export function nameLayers(layers: Layer[]): void {
  const used = new Set<string>();
  for (const l of layers) {
    if (l.name) {
      if (used.has(l.name)) throw new StrataError('model', `two layers are named '${l.name}'`);
      used.add(l.name);
    }
  }
  const counts = new Map<string, number>();
  for (const l of layers) {
    if (l.name) continue;
    const base = l.type.toLowerCase();
    let k = counts.get(base) ?? 0;
    let name: string;
    do name = `${base}_${++k}`;
    while (used.has(name));
    counts.set(base, k);
    used.add(name);
    l.name = name;
  }
}
