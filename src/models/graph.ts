import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { CallContext, Layer } from '../layers/layer.js';
import { layerFromConfig } from '../layers/registry.js';
import { type BuildModelOptions, Model, type SummaryRow } from './model.js';
import { nameLayers } from './sequential.js';

export interface GraphNode {
  layer: Layer;
  /** Names of the layers (or graph inputs) feeding this one, in order. */
  inputs: string[];
}

export interface GraphOptions {
  name?: string;
  /** Named inputs with their shapes (without batch), in the order `forward` takes them. */
  inputs: Record<string, number[]>;
  /** The layers with their connections, in any order (sorted topologically). */
  nodes: GraphNode[];
  /** The name of the layer whose output is the model's output (default: the last node). */
  output?: string;
}

/**
 * A network as a directed acyclic graph of named layers — residual connections, several inputs — like
 * MATLAB's layer graph or Keras's functional API.
 */
export class Graph extends Model {
  private readonly inputNames: string[];
  private readonly inputShapesByName: Record<string, number[]>;
  private readonly order: GraphNode[];
  private readonly outputName: string;

  constructor(opts: GraphOptions) {
    super();
    this.name = opts.name ?? 'graph';
    this.inputNames = Object.keys(opts.inputs);
    if (this.inputNames.length === 0) throw new StrataError(this.name, 'needs at least one input');
    this.inputShapesByName = opts.inputs;
    nameLayers(opts.nodes.map((n) => n.layer));
    this.order = topoSort(this.name, this.inputNames, opts.nodes);
    this.outputName = opts.output ?? opts.nodes[opts.nodes.length - 1]?.layer.name;
    if (!this.order.some((n) => n.layer.name === this.outputName))
      throw new StrataError(this.name, `output '${this.outputName}' is not a layer of the graph`);
  }

  get layers(): Layer[] {
    return this.order.map((n) => n.layer);
  }

  get nodes(): readonly GraphNode[] {
    return this.order;
  }

  get inputShapes(): number[][] {
    return this.inputNames.map((n) => this.inputShapesByName[n]);
  }

  get outputShape(): number[] {
    return this.order.find((n) => n.layer.name === this.outputName)!.layer.outputShape;
  }

  build(opts: BuildModelOptions = {}): this {
    const gen = this.seedWith(opts.seed);
    const shapes = new Map<string, number[]>(this.inputNames.map((n) => [n, this.inputShapesByName[n]]));
    for (const n of this.order)
      shapes.set(
        n.layer.name,
        n.layer.build(
          n.inputs.map((i) => shapes.get(i)!),
          { generator: gen, dtype: opts.dtype },
        ),
      );
    return this;
  }

  protected run(inputs: Tensor[], ctx: CallContext, collect?: (layer: Layer, out: Tensor) => void): Tensor {
    if (!this.order.every((n) => n.layer.built)) this.build();
    const values = new Map<string, Tensor>(this.inputNames.map((n, i) => [n, inputs[i]]));
    for (const n of this.order) {
      const y = n.layer.call(
        n.inputs.map((i) => values.get(i)!),
        ctx,
      );
      values.set(n.layer.name, y);
      collect?.(n.layer, y);
    }
    return values.get(this.outputName)!;
  }

  summaryRows(): SummaryRow[] {
    if (!this.order.every((n) => n.layer.built)) this.build();
    return this.order.map((n) => ({
      name: n.layer.name,
      type: n.layer.type,
      inputs: n.inputs,
      outputShape: n.layer.outputShape,
      params: n.layer.paramCount(),
      flops: n.layer.flops(n.layer.inputShapes),
    }));
  }

  toConfig(): Record<string, unknown> {
    return {
      type: 'Graph',
      name: this.name,
      inputs: this.inputShapesByName,
      output: this.outputName,
      layers: this.order.map((n) => ({ ...n.layer.toConfig(), inputs: n.inputs })),
    };
  }

  static fromConfig(c: Record<string, unknown>): Graph {
    if (!Array.isArray(c.layers) || !c.inputs || typeof c.inputs !== 'object')
      throw new StrataError('load', 'Graph config needs `inputs` and a `layers` array');
    return new Graph({
      name: typeof c.name === 'string' ? c.name : undefined,
      inputs: c.inputs as Record<string, number[]>,
      output: typeof c.output === 'string' ? c.output : undefined,
      nodes: c.layers.map((l: any) => {
        if (!Array.isArray(l.inputs))
          throw new StrataError('load', `graph layer '${l.name}' has no inputs list`);
        return { layer: layerFromConfig(l), inputs: l.inputs as string[] };
      }),
    });
  }
}

function topoSort(where: string, inputNames: string[], nodes: GraphNode[]): GraphNode[] {
  const byName = new Map(nodes.map((n) => [n.layer.name, n]));
  for (const n of inputNames)
    if (byName.has(n)) throw new StrataError(where, `a layer has the same name as the input '${n}'`);
  for (const n of nodes)
    for (const i of n.inputs)
      if (!byName.has(i) && !inputNames.includes(i))
        throw new StrataError(
          where,
          `layer '${n.layer.name}' takes '${i}', which is neither a layer nor an input`,
        );
  const order: GraphNode[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (n: GraphNode, path: string[]) => {
    const s = state.get(n.layer.name);
    if (s === 2) return;
    if (s === 1)
      throw new StrataError(where, `the connections form a cycle: ${[...path, n.layer.name].join(' → ')}`);
    state.set(n.layer.name, 1);
    for (const i of n.inputs) {
      const m = byName.get(i);
      if (m) visit(m, [...path, n.layer.name]);
    }
    state.set(n.layer.name, 2);
    order.push(n);
  };
  for (const n of nodes) visit(n, []);
  return order;
}
