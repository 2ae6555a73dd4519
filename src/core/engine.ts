import { type Backend, backendByName, type Kernel, type OutMeta, type Storage } from './backend.js';
import { StrataError } from './errors.js';
import type { Node, OpDef } from './op.js';
import { checkingNumerics, checkOutputs } from './numerics.js';
import { profileOp, profiling } from './profile.js';
import { setScopeHook, Tensor } from './tensor.js';

let gradEnabled = true;
let nodeId = 1;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording any op for autograd. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs `fn` with recording on (used by higher-order gradients). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

// ---------------------------------------------------------------- scopes

const scopes: Tensor[][] = [];

function track(t: Tensor): void {
  scopes[scopes.length - 1].push(t);
}

/** Tensors referenced by `value` (arrays, plain objects, Maps), found deeply. */
export function tensorsIn(value: unknown, out = new Set<Tensor>()): Set<Tensor> {
  if (value instanceof Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (value instanceof Map) for (const v of value.values()) tensorsIn(v, out);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) tensorsIn(v, out);
  return out;
}

/**
 * Runs `fn` and disposes every tensor it created that is provably dead when it returns: not in the
 * result, not reachable from the result's recorded graph, not kept. This is how the engine frees the
 * intermediates of a step or a predict call, so users never dispose anything.
 *
 * Tensors made inside a scope are not registered with the FinalizationRegistry when made (the scope
 * holds them, so none can be collected before it returns): the survivors go to the enclosing scope,
 * or are registered when no scope encloses this one; when `fn` throws, every tensor it made and did
 * not dispose is registered (the garbage collector reclaims them, as it would outside scopes).
 */
export function scope<T>(fn: () => T): T {
  scopes.push([]);
  setScopeHook(track);
  let result: T;
  let created: Tensor[];
  try {
    result = fn();
  } catch (e) {
    for (const t of scopes[scopes.length - 1]) t.registerForGc();
    throw e;
  } finally {
    created = scopes.pop()!;
    setScopeHook(scopes.length ? track : null);
  }
  const live = tensorsIn(result);
  // Keep everything the results' graphs still need for a later backward.
  const stack = [...live];
  while (stack.length) {
    const t = stack.pop()!;
    const n = t.node;
    if (!n || n.freed) continue;
    for (const list of [n.inputs, n.outputs])
      for (const x of list)
        if (!live.has(x)) {
          live.add(x);
          stack.push(x);
        }
  }
  const parent = scopes.length ? scopes[scopes.length - 1] : null;
  for (const t of created) {
    if (live.has(t) || t.kept) {
      if (parent) parent.push(t);
      else t.registerForGc();
    } else t.dispose();
  }
  return result;
}

/** Marks a tensor so no scope disposes it (parameters, optimizer state, results kept by the user). */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

// ---------------------------------------------------------------- running ops

const warned = new Set<string>();

/** The reference kernel standing in for an op `b` has no kernel for (warns once per backend and op). */
function fallbackKernel(b: Backend, op: string): Kernel<any> {
  const ref = backendByName('reference');
  const rk = ref.kernel(op);
  if (!rk) throw new StrataError(op, `no kernel on backend '${b.name}' nor on the reference backend`);
  if (!warned.has(`${b.name}:${op}`)) {
    warned.add(`${b.name}:${op}`);
    console.warn(`strata: backend '${b.name}' has no kernel for '${op}'; using the reference backend for it`);
  }
  return rk;
}

/**
 * Applies an op: infers and checks output shapes, runs the backend's kernel, and records the op on
 * the tape when an input requires a gradient. Every op of Strata goes through here.
 */
export function runOp<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor[] {
  if (profiling) return profileOp(op.name, () => runOp(op, inputs, attrs));
  // One pass over the inputs: same backend, and whether any wants a gradient.
  const backend = inputs.length ? inputs[0].backend : null;
  let wantsGrad = false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (t.backend !== backend)
      throw new StrataError(
        op.name,
        `inputs live on different backends ('${backend?.name}' and '${t.backend.name}'); move one with toBackend()`,
      );
    if (t.requiresGrad) wantsGrad = true;
  }
  const metas = op.infer(inputs, attrs);
  const outputs: Tensor[] = new Array(metas.length);
  if (op.alias) {
    outputs[0] = new Tensor(inputs[0].storage, metas[0].shape, metas[0].dtype);
  } else {
    if (!backend) throw new StrataError(op.name, 'an op without inputs needs a backend');
    for (let i = 0; i < metas.length; i++)
      if (!backend.dtypes.includes(metas[i].dtype))
        throw new StrataError(op.name, `backend '${backend.name}' does not support ${metas[i].dtype}`);
    const storages = execute(backend, op.name, inputs, attrs, metas);
    for (let i = 0; i < metas.length; i++)
      outputs[i] = new Tensor(storages[i], metas[i].shape, metas[i].dtype);
  }
  if (wantsGrad && gradEnabled && op.grad) {
    const node: Node = { id: nodeId++, op, inputs: [...inputs], outputs, attrs, freed: false };
    outputs.forEach((o, i) => {
      if (op.nondiffOutputs?.includes(i) || o.dtype === 'int32') return;
      o.node = node;
      o.requiresGrad = true;
    });
  }
  if (checkingNumerics) checkOutputs(op.name, inputs, outputs);
  return outputs;
}

function execute<A>(
  backend: Backend,
  name: string,
  inputs: readonly Tensor[],
  attrs: A,
  metas: readonly OutMeta[],
): Storage[] {
  const own = backend.kernel(name);
  if (own) return own(inputs, attrs, metas);
  const kernel = fallbackKernel(backend, name);
  const ref = backendByName('reference');
  const refInputs = inputs.map((t) => ({
    storage: ref.upload(backend.read(t.storage)),
    shape: t.shape,
    dtype: t.dtype,
  }));
  const outs = kernel(refInputs, attrs, metas);
  const res = outs.map((s) => backend.upload(ref.read(s)));
  for (const s of [...outs, ...refInputs.map((r) => r.storage)]) ref.free(s);
  return res;
}

/** Convenience for single-output ops. */
export function run1<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  return runOp(op, inputs, attrs)[0];
}
