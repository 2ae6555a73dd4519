import { gradcheck } from '../autograd/gradcheck.js';
import { getBackend, setBackend } from '../core/backend.js';
import { fromTypedArray, normal } from '../core/creation.js';
import { noGrad } from '../core/engine.js';
import { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { cast } from '../ops/unary.js';
import { concat, slice } from '../ops/shape.js';
import { type CallContext, type Layer, Parameter } from './layer.js';
import { layerFromConfig } from './registry.js';

/**
 * checkLayer, like MATLAB's checkLayer: runs a layer through the checks every layer must pass and
 * reports each one, passed or failed and why. Everything runs in float64 on the reference backend on
 * a twin of the layer (same state, float64 copies of its parameters); the layer itself is untouched.
 */

export type CheckName = 'outputShape' | 'batchConsistency' | 'gradient' | 'serialization';

export interface CheckResult {
  name: CheckName;
  /** Which variant ran (for example the gradient check in 'training' mode). */
  detail?: string;
  passed: boolean;
  /** Set when the check did not run (the reason is in `message`); a skipped check does not fail. */
  skipped?: boolean;
  message: string;
}

export interface LayerCheckReport {
  layer: string;
  passed: boolean;
  checks: CheckResult[];
  /** One line per check. */
  toString(): string;
}

export interface CheckLayerOptions {
  /** Batch size for the shape and gradient checks (default 2). */
  batchSize?: number;
  /** Seed of the random inputs and of the layer's generator (default 0). */
  seed?: number;
  /** Modes in which to check the gradient (default both). */
  gradientModes?: ReadonlyArray<'inference' | 'training'>;
  /** Tolerances of the float64 gradient check (defaults 1e-6 and 1e-4). */
  atol?: number;
  rtol?: number;
  /** Largest relative difference allowed in the batch and serialization checks (default 1e-10). */
  tolerance?: number;
  /** Checks to leave out, each with the reason written in the report. */
  skip?: Partial<Record<CheckName, string>>;
}

const fmt = (ss: number[][]) => ss.map((s) => `[${s}]`).join(', ');

function maxRelDiff(a: Tensor, b: Tensor): number {
  const x = a.data();
  const y = b.data();
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (Number.isNaN(d) && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return Number.POSITIVE_INFINITY;
    if (d > 0) m = Math.max(m, d / Math.max(1, Math.abs(x[i]), Math.abs(y[i])));
  }
  return m;
}

/**
 * A float64 twin of `src` for `shapes`: the same object state (a shallow clone, so options that the
 * config might forget still count) with its own parameters — float64 copies of src's when src is
 * built, else fresh ones from building the twin. `src` itself is left untouched.
 */
function float64Twin(src: Layer, shapes: number[][], seed: number): Layer {
  const twin = Object.assign(Object.create(Object.getPrototypeOf(src)), src) as Layer;
  (twin as { params: Map<string, Parameter> }).params = new Map();
  if (src.built) {
    src.checkInputs(shapes);
    for (const [k, p] of src.params)
      twin.params.set(
        k,
        new Parameter(
          p.name,
          fromTypedArray(Float64Array.from(p.value.data()), p.shape, { dtype: 'float64' }),
          p.trainable,
        ),
      );
  } else twin.build(shapes, { generator: new Generator(seed), dtype: 'float64' });
  return twin;
}

function copyParams(from: Layer, to: Layer): void {
  for (const [k, p] of from.params) {
    const q = to.params.get(k);
    if (!q) throw new Error(`the copy has no parameter '${k}'`);
    q.assign(fromTypedArray(Float64Array.from(p.value.data()), p.shape, { dtype: 'float64' }));
  }
}

/**
 * Checks a layer for the given input shape(s) (without batch):
 * - outputShape: the forward's output shape equals computeOutputShape;
 * - batchConsistency: in inference, a batch of N gives the same as N batches of one;
 * - gradient: float64 central differences agree with autograd, for the inputs and every trainable
 *   parameter, in inference and training mode (training randomness reseeded for every call);
 * - serialization: toConfig → JSON → layerFromConfig gives a layer with the same parameters and the
 *   same output (needs the layer registered).
 */
export function checkLayer(
  layer: Layer,
  inputShape: number[] | number[][],
  opts: CheckLayerOptions = {},
): LayerCheckReport {
  const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as number[][];
  const seed = opts.seed ?? 0;
  const N = opts.batchSize ?? 2;
  const tol = opts.tolerance ?? 1e-10;
  const checks: CheckResult[] = [];
  const prev = getBackend();
  const label = layer.where;
  setBackend('reference');
  const add = (r: CheckResult) => checks.push(r);
  const attempt = (name: CheckName, f: () => CheckResult | CheckResult[], detail?: string) => {
    if (opts.skip?.[name] !== undefined) {
      add({ name, detail, passed: true, skipped: true, message: `skipped: ${opts.skip[name]}` });
      return;
    }
    try {
      const r = f();
      for (const x of Array.isArray(r) ? r : [r]) add(x);
    } catch (e) {
      add({ name, detail, passed: false, message: `threw ${(e as Error).message}` });
    }
  };
  try {
    let copy: Layer;
    try {
      copy = float64Twin(layer, shapes, seed);
    } catch (e) {
      const message = `could not build for ${fmt(shapes)}: ${(e as Error).message}`;
      for (const name of ['outputShape', 'batchConsistency', 'gradient', 'serialization'] as const)
        add({ name, passed: false, message });
      return report(label, checks);
    }
    const gen = new Generator(seed + 1);
    const xs = shapes.map((s) => normal([N, ...s], 0, 1, { dtype: 'float64', generator: gen }));
    const ctx = (training: boolean): CallContext => ({ training, generator: new Generator(seed + 2) });
    const run = (l: Layer, inputs: Tensor[], training = false) =>
      noGrad(() => cast(l.forward(inputs, ctx(training)), 'float64'));

    attempt('outputShape', () => {
      const want = copy.computeOutputShape(shapes);
      const got = run(copy, xs).shape;
      const ok = got.length === want.length + 1 && got[0] === N && want.every((d, i) => d === got[i + 1]);
      return {
        name: 'outputShape',
        passed: ok,
        message: ok
          ? `[${want}] for input ${fmt(shapes)}`
          : `forward gave [${got}] for a batch of ${N}, computeOutputShape says [${want}] (without batch)`,
      };
    });

    attempt('batchConsistency', () => {
      const whole = run(copy, xs);
      const parts = Array.from({ length: N }, (_, i) =>
        run(
          copy,
          xs.map((x) => slice(x, [i], [i + 1])),
        ),
      );
      const d = maxRelDiff(whole, concat(parts, 0));
      return {
        name: 'batchConsistency',
        passed: d <= tol,
        message:
          d <= tol
            ? `a batch of ${N} equals ${N} batches of one (max relative difference ${d.toExponential(1)})`
            : `a batch of ${N} differs from ${N} batches of one by ${d.toExponential(3)} (relative), more than ${tol}`,
      };
    });

    for (const mode of opts.gradientModes ?? ['inference', 'training'])
      attempt(
        'gradient',
        () => {
          const params = copy.trainableParams();
          const f = (...ts: Tensor[]) => {
            const saved = params.map((p) => p.value);
            params.forEach((p, i) => {
              p.value = ts[xs.length + i];
            });
            try {
              return cast(copy.forward(ts.slice(0, xs.length), ctx(mode === 'training')), 'float64');
            } finally {
              params.forEach((p, i) => {
                p.value = saved[i];
              });
            }
          };
          const state = snapshot(copy);
          const r = gradcheck(f, [...xs, ...params.map((p) => p.value)], {
            atol: opts.atol ?? 1e-6,
            rtol: opts.rtol ?? 1e-4,
            seed,
          });
          restore(copy, state);
          const names = [
            ...shapes.map((_, i) => `input ${i}`),
            ...params.map((p) => `parameter '${p.name}'`),
          ];
          const failures = r.failures.map((f) =>
            f.replace(/^input (\d+)/, (_, i: string) => names[Number(i)] ?? `input ${i}`),
          );
          return {
            name: 'gradient',
            detail: mode,
            passed: r.ok,
            message: r.ok
              ? `${r.checked} elements of ${names.length} tensor(s) agree (max abs error ${r.maxAbsError.toExponential(1)})`
              : `analytic and numeric gradients differ: ${failures.join('; ')}`,
          };
        },
        mode,
      );

    attempt('serialization', () => {
      const cfg = JSON.parse(JSON.stringify(layer.toConfig()));
      const loaded = layerFromConfig(cfg);
      if (loaded.type !== layer.type)
        return {
          name: 'serialization',
          passed: false,
          message: `loaded as '${loaded.type}', expected '${layer.type}'`,
        };
      loaded.build(shapes, { generator: new Generator(seed + 3), dtype: 'float64' });
      const missing = [...copy.params.keys()].filter((k) => !loaded.params.has(k));
      const extra = [...loaded.params.keys()].filter((k) => !copy.params.has(k));
      if (missing.length || extra.length)
        return {
          name: 'serialization',
          passed: false,
          message: `parameters differ after loading: missing [${missing}], unexpected [${extra}]`,
        };
      for (const [k, p] of copy.params)
        if (p.shape.join() !== loaded.params.get(k)!.shape.join())
          return {
            name: 'serialization',
            passed: false,
            message: `parameter '${k}' has shape [${loaded.params.get(k)!.shape}] after loading, [${p.shape}] before`,
          };
      copyParams(copy, loaded);
      const d = maxRelDiff(run(copy, xs), run(loaded, xs));
      return {
        name: 'serialization',
        passed: d <= tol,
        message:
          d <= tol
            ? `config round trip gives the same output (${JSON.stringify(cfg.config)})`
            : `the loaded layer's output differs by ${d.toExponential(3)} (relative)`,
      };
    });
  } finally {
    setBackend(prev.name);
  }
  return report(label, checks);
}

/** Values of every parameter and buffer (the gradient check must not move running statistics). */
function snapshot(l: Layer): Map<string, Float64Array> {
  return new Map([...l.params].map(([k, p]) => [k, Float64Array.from(p.value.data())]));
}
function restore(l: Layer, s: Map<string, Float64Array>): void {
  for (const [k, v] of s) {
    const p = l.params.get(k)!;
    if (!p.trainable) p.assign(fromTypedArray(v, p.shape, { dtype: 'float64' }));
  }
}

function report(layer: string, checks: CheckResult[]): LayerCheckReport {
  return {
    layer,
    passed: checks.every((c) => c.passed),
    checks,
    toString() {
      return [
        `checkLayer ${layer}: ${this.passed ? 'passed' : 'FAILED'}`,
        ...checks.map(
          (c) =>
            `  ${c.skipped ? 'skip' : c.passed ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? ` (${c.detail})` : ''}: ${c.message}`,
        ),
      ].join('\n');
    },
  };
}
