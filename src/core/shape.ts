import { check, fmtShape, StrataError } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of several shapes; throws naming the op and showing every shape. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  let rank = 0;
  for (const s of shapes) if (s.length > rank) rank = s.length;
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else
        throw new StrataError(
          op,
          `shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together (dimension ${o - rank}: ${out[o]} vs ${d})`,
        );
    }
  }
  return out;
}

/** Strides of `shape` read as if broadcast to `outShape` (0 where broadcast). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const r = outShape.length;
  const res = new Array<number>(r).fill(0);
  // row-major strides computed from the last axis, written where the axis lands in the output
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = r - shape.length + i;
    res[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : acc;
    acc *= shape[i];
  }
  return res;
}

/** Normalizes an axis (negative counts from the end) and checks it is in range. */
export function normAxis(op: string, axis: number, rank: number): number {
  check(
    Number.isInteger(axis) && axis >= -rank && axis < Math.max(rank, 1),
    op,
    () => `axis ${axis} is out of range for a tensor of rank ${rank}`,
  );
  return axis < 0 ? axis + rank : axis;
}

/** Normalizes a list of axes (undefined = all), sorted, unique. */
export function normAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const res = [...new Set(list.map((a) => normAxis(op, a, rank)))].sort((a, b) => a - b);
  if (res.length !== list.length) throw new StrataError(op, `axes ${JSON.stringify(list)} repeat an axis`);
  return res;
}

/** Shape after reducing `axes`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

export function checkShape(op: string, shape: Shape): void {
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!(Number.isInteger(d) && d >= 0))
      throw new StrataError(op, `shape ${fmtShape(shape)} must hold non-negative integers`);
  }
}
