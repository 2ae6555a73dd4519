import { StrataError } from '../core/errors.js';
import type { Padding } from '../ops/window.js';

/**
 * Validation of layer options (internal to src/layers; not re-exported): each throws a StrataError
 * naming the layer and showing the value it got.
 */

export function optNumber(
  where: string,
  v: unknown,
  what: string,
  dflt: number,
  ok: (x: number) => boolean,
  rule: string,
): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !ok(v))
    throw new StrataError(where, `${what} must be ${rule}, got ${JSON.stringify(v)}`);
  return v;
}

export const optPosInt = (where: string, v: unknown, what: string, dflt: number): number =>
  optNumber(where, v, what, dflt, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');

export function reqPosInt(where: string, v: unknown, what: string): number {
  if (v === undefined) throw new StrataError(where, `needs ${what} (a positive integer)`);
  return optPosInt(where, v, what, 1);
}

export function optBool(where: string, v: unknown, what: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean')
    throw new StrataError(where, `${what} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function oneOf<T extends string>(
  where: string,
  v: unknown,
  what: string,
  ok: readonly T[],
  dflt: T,
): T {
  if (v === undefined) return dflt;
  if (!ok.includes(v as T))
    throw new StrataError(
      where,
      `${what} must be one of ${ok.map((o) => `'${o}'`).join(', ')}, got ${JSON.stringify(v)}`,
    );
  return v as T;
}

/** A number or `r` numbers (each passing `ok`) as a list of r. */
export function intList(
  where: string,
  v: unknown,
  what: string,
  r: number,
  dflt: number | number[],
  min = 1,
): number[] {
  const val = v ?? dflt;
  const list =
    typeof val === 'number' ? new Array<number>(r).fill(val) : Array.isArray(val) ? [...val] : null;
  if (!list || list.length !== r || !list.every((x) => Number.isInteger(x) && x >= min))
    throw new StrataError(
      where,
      `${what} must be an integer >= ${min} or ${r} of them, got ${JSON.stringify(val)}`,
    );
  return list;
}

/** Padding as a layer config holds it (JSON): checked for form here, resolved per input by normPadding. */
export function padOption(where: string, v: unknown, r: number, allowRules = true): Padding {
  if (v === undefined) return 0;
  if (v === 'same' || v === 'valid') {
    if (!allowRules) throw new StrataError(where, `padding must be a number or a list, got '${v}'`);
    return v;
  }
  const okInt = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  if (okInt(v)) return v as number;
  if (Array.isArray(v) && v.length === r) {
    if (v.every(okInt)) return [...v];
    if (v.every((p) => Array.isArray(p) && p.length === 2 && p.every(okInt)))
      return v.map((p) => [p[0], p[1]] as [number, number]);
  }
  throw new StrataError(
    where,
    `padding must be a non-negative integer, ${r} of them, ${r} [begin, end] pairs${allowRules ? ", 'same' or 'valid'" : ''}, got ${JSON.stringify(v)}`,
  );
}

/** Checks an input shape (without batch) is [C, ...r spatial] with positive sizes. */
export function expectSpatial(where: string, s: readonly number[], r: number): void {
  const names = ['[C,L]', '[C,H,W]', '[C,D,H,W]'][r - 1];
  if (s.length !== r + 1 || s.some((d) => !Number.isInteger(d) || d < 1))
    throw new StrataError(where, `expects input ${names} (without batch), got [${s}]`);
}

export const prod = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);
