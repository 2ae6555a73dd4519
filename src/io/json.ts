import { StrataError } from '../core/errors.js';

/**
 * JSON from files. JSON.parse accepts any nesting depth, but everything that later walks the value
 * recursively (JSON.stringify in a message, `${array}`, a config reader) overflows the stack on a
 * document nested thousands of levels deep: such documents are refused when parsed. No file Strata
 * writes comes near the limit.
 */
export const MAX_JSON_DEPTH = 64;

/** The nesting depth of a parsed JSON value (0 for a scalar), counted without recursion. */
export function jsonDepth(value: unknown, stopAt = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > stopAt) return max;
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push([x, depth]);
  }
  return max;
}

/** Parses JSON text read from `name`; errors (bad JSON, too deep) are StrataErrors of `where`. */
export function parseJson(text: string, where: string, name: string, maxDepth = MAX_JSON_DEPTH): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new StrataError(where, `${name} is not valid JSON (${(e as Error).message})`);
  }
  if (jsonDepth(value, maxDepth) > maxDepth)
    throw new StrataError(where, `${name} nests JSON more than ${maxDepth} levels deep`);
  return value;
}

/** A value as short JSON for a message (at most `max` characters; safe for any value). */
export function brief(value: unknown, max = 60): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = Array.isArray(value) ? '[…]' : typeof value === 'object' ? '{…}' : String(value);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
