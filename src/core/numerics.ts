import { envVar } from './backend.js';
import { StrataError } from './errors.js';
import type { Tensor } from './tensor.js';

/**
 * Check-numerics mode: after every op, its floating-point outputs are scanned and the first NaN or
 * ±Infinity stops the program with an error naming the op, the layer, and whether it was the forward
 * or the backward pass. On with `STRATA_CHECK_NUMERICS=1`, `setCheckNumerics(true)` or the fit option
 * `checkNumerics`. Off, it costs one flag check per op and per layer call. On, every output is read
 * back to the host: a debugging mode, several times slower.
 *
 * Hooks: `runOp` calls `checkOutputs` after the kernel; `Layer.call` runs the forward inside
 * `numericsScope(layer)`; a recorded node remembers the layer that made it, and `backward` names it
 * (`numericsBackward`) while it runs the node's gradient, so an op of the gradient is charged to the
 * layer whose forward recorded it. The fit loop labels the loss and the optimizer step the same way.
 */
export let checkingNumerics = envVar('STRATA_CHECK_NUMERICS') === '1';

export function setCheckNumerics(on: boolean): void {
  checkingNumerics = on;
}

export function getCheckNumerics(): boolean {
  return checkingNumerics;
}

const scopes: string[] = [];
const nodeScope = new WeakMap<object, string>();
let backwardOf: { op: string; scope: string | undefined } | null = null;

/** The innermost label (a layer's `Conv2D 'conv1'`, or 'loss', 'optimizer adam'). */
export function numericsLabel(): string | undefined {
  return scopes[scopes.length - 1];
}

/** Runs `fn` with `label` as the current layer (or other part of a step) for error messages. */
export function numericsScope<T>(label: string, fn: () => T): T {
  scopes.push(label);
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}

/** Backward is about to run the gradient of `node` (null: the walk is over). */
export function numericsBackward(node: { op: { name: string } } | null): void {
  backwardOf = node ? { op: node.op.name, scope: nodeScope.get(node) } : null;
}

function firstBad(t: Tensor): { index: number; value: number } | null {
  if (t.dtype === 'int32' || t.size === 0) return null;
  const d = t.data();
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return { index: i, value: d[i] };
  return null;
}

/** Called by runOp after the kernel ran (when checking). Throws at the first non-finite output. */
export function checkOutputs(op: string, inputs: readonly Tensor[], outputs: readonly Tensor[]): void {
  const label = numericsLabel();
  for (const o of outputs) if (o.node && !backwardOf) nodeScope.set(o.node, label ?? '');
  for (const [k, o] of outputs.entries()) {
    const bad = firstBad(o);
    if (!bad) continue;
    const came = inputs.findIndex((x) => firstBad(x) !== null);
    const where = backwardOf
      ? `in the backward pass (the gradient of '${backwardOf.op}'${backwardOf.scope ? ` of layer ${backwardOf.scope}` : ''})`
      : `in the forward pass${label ? ` of ${/^(loss|optimizer)/.test(label) ? '' : 'layer '}${label}` : ' (outside any layer)'}`;
    backwardOf = null;
    throw new StrataError(
      op,
      `produced ${bad.value} ${where}: output ${k} [${o.shape}], element ${bad.index}${
        came >= 0
          ? `; input ${came} [${inputs[came].shape}] already held a non-finite value (it came from the data, a parameter or a tensor made outside the ops)`
          : ''
      } (check numerics)`,
    );
  }
}
