/**
 * The op database: every entry of every file in this folder (except index.ts, types.ts and files
 * starting with `_`), plus the one way of making a case's inputs that every driver and the golden
 * exporter share, so all of them see the same values.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gradients } from '../../src/autograd/backward.js';
import { type Backend, backendByName } from '../../src/core/backend.js';
import { fromTypedArray } from '../../src/core/creation.js';
import type { DType } from '../../src/core/dtype.js';
import { scope } from '../../src/core/engine.js';
import { Generator } from '../../src/core/random.js';
import { sizeOf } from '../../src/core/shape.js';
import { Tensor } from '../../src/index.js';
import type { InputSpec, OpCase, OpEntry, Skips, Tolerance } from './types.js';

export type { ErrorCase, InputSpec, OpCase, OpEntry, Skips, Tolerance } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Entry files, by family (the file name without .ts), sorted. */
export const families: ReadonlyMap<string, readonly OpEntry[]> = await loadFamilies();

async function loadFamilies(): Promise<Map<string, OpEntry[]>> {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .filter((f) => f !== 'index.ts' && f !== 'types.ts' && !f.startsWith('_'))
    .sort();
  const res = new Map<string, OpEntry[]>();
  for (const f of files) {
    const mod = await import(pathToFileURL(join(here, f)).href);
    if (!Array.isArray(mod.entries))
      throw new Error(
        `test/opdb/${f} must export \`entries: OpEntry[]\` (helpers go in files starting with _)`,
      );
    res.set(f.slice(0, -3), mod.entries);
  }
  return res;
}

/** Every entry of every family. */
export const entries: readonly OpEntry[] = [...families.values()].flat();

const familyByEntry = new Map<OpEntry, string>();
for (const [fam, es] of families) for (const e of es) familyByEntry.set(e, fam);

/** The family (entry file name) an entry comes from. */
export function familyOf(e: OpEntry): string {
  return familyByEntry.get(e)!;
}

/** `${entry.op}/${case.name}`: the name of a case in fixtures and test titles. */
export function caseKey(e: OpEntry, c: OpCase): string {
  return `${e.op}/${c.name}`;
}

/** FNV-1a, 32 bits, of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The seed of a case: from its name, so values do not change when entries are reordered. */
export function caseSeed(e: OpEntry, c: OpCase): number {
  return hashString(caseKey(e, c));
}

/** The skip reason of a driver for a case (the case's own, else the entry's), or undefined. */
export function skipOf(e: OpEntry, c: OpCase | null, key: keyof Skips | string): string | undefined {
  const get = (s?: Skips) => (s as Record<string, string | undefined> | undefined)?.[key];
  return (c && get(c.skip)) || get(e.skip);
}

export const defaultTolerance: Tolerance = { atol: 1e-4, rtol: 1e-3, reason: 'default' };

export function toleranceOf(e: OpEntry, c: OpCase): Tolerance {
  return c.tolerance ?? e.tolerance ?? defaultTolerance;
}

/** Whether an input is differentiated by the drivers: a float input not marked noGrad. */
export function isDiffInput(s: InputSpec): boolean {
  return !s.noGrad && s.kind !== 'mask' && s.kind !== 'int';
}

export function diffInputs(c: OpCase): number[] {
  return c.inputs.flatMap((s, i) => (isDiffInput(s) ? [i] : []));
}

export interface InputValues {
  shape: number[];
  /** The values in float64 (integers for int inputs). */
  values: Float64Array;
  int: boolean;
}

/** The values of a case's inputs, in float64, drawn from a generator seeded with `seed`. */
export function inputValues(c: OpCase, seed: number): InputValues[] {
  const g = new Generator(seed);
  const distinct = c.inputs.filter((s) => s.kind === 'distinct' && !s.values);
  // One spacing for every distinct input of the case, and offsets that keep them apart too.
  const step = Math.min(0.5, 4 / Math.max(1, ...distinct.map((s) => sizeOf(s.shape))));
  return c.inputs.map((s) => {
    const n = sizeOf(s.shape);
    const v = new Float64Array(n);
    if (s.values) {
      if (s.values.length !== n)
        throw new Error(`input [${s.shape}] needs ${n} values, the spec has ${s.values.length}`);
      v.set(s.values);
    } else
      switch (s.kind ?? 'normal') {
        case 'normal':
          for (let i = 0; i < n; i++) v[i] = g.normal();
          break;
        case 'positive':
          for (let i = 0; i < n; i++) v[i] = g.uniform(0.5, 2);
          break;
        case 'unit':
          for (let i = 0; i < n; i++) v[i] = g.uniform(-0.9, 0.9);
          break;
        case 'nonzero':
          for (let i = 0; i < n; i++) v[i] = (g.random() < 0.5 ? -1 : 1) * g.uniform(0.5, 2);
          break;
        case 'distinct': {
          const perm = g.shuffle(Int32Array.from({ length: n }, (_, i) => i)) as Int32Array;
          const offset = (distinct.indexOf(s) * step) / (distinct.length + 1);
          for (let i = 0; i < n; i++) v[i] = (perm[i] - (n - 1) / 2) * step + offset;
          break;
        }
        case 'mask':
          for (let i = 0; i < n; i++) v[i] = g.random() < 0.5 ? 0 : 1;
          break;
        case 'int':
          for (let i = 0; i < n; i++) v[i] = g.int(s.high ?? 10);
          break;
      }
    return { shape: [...s.shape], values: v, int: s.kind === 'int' };
  });
}

export interface MakeInputsOptions {
  /** Float type of the float inputs (default float64); int inputs are int32. */
  dtype?: DType;
  backend?: Backend | string;
  seed: number;
}

/** The tensors of a case's inputs (leaves, not requiring a gradient). */
export function makeInputs(c: OpCase, opts: MakeInputsOptions): Tensor[] {
  const backend = typeof opts.backend === 'string' ? backendByName(opts.backend) : opts.backend;
  const dtype = opts.dtype ?? 'float64';
  return inputValues(c, opts.seed).map((x) =>
    fromTypedArray(x.values, x.shape, { backend, dtype: x.int ? 'int32' : dtype }),
  );
}

/** The weights w that reduce a case's outputs to the scalar Σ output·w for gradients (U(-1, 1)). */
export function outputWeights(seed: number, shapes: readonly (readonly number[])[]): Float64Array[] {
  const g = new Generator((seed ^ 0x5eed1234) >>> 0);
  return shapes.map((s) => {
    const w = new Float64Array(sizeOf(s));
    for (let i = 0; i < w.length; i++) w[i] = g.uniform(-1, 1);
    return w;
  });
}

/** A cheap fingerprint of a case's input values, stored in the fixtures to detect stale ones. */
export function inputsFingerprint(xs: readonly InputValues[]): string {
  let h = 0x811c9dc5;
  for (const x of xs) {
    const bytes = new Uint8Array(Float64Array.from(x.values).buffer);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
    for (const d of x.shape) h = Math.imul(h ^ (d + 0x100), 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export interface HostTensor {
  shape: number[];
  dtype: DType;
  data: Float64Array;
}

export interface CaseResult {
  outputs: HostTensor[];
  /** Per input: the gradient of Σ output·w, or null (not differentiated); null when no output has a gradient. */
  grads: (HostTensor | null)[] | null;
  weights: Float64Array[];
}

function host(t: Tensor): HostTensor {
  return { shape: [...t.shape], dtype: t.dtype, data: Float64Array.from(t.data()) };
}

/**
 * Runs a case: outputs, and the gradients of Σ output·w with respect to its differentiable inputs
 * (w from outputWeights). Everything it creates on the backend is freed before it returns.
 */
export function evaluateCase(
  e: OpEntry,
  c: OpCase,
  opts: { dtype?: DType; backend?: Backend | string; grads?: boolean } = {},
): CaseResult {
  const seed = caseSeed(e, c);
  return scope(() => {
    const xs = makeInputs(c, { ...opts, seed });
    const diff = diffInputs(c);
    for (const i of diff) xs[i].requireGrad();
    const r = c.run(...xs);
    const outs = r instanceof Tensor ? [r] : r;
    const weights = outputWeights(
      seed,
      outs.map((o) => o.shape),
    );
    const outputs = outs.map(host);
    const diffOuts = outs.flatMap((o, k) => (o.requiresGrad && o.dtype !== 'int32' ? [k] : []));
    let grads: (HostTensor | null)[] | null = null;
    if (opts.grads !== false && diffOuts.length && diff.length) {
      const seeds = diffOuts.map((k) =>
        fromTypedArray(weights[k], outs[k].shape, { backend: outs[k].backend, dtype: outs[k].dtype }),
      );
      const g = gradients(
        diffOuts.map((k) => outs[k]),
        seeds,
        diff.map((i) => xs[i]),
      );
      grads = xs.map((x, i) => {
        if (!diff.includes(i)) return null;
        const gi = g.get(x);
        return gi ? host(gi) : { shape: [...x.shape], dtype: x.dtype, data: new Float64Array(x.size) };
      });
    }
    return { outputs, grads, weights };
  });
}

/** Largest violation of |a − b| <= atol + rtol·|b| (0 when within tolerance) and where it is. */
export function compareArrays(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  atol: number,
  rtol: number,
): { ok: boolean; worst: string } {
  if (a.length !== b.length) return { ok: false, worst: `length ${a.length} vs ${b.length}` };
  let worstExcess = 0;
  let worst = '';
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    const err = Math.abs(x - y);
    const excess = err - (atol + rtol * Math.abs(y));
    if (!(excess <= 0) && (worst === '' || excess > worstExcess)) {
      worstExcess = excess;
      worst = `element ${i}: got ${x}, expected ${y} (|diff| ${err.toExponential(2)})`;
    }
  }
  return { ok: worst === '', worst };
}
