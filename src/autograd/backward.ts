import { enableGrad, noGrad, scope } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import { checkingNumerics, numericsBackward } from '../core/numerics.js';
import type { Node } from '../core/op.js';
import { profileBackwardEnd, profileBackwardNode, profileBackwardStart, profiling } from '../core/profile.js';
import { shapesEqual } from '../core/shape.js';
import { aliasOf, type Tensor } from '../core/tensor.js';
import { addGrad, aliasGrad, onesLike, zerosLike } from './hooks.js';

export interface BackwardOptions {
  /** Keep the graph so backward can run over it again (default false: it is freed). */
  retainGraph?: boolean;
  /** Record the gradient computation itself, for higher-order gradients (implies retainGraph). */
  createGraph?: boolean;
}

/** Nodes reachable from the roots, each after every node that consumes its outputs. */
function topoOrder(roots: readonly Tensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: Array<[Node, boolean]> = [];
  for (const r of roots) if (r.node) stack.push([r.node, false]);
  while (stack.length) {
    const [n, done] = stack.pop()!;
    if (done) {
      order.push(n);
      continue;
    }
    if (seen.has(n)) continue;
    if (n.freed)
      throw new StrataError(
        'backward',
        `the graph through op '${n.op.name}' was already freed by an earlier backward; pass { retainGraph: true } to the first backward to run it twice`,
      );
    seen.add(n);
    stack.push([n, true]);
    for (const t of n.inputs) if (t.node && !seen.has(t.node)) stack.push([t.node, false]);
  }
  return order.reverse();
}

/**
 * Reverse-mode differentiation. Walks the recorded graph from `roots` back to the leaves,
 * accumulating gradients where a tensor feeds several ops. With `wrt`, returns the gradients of
 * those tensors (and touches no `.grad`); without, accumulates into the `.grad` of every leaf that
 * requires a gradient (and of tensors marked with retainGrad).
 */
export function gradients(
  roots: readonly Tensor[],
  seeds: ReadonlyArray<Tensor | null>,
  wrt: readonly Tensor[] | null,
  opts: BackwardOptions = {},
): Map<Tensor, Tensor> {
  const createGraph = !!opts.createGraph;
  const retain = createGraph || !!opts.retainGraph;
  const order = topoOrder(roots);
  const wanted = new Set(wrt ?? []);
  const grads = new Map<Tensor, Tensor>();
  const result = new Map<Tensor, Tensor>();
  const run = createGraph ? enableGrad : noGrad;

  run(() => {
    if (profiling) profileBackwardStart();
    roots.forEach((r, i) => {
      if (!r.requiresGrad)
        throw new StrataError(
          'backward',
          `tensor [${r.shape}] does not require a gradient (no input of it requires one)`,
        );
      let s = seeds[i];
      if (!s) {
        if (r.size !== 1)
          throw new StrataError(
            'backward',
            `needs a gradient argument for a non-scalar tensor of shape [${r.shape}]`,
          );
        s = onesLike(r);
      } else if (!shapesEqual(s.shape, r.shape))
        throw new StrataError(
          'backward',
          `gradient shape [${s.shape}] does not match tensor shape [${r.shape}]`,
        );
      accumulate(grads, r, s);
    });
    const deliver = (t: Tensor, g: Tensor) => {
      if (wrt) {
        if (wanted.has(t)) result.set(t, g);
      } else if (t.isLeaf || t.retainsGrad) {
        t.grad = t.grad ? addGrad(t.grad, g) : g;
      }
    };
    for (const node of order) {
      if (profiling) profileBackwardNode(node);
      if (checkingNumerics) numericsBackward(node);
      const dys = node.outputs.map((o) => grads.get(o) ?? null);
      if (dys.every((d) => d === null)) continue;
      for (const o of node.outputs) {
        const g = grads.get(o);
        if (g && o.node === node && (o.retainsGrad || wanted.has(o))) deliver(o, g);
      }
      // Zeros for the outputs that got no gradient, except those that never carry one
      // (nondiffOutputs, such as max-pool indices): their gradient functions never read them.
      const nondiff = node.op.nondiffOutputs;
      const filled = dys.map(
        (d, i) => d ?? (nondiff?.includes(i) ? (null as unknown as Tensor) : zerosLike(node.outputs[i])),
      );
      const ctx = { inputs: node.inputs, outputs: node.outputs, attrs: node.attrs };
      const gin = scope(() => {
        const thunks = node.op.grad!(filled, ctx);
        return node.inputs.map((x, i) => {
          const th = thunks[i];
          if (!th || !x.requiresGrad) return null;
          let g = th();
          // A gradient that passes an output gradient through unchanged gets its own tensor (same
          // storage), so freeing the consumed output gradient below cannot free it. Recording the
          // gradient (createGraph), the alias is an op, so the gradient keeps its history (a bare
          // alias would cut every second-order path through add, sub and other pass-through ops).
          if (filled.includes(g)) g = createGraph ? aliasGrad(g) : aliasOf(g, g.shape);
          if (!shapesEqual(g.shape, x.shape))
            throw new StrataError(
              node.op.name,
              `internal: gradient for input ${i} has shape [${g.shape}], input has [${x.shape}]`,
            );
          return g;
        });
      });
      // The output gradients of this node are consumed: free them unless handed out.
      if (!createGraph)
        node.outputs.forEach((o) => {
          const g = grads.get(o);
          grads.delete(o);
          if (g && !(o.retainsGrad || wanted.has(o) || roots.includes(o))) g.dispose();
        });
      node.inputs.forEach((x, i) => {
        const g = gin[i];
        if (!g) return;
        if (x.node) accumulate(grads, x, g);
        else {
          const prev = grads.get(x);
          const sum = prev ? addGrad(prev, g) : g;
          grads.set(x, sum);
        }
      });
    }
    for (const [t, g] of grads) if (!t.node) deliver(t, g);
    if (checkingNumerics) numericsBackward(null);
    if (profiling) profileBackwardEnd();
  });

  if (!retain)
    for (const n of order) {
      n.freed = true;
      n.inputs = [];
      n.outputs = [];
    }
  return result;
}

function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  grads.set(t, prev ? addGrad(prev, g) : g);
}
