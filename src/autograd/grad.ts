import { scope, tensorsIn } from '../core/engine.js';
import { StrataError } from '../core/errors.js';
import { aliasOf, Tensor } from '../core/tensor.js';
import { type BackwardOptions, gradients } from './backward.js';
import { zerosLike } from './hooks.js';

/** A tensor, or arrays/objects of tensors; gradients come back in the same structure. */
export type TensorTree = Tensor | readonly TensorTree[] | { readonly [k: string]: TensorTree };

function mapTree(t: TensorTree, f: (x: Tensor) => Tensor): TensorTree {
  if (t instanceof Tensor) return f(t);
  if (Array.isArray(t)) return t.map((x) => mapTree(x, f));
  const o: Record<string, TensorTree> = {};
  for (const [k, v] of Object.entries(t)) o[k] = mapTree(v as TensorTree, f);
  return o;
}

export interface ValueAndGrad<R> {
  value: R;
  grads: TensorTree[];
}

/**
 * Turns `f(...args) -> scalar` into a function returning its value and the gradient with respect to
 * every argument (each a tensor or a tree of tensors), like JAX's value_and_grad. Everything `f`
 * creates besides the value and the gradients is freed when it returns: no dispose needed.
 */
export function valueAndGrad(
  f: (...args: Tensor[]) => Tensor,
): (...args: Tensor[]) => { value: Tensor; grads: Tensor[] };
export function valueAndGrad<A extends TensorTree[]>(
  f: (...args: A) => Tensor,
): (...args: A) => { value: Tensor; grads: A };
export function valueAndGrad<A extends TensorTree[]>(
  f: (...args: A) => Tensor,
): (...args: A) => { value: Tensor; grads: A } {
  return (...args: A) =>
    scope(() => {
      const leaves: Tensor[] = [];
      const wrapped = args.map((a) =>
        mapTree(a, (t) => {
          const l = aliasOf(t, t.shape).requireGrad();
          leaves.push(l);
          return l;
        }),
      ) as unknown as A;
      const value = f(...wrapped);
      checkScalar(value);
      const g = value.requiresGrad ? gradients([value], [null], leaves) : new Map<Tensor, Tensor>();
      let i = 0;
      const grads = wrapped.map((a) =>
        mapTree(a, () => {
          const l = leaves[i++];
          return g.get(l) ?? zerosLike(l);
        }),
      ) as unknown as A;
      return { value: detach(value), grads };
    });
}

/** Like valueAndGrad, returning only the gradients (one per argument). */
export function grad(f: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => Tensor[];
export function grad<A extends TensorTree[]>(f: (...args: A) => Tensor): (...args: A) => A;
export function grad<A extends TensorTree[]>(f: (...args: A) => Tensor): (...args: A) => A {
  const vg = valueAndGrad(f);
  return (...args: A) => vg(...args).grads;
}

/**
 * The value of `f()` and its gradient with respect to the given tensors (model parameters, say), which
 * `f` uses from its closure. Intermediates are freed on return.
 */
export function valueAndGradOf(
  f: () => Tensor,
  params: readonly Tensor[],
): { value: Tensor; grads: Tensor[] } {
  return scope(() => {
    const value = f();
    checkScalar(value);
    const g = value.requiresGrad ? gradients([value], [null], params) : new Map<Tensor, Tensor>();
    return { value: detach(value), grads: params.map((p) => g.get(p) ?? zerosLike(p)) };
  });
}

/** Gradients of `outputs` with respect to `inputs` (PyTorch's autograd.grad). */
export function gradOf(
  outputs: Tensor | readonly Tensor[],
  inputs: readonly Tensor[],
  opts: BackwardOptions & { gradOutputs?: ReadonlyArray<Tensor | null> } = {},
): Tensor[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const g = gradients(outs, opts.gradOutputs ?? outs.map(() => null), inputs, opts);
  return inputs.map((x) => g.get(x) ?? zerosLike(x));
}

/** Runs backward from `t`, accumulating into the `.grad` of leaves that require a gradient. */
export function backward(t: Tensor, gradient?: Tensor | null, opts: BackwardOptions = {}): void {
  gradients([t], [gradient ?? null], null, opts);
}

function checkScalar(v: unknown): asserts v is Tensor {
  if (!(v instanceof Tensor)) throw new StrataError('valueAndGrad', 'the function must return a tensor');
  if (v.size !== 1)
    throw new StrataError('valueAndGrad', `the function must return a scalar, got shape [${v.shape}]`);
}

/** A tensor with the same data and no recorded history. */
export function detach(t: Tensor): Tensor {
  return aliasOf(t, t.shape);
}

export { tensorsIn };
