import { StrataError } from '../core/errors.js';
import {
  broadcastShapes,
  checkShape,
  normAxes,
  normAxis,
  type Shape,
  shapesEqual,
  sizeOf,
} from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { defineOp, type OpDef, run1 } from './define.js';
import { sumTo } from './reduce.js';

// ---------------------------------------------------------------- reshape (a view: no kernel)

export const reshapeOp = defineOp<{ shape: number[] }>({
  name: 'reshape',
  alias: true,
  infer: ([x], { shape }) => {
    if (sizeOf(shape) !== sizeOf(x.shape))
      throw new StrataError(
        'reshape',
        `cannot reshape [${x.shape}] (${sizeOf(x.shape)} elements) to [${shape}]`,
      );
    return [{ shape: [...shape], dtype: x.dtype }];
  },
  grad: ([dy], { inputs: [x] }) => [() => reshape(dy, x.shape)],
});

/** Same data, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    let rest = 1;
    for (let i = 0; i < s.length; i++) if (i !== neg) rest *= s[i];
    if (rest === 0 || x.size % rest !== 0)
      throw new StrataError('reshape', `cannot infer -1 in [${shape}] for ${x.size} elements`);
    s[neg] = x.size / rest;
  }
  checkShape('reshape', s);
  if (shapesEqual(s, x.shape)) return x;
  return run1(reshapeOp, [x], { shape: s });
}

// ---------------------------------------------------------------- permute

export const permuteOp = defineOp<{ perm: number[] }>({
  name: 'permute',
  infer: ([x], { perm }) => {
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i))
      throw new StrataError(
        'permute',
        `perm [${perm}] is not a permutation of the ${x.shape.length} axes of [${x.shape}]`,
      );
    return [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }];
  },
  grad: ([dy], { attrs: { perm } }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    return [() => permute(dy, inv)];
  },
});

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => normAxis('permute', a, x.rank));
  if (p.every((a, i) => a === i)) return x;
  return run1(permuteOp, [x], { perm: p });
}

/** Swaps two axes (the last two by default). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const r = x.rank;
  if (r < 2 && a === -2 && b === -1) return x;
  const p = Array.from({ length: r }, (_, i) => i);
  const ia = normAxis('transpose', a, r);
  const ib = normAxis('transpose', b, r);
  [p[ia], p[ib]] = [p[ib], p[ia]];
  return permute(x, p);
}

// ---------------------------------------------------------------- slice and its adjoint

export interface SliceAttrs {
  begin: number[];
  end: number[];
  step: number[];
}

function sliceShape(s: SliceAttrs): number[] {
  return s.begin.map((b, i) => Math.max(0, Math.ceil((s.end[i] - b) / s.step[i])));
}

export const sliceOp = defineOp<SliceAttrs>({
  name: 'slice',
  infer: ([x], a) => [{ shape: sliceShape(a), dtype: x.dtype }],
  grad: ([dy], { inputs: [x], attrs }) => [() => sliceScatter(dy, x.shape, attrs)],
});

/** The adjoint of slice: places `x` into zeros of `shape` at the sliced positions. */
export const sliceScatterOp = defineOp<SliceAttrs & { shape: number[] }>({
  name: 'sliceScatter',
  infer: ([x], a) => {
    if (!shapesEqual(sliceShape(a), x.shape))
      throw new StrataError('sliceScatter', `input [${x.shape}] does not match the slice [${sliceShape(a)}]`);
    return [{ shape: [...a.shape], dtype: x.dtype }];
  },
  grad: ([dy], { attrs }) => [
    () => run1(sliceOp, [dy], { begin: attrs.begin, end: attrs.end, step: attrs.step }),
  ],
});

function sliceScatter(x: Tensor, shape: Shape, a: SliceAttrs): Tensor {
  return run1(sliceScatterOp, [x], { ...a, shape: [...shape] });
}

/**
 * Slices along every axis: `begin`, `end` (exclusive) and `step` per axis, missing axes taken whole.
 * Negative indices count from the end; ends are clamped; steps must be positive (use flip to reverse).
 */
export function slice(
  x: Tensor,
  begin: readonly number[],
  end?: readonly (number | undefined)[],
  step?: readonly number[],
): Tensor {
  const r = x.rank;
  if (begin.length > r)
    throw new StrataError('slice', `${begin.length} begin indices for a tensor of rank ${r}`);
  const a: SliceAttrs = { begin: [], end: [], step: [] };
  for (let i = 0; i < r; i++) {
    const d = x.shape[i];
    const st = step?.[i] ?? 1;
    if (!Number.isInteger(st) || st < 1)
      throw new StrataError('slice', `step ${st} on axis ${i} must be a positive integer`);
    let b = begin[i] ?? 0;
    let e = end?.[i] ?? d;
    if (b < 0) b += d;
    if (e < 0) e += d;
    b = Math.min(Math.max(b, 0), d);
    e = Math.min(Math.max(e, b), d);
    a.begin.push(b);
    a.end.push(e);
    a.step.push(st);
  }
  return run1(sliceOp, [x], a);
}

// ---------------------------------------------------------------- concat / stack

export const concatOp = defineOp<{ axis: number }>({
  name: 'concat',
  infer: (inputs, { axis }) => {
    if (inputs.length === 0) throw new StrataError('concat', 'needs at least one tensor');
    const s0 = inputs[0].shape;
    let total = 0;
    for (const [k, t] of inputs.entries()) {
      if (t.dtype !== inputs[0].dtype)
        throw new StrataError('concat', `input ${k} is ${t.dtype}, input 0 is ${inputs[0].dtype}`);
      if (t.shape.length !== s0.length || t.shape.some((d, i) => i !== axis && d !== s0[i]))
        throw new StrataError(
          'concat',
          `input ${k} has shape [${t.shape}], which does not match [${s0}] outside axis ${axis}`,
        );
      total += t.shape[axis];
    }
    const shape = [...s0];
    shape[axis] = total;
    return [{ shape, dtype: inputs[0].dtype }];
  },
  grad: ([dy], { inputs, attrs: { axis } }) => {
    let off = 0;
    return inputs.map((x) => {
      const b = off;
      off += x.shape[axis];
      return () => {
        const begin = dy.shape.map((_, i) => (i === axis ? b : 0));
        const end = dy.shape.map((d, i) => (i === axis ? b + x.shape[axis] : d));
        return slice(dy, begin, end);
      };
    });
  },
});

export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new StrataError('concat', 'needs at least one tensor');
  if (xs.length === 1) return xs[0];
  return run1(concatOp, xs, { axis: normAxis('concat', axis, xs[0].rank) });
}

/** Stacks tensors of one shape along a new axis. Composite (unsqueeze + concat). */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new StrataError('stack', 'needs at least one tensor');
  const ax = normAxis('stack', axis, xs[0].rank + 1);
  for (const [k, t] of xs.entries())
    if (!shapesEqual(t.shape, xs[0].shape))
      throw new StrataError('stack', `tensor ${k} has shape [${t.shape}], tensor 0 has [${xs[0].shape}]`);
  return run1(
    concatOp,
    xs.map((t) => unsqueeze(t, ax)),
    { axis: ax },
  );
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = normAxis('unsqueeze', axis, x.rank + 1);
  const s = [...x.shape];
  s.splice(ax, 0, 1);
  return reshape(x, s);
}

/** Removes size-1 axes (all of them, or the given ones, which must have size 1). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const ax =
    axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes('squeeze', axes, x.rank);
  for (const a of ax)
    if (x.shape[a] !== 1)
      throw new StrataError('squeeze', `axis ${a} of [${x.shape}] has size ${x.shape[a]}, not 1`);
  return reshape(
    x,
    x.shape.filter((_, i) => !ax.includes(i)),
  );
}

/** Flattens axes from `start` to `end` (inclusive) into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis('flatten', start, x.rank);
  const e = normAxis('flatten', end, x.rank);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

// ---------------------------------------------------------------- pad and its adjoint

export type PadMode = 'constant' | 'reflect' | 'edge';
export interface PadAttrs {
  /** Per axis: elements added before and after. */
  before: number[];
  after: number[];
  mode: PadMode;
  value: number;
}

export const padOp: OpDef<PadAttrs> = defineOp<PadAttrs>({
  name: 'pad',
  infer: ([x], a) => {
    x.shape.forEach((d, i) => {
      if (a.before[i] < 0 || a.after[i] < 0)
        throw new StrataError(
          'pad',
          `pads must be non-negative, got ${a.before[i]} and ${a.after[i]} on axis ${i}`,
        );
      if (a.mode === 'reflect' && (a.before[i] >= d || a.after[i] >= d) && (a.before[i] || a.after[i]))
        throw new StrataError('pad', `reflect pads on axis ${i} must be smaller than its size ${d}`);
      if (a.mode === 'edge' && d === 0 && (a.before[i] || a.after[i]))
        throw new StrataError('pad', `edge padding of the empty axis ${i}`);
    });
    return [{ shape: x.shape.map((d, i) => d + a.before[i] + a.after[i]), dtype: x.dtype }];
  },
  grad: ([dy], { inputs: [x], attrs }) => [
    () => run1(padBackwardOp, [dy], { ...attrs, shape: [...x.shape] }),
  ],
});

/** The adjoint of pad: sums each padded position's value back onto the input position it copies. */
export const padBackwardOp: OpDef<PadAttrs & { shape: number[] }> = defineOp<PadAttrs & { shape: number[] }>({
  name: 'padBackward',
  infer: ([x], a) => {
    const expect = a.shape.map((d, i) => d + a.before[i] + a.after[i]);
    if (!shapesEqual(expect, x.shape))
      throw new StrataError('padBackward', `input [${x.shape}] is not the padded shape [${expect}]`);
    return [{ shape: [...a.shape], dtype: x.dtype }];
  },
  grad: ([dy], { attrs }) => [() => run1(padOp, [dy], attrs)],
});

/**
 * Pads every axis: `pads` is a list of [before, after] per axis from the first (missing trailing axes
 * unpadded). Modes: constant (`value`), reflect (mirror without the edge), edge (repeat the edge).
 */
export function pad(
  x: Tensor,
  pads: ReadonlyArray<readonly [number, number]>,
  mode: PadMode = 'constant',
  value = 0,
): Tensor {
  if (pads.length > x.rank)
    throw new StrataError('pad', `${pads.length} pad pairs for a tensor of rank ${x.rank}`);
  const before = x.shape.map((_, i) => pads[i]?.[0] ?? 0);
  const after = x.shape.map((_, i) => pads[i]?.[1] ?? 0);
  if (![...before, ...after].every(Number.isInteger)) throw new StrataError('pad', 'pads must be integers');
  if (!['constant', 'reflect', 'edge'].includes(mode)) throw new StrataError('pad', `unknown mode '${mode}'`);
  return run1(padOp, [x], { before, after, mode, value });
}

// ---------------------------------------------------------------- flip, broadcastTo

export const flipOp: OpDef<{ axes: number[] }> = defineOp<{ axes: number[] }>({
  name: 'flip',
  infer: ([x]) => [{ shape: [...x.shape], dtype: x.dtype }],
  grad: ([dy], { attrs }) => [() => run1(flipOp, [dy], attrs)],
});

export const flip = (x: Tensor, axes?: number | readonly number[]): Tensor =>
  run1(flipOp, [x], { axes: normAxes('flip', axes, x.rank) });

export const broadcastToOp = defineOp<{ shape: number[] }>({
  name: 'broadcastTo',
  infer: ([x], { shape }) => {
    const b = broadcastShapes('broadcastTo', x.shape, shape);
    if (!shapesEqual(b, shape))
      throw new StrataError('broadcastTo', `cannot broadcast [${x.shape}] to [${shape}]`);
    return [{ shape: [...shape], dtype: x.dtype }];
  },
  grad: ([dy], { inputs: [x] }) => [() => sumTo(dy, x.shape)],
});

export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  return run1(broadcastToOp, [x], { shape: [...shape] });
}
