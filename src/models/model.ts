import { noGrad, scope } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import { Generator } from '../core/random.js';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';
import { concat, slice } from '../ops/shape.js';
import type { CallContext, Layer, Parameter } from '../layers/layer.js';

export interface BuildModelOptions {
  seed?: number;
  dtype?: DType;
}

export interface SummaryRow {
  name: string;
  type: string;
  inputs: string[];
  outputShape: number[];
  params: number;
  flops: number;
}

/** What every network (Sequential, Graph) offers: build, forward, predict, parameters, summary. */
export abstract class Model {
  name = 'model';
  private gen = new Generator(0);

  /** The layers in execution order. */
  abstract get layers(): Layer[];
  /** Shapes of the model's inputs (without batch). */
  abstract get inputShapes(): number[][];
  abstract get outputShape(): number[];
  /** Builds every layer for the declared input shapes; throws naming the first layer whose input doesn't fit. */
  abstract build(opts?: BuildModelOptions): this;
  /** The forward pass; `collect` receives each layer's output in order. */
  protected abstract run(
    inputs: Tensor[],
    ctx: CallContext,
    collect?: (layer: Layer, out: Tensor) => void,
  ): Tensor;
  abstract toConfig(): Record<string, unknown>;

  protected seedWith(seed: number | undefined): Generator {
    this.gen = new Generator(seed ?? 0);
    return this.gen;
  }

  /** The forward pass on a batch; `training` switches dropout and batch-norm statistics. */
  forward(x: Tensor | Tensor[], opts: { training?: boolean; generator?: Generator } = {}): Tensor {
    const inputs = Array.isArray(x) ? x : [x];
    this.checkInputs(inputs);
    return this.run(inputs, { training: !!opts.training, generator: opts.generator ?? this.gen });
  }

  private checkInputs(inputs: Tensor[]): void {
    const want = this.inputShapes;
    if (inputs.length !== want.length)
      throw new StrataError(this.name, `expects ${want.length} input(s), got ${inputs.length}`);
    inputs.forEach((t, i) => {
      const w = want[i];
      let ok = t.shape.length === w.length + 1;
      for (let j = 0; ok && j < w.length; j++) ok = t.shape[j + 1] === w[j];
      if (!ok)
        throw new StrataError(
          `${this.name} input${want.length > 1 ? ` ${i}` : ''}`,
          `expected a batch of shape [N,${want[i]}], got [${t.shape}]`,
        );
    });
  }

  /** Inference on a batch (in chunks of `batchSize`), with no recording and nothing left to free. */
  predict(x: Tensor | Tensor[], opts: { batchSize?: number } = {}): Tensor {
    const inputs = Array.isArray(x) ? x : [x];
    const n = inputs[0].shape[0];
    const bs = opts.batchSize ?? 256;
    return noGrad(() =>
      scope(() => {
        if (n <= bs) return this.forward(inputs);
        const parts: Tensor[] = [];
        for (let i = 0; i < n; i += bs)
          parts.push(scope(() => this.forward(inputs.map((t) => slice(t, [i], [Math.min(n, i + bs)])))));
        return concat(parts, 0);
      }),
    );
  }

  /** Every layer's output for a batch (one input: add a batch axis of 1), by layer name. */
  activations(x: Tensor | Tensor[], layerNames?: readonly string[]): Map<string, Tensor> {
    const inputs = Array.isArray(x) ? x : [x];
    const want = layerNames ? new Set(layerNames) : null;
    if (want)
      for (const n of want)
        if (!this.layers.some((l) => l.name === n))
          throw new StrataError(
            'activations',
            `no layer named '${n}'; layers: ${this.layers.map((l) => l.name).join(', ')}`,
          );
    const out = new Map<string, Tensor>();
    noGrad(() =>
      scope(() => {
        this.checkInputs(inputs);
        this.run(inputs, { training: false, generator: this.gen }, (layer, t) => {
          if (!want || want.has(layer.name)) out.set(layer.name, t);
        });
        return [...out.values()];
      }),
    );
    return out;
  }

  /** Trainable parameters, in layer order. */
  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.trainableParams());
  }

  /** Every parameter and buffer by its full name (`layer.param`): what is saved. */
  namedState(): Map<string, Parameter> {
    const m = new Map<string, Parameter>();
    for (const l of this.layers) for (const p of l.params.values()) m.set(p.name, p);
    return m;
  }

  paramCount(): number {
    return this.layers.reduce((a, l) => a + l.paramCount(), 0);
  }

  abstract summaryRows(): SummaryRow[];

  /** A table of layers with output shapes, parameter counts and FLOPs per example. */
  summary(): string {
    const rows = this.summaryRows();
    const head = ['layer', 'type', 'output shape', 'params', 'FLOPs'];
    const cells = rows.map((r) => [
      r.name,
      r.type,
      `[${r.outputShape}]`,
      r.params.toLocaleString('en-US'),
      fmtFlops(r.flops),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: string[]) =>
      c.map((v, i) => (i >= 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
    const total = rows.reduce((a, r) => a + r.params, 0);
    const flops = rows.reduce((a, r) => a + r.flops, 0);
    return [
      line(head),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...cells.map(line),
      `total: ${total.toLocaleString('en-US')} parameters, ${fmtFlops(flops)} FLOPs per example, input [${this.inputShapes.map((s) => `[${s}]`).join(', ')}]`,
    ].join('\n');
  }
}

function fmtFlops(f: number): string {
  if (f >= 1e9) return `${(f / 1e9).toFixed(2)}G`;
  if (f >= 1e6) return `${(f / 1e6).toFixed(2)}M`;
  if (f >= 1e3) return `${(f / 1e3).toFixed(1)}k`;
  return String(f);
}
