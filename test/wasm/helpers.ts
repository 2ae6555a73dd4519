import assert from 'node:assert/strict';
import { getThreads, setThreads, wasmRuntime } from '../../src/backends/wasm/index.js';
import { backendByName } from '../../src/core/backend.js';
import { runOp } from '../../src/core/engine.js';
import type { OpDef } from '../../src/core/op.js';
import { Generator, type Tensor, tensor } from '../../src/index.js';

export const ref = backendByName('reference');
export const wasm = backendByName('wasm');

export type Kind = 'normal' | 'positive' | 'unit' | 'distinct' | 'int' | 'mask';
export interface Spec {
  shape: number[];
  kind?: Kind;
  high?: number;
  values?: number[];
}

/** Host data for an input spec, drawn from a generator seeded by `seed`. */
export function makeData(s: Spec, seed: number): Float32Array | Int32Array {
  const n = s.shape.reduce((p, d) => p * d, 1);
  const g = new Generator(seed);
  if (s.values) return s.kind === 'int' ? Int32Array.from(s.values) : Float32Array.from(s.values);
  if (s.kind === 'int') {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.floor(g.uniform(0, s.high ?? 10));
    return a;
  }
  const a = new Float32Array(n);
  if (s.kind === 'distinct') {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(g.uniform(0, i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    for (let i = 0; i < n; i++) a[i] = (idx[i] - n / 2) / Math.max(n, 1);
    return a;
  }
  for (let i = 0; i < n; i++)
    a[i] =
      s.kind === 'positive'
        ? g.uniform(0.5, 2)
        : s.kind === 'unit'
          ? g.uniform(-0.9, 0.9)
          : s.kind === 'mask'
            ? Math.round(g.uniform(0, 1))
            : g.normal(0, 1);
  return a;
}

export interface Tol {
  atol?: number;
  rtol?: number;
}

/** Asserts |w − r| ≤ atol + rtol·|r| elementwise (NaN matches NaN, infinities must be equal). */
export function close(what: string, w: ArrayLike<number>, r: ArrayLike<number>, tol: Tol = {}): void {
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-5;
  assert.equal(w.length, r.length, `${what}: length`);
  for (let i = 0; i < r.length; i++) {
    const a = w[i];
    const b = r[i];
    if (Number.isNaN(b)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: wasm ${a}, reference NaN`);
      continue;
    }
    if (!Number.isFinite(b)) {
      assert.equal(a, b, `${what}[${i}]`);
      continue;
    }
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b)))
      assert.fail(`${what}[${i}]: wasm ${a}, reference ${b} (|diff| ${Math.abs(a - b)})`);
  }
}

/**
 * Runs `f` on float32 copies of the same inputs on the reference and wasm backends and compares every
 * output (and, when `exact`, demands identical values).
 */
export function compare(
  what: string,
  specs: Spec[],
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  tol: Tol & { exact?: boolean; seed?: number } = {},
): void {
  const datas = specs.map((s, i) => makeData(s, (tol.seed ?? 7) * 31 + i));
  const mk = (b: typeof ref) =>
    specs.map((s, i) =>
      tensor(datas[i], s.shape, { backend: b, dtype: s.kind === 'int' ? 'int32' : 'float32' }),
    );
  const rOut = [f(...mk(ref))].flat();
  const wOut = [f(...mk(wasm))].flat();
  assert.equal(wOut.length, rOut.length);
  rOut.forEach((r, k) => {
    const w = wOut[k];
    assert.equal(w.backend.name, 'wasm', `${what}: output ${k} left the wasm backend`);
    assert.deepEqual(w.shape, r.shape, `${what}: output ${k} shape`);
    assert.equal(w.dtype, r.dtype, `${what}: output ${k} dtype`);
    const label = `${what} [threads ${getThreads()}] out ${k}`;
    if (tol.exact || r.dtype === 'int32') assert.deepEqual(Array.from(w.data()), Array.from(r.data()), label);
    else close(label, w.data(), r.data(), tol);
  });
}

/** Runs a primitive op by its definition (attributes as the op table takes them). */
export function op<A>(def: OpDef<A>, attrs: A, nout = 1): (...xs: Tensor[]) => Tensor | Tensor[] {
  return (...xs) => {
    const o = runOp(def, xs, attrs);
    return nout === 1 ? o[0] : o;
  };
}

/** Runs `body` at 1 and at 2 threads, with every op split across threads however small. */
export function atThreads(body: () => void): void {
  const rt = wasmRuntime();
  const prev = rt.minParallelWork;
  for (const n of [1, 2]) {
    setThreads(n);
    rt.minParallelWork = 0;
    try {
      body();
    } finally {
      rt.minParallelWork = prev;
    }
  }
}
