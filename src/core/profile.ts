import { envVar } from './backend.js';

/**
 * The profiler: time per op and per layer, forward and backward. On with `STRATA_PROFILE=1` (the
 * table is printed when the process exits) or `setProfiling(true)` (then call `profileReport()`).
 *
 * Hooks, each a single check of the `profiling` flag when off: `runOp` times every op by name;
 * `Layer.call` times each layer's forward; backward marks its phase and, for each recorded node, the
 * layer that recorded it (kept from the forward), so the ops of the gradient and the walk's own work
 * are charged to that layer. Ops outside any layer (loss, optimizer) go to `(outside layers)`.
 * Timing is synchronous wall time: the wasm kernels return when every thread is done.
 */
export let profiling = envVar('STRATA_PROFILE') === '1';

type Phase = 'forward' | 'backward';
interface Stat {
  ms: number;
  calls: number;
}
/** What the profiler needs of a layer (core does not import layers). */
interface LayerLike {
  name: string;
  readonly type: string;
}

const OUTSIDE = '(outside layers)';
/** One map per phase, so the hooks look up a name without building a key string per call. */
type PhaseStats = Record<Phase, Map<string, Stat>>;
const phaseStats = (): PhaseStats => ({ forward: new Map(), backward: new Map() });
const opStatsByPhase = phaseStats(); // by op
const opInLayerByPhase = phaseStats(); // by layer: time inside ops only
const layerStatsByPhase = phaseStats(); // by layer: wall time of the layer
const layerTypes = new Map<string, string>();
const layerStack: LayerLike[] = [];
const nodeLayer = new WeakMap<object, string>();
let phase: Phase = 'forward';
let backwardLayer: string | null = null;
let backwardT0 = 0;
let passes = 0;
let firstLayer: LayerLike | null = null;
let forwardPasses = 0;
let lastStepStart = 0;
const stepTimes: number[] = [];

function add(pm: PhaseStats, ph: Phase, key: string, ms: number): void {
  const m = pm[ph];
  const s = m.get(key);
  if (s) {
    s.ms += ms;
    s.calls++;
  } else m.set(key, { ms, calls: 1 });
}

const label = (l: LayerLike) => l.name || l.type;

/** Turns the profiler on or off (clearing nothing: see `resetProfile`). */
export function setProfiling(on: boolean): void {
  profiling = on;
}

/** Forgets every figure collected so far. */
export function resetProfile(): void {
  for (const m of [opStatsByPhase, opInLayerByPhase, layerStatsByPhase]) {
    m.forward.clear();
    m.backward.clear();
  }
  layerTypes.clear();
  passes = forwardPasses = 0;
  firstLayer = null;
  lastStepStart = 0;
  stepTimes.length = 0;
}

/** Times one op (called by `runOp` when profiling; the op's own nested ops are not timed apart). */
export function profileOp<T extends readonly { node?: object | null }[]>(name: string, run: () => T): T {
  profiling = false;
  const t0 = performance.now();
  let outs: T;
  try {
    outs = run();
  } finally {
    profiling = true;
  }
  const ms = performance.now() - t0;
  const where =
    phase === 'backward'
      ? (backwardLayer ?? OUTSIDE)
      : layerStack.length
        ? label(layerStack.at(-1)!)
        : OUTSIDE;
  add(opStatsByPhase, phase, name, ms);
  add(opInLayerByPhase, phase, where, ms);
  if (phase === 'forward')
    for (const o of outs) if (o.node && !nodeLayer.has(o.node)) nodeLayer.set(o.node, where);
  return outs;
}

/** The layer whose forward runs now (innermost). */
export function profiledLayer(): LayerLike | undefined {
  return layerStack.at(-1);
}

/** Times one layer's forward: `run` calls `Layer.call` again, which then sees itself on top and runs. */
export function profileLayer<T>(layer: LayerLike, run: () => T): T {
  if (!firstLayer) firstLayer = layer;
  if (layer === firstLayer && !layerStack.length) forwardPasses++;
  layerStack.push(layer);
  layerTypes.set(label(layer), layer.type);
  const t0 = performance.now();
  try {
    return run();
  } finally {
    layerStack.pop();
    add(layerStatsByPhase, 'forward', label(layer), performance.now() - t0);
  }
}

function closeBackwardNode(now: number): void {
  if (backwardLayer !== null) add(layerStatsByPhase, 'backward', backwardLayer, now - backwardT0);
  backwardLayer = null;
}

/** Backward starts (one per step of a training loop). */
export function profileBackwardStart(): void {
  const now = performance.now();
  if (lastStepStart) stepTimes.push(now - lastStepStart);
  lastStepStart = now;
  passes++;
  phase = 'backward';
  backwardLayer = null;
}

/** Backward moves on to `node`: what follows is charged to the layer that recorded it. */
export function profileBackwardNode(node: object): void {
  const now = performance.now();
  closeBackwardNode(now);
  backwardLayer = nodeLayer.get(node) ?? OUTSIDE;
  backwardT0 = now;
}

export function profileBackwardEnd(): void {
  closeBackwardNode(performance.now());
  phase = 'forward';
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : 0;
};

/** The profile as a text table: per op, then per layer; µs per step (backward pass) or per forward pass. */
export function profileReport(): string {
  // the report reads `${phase}\t${name}` keys
  const flat = (pm: PhaseStats) => {
    const m = new Map<string, Stat>();
    for (const ph of ['forward', 'backward'] as const) for (const [k, v] of pm[ph]) m.set(`${ph}\t${k}`, v);
    return m;
  };
  const opStats = flat(opStatsByPhase);
  const opInLayer = flat(opInLayerByPhase);
  const layerStats = flat(layerStatsByPhase);
  const per = passes || forwardPasses || 1;
  const unit = passes ? 'step' : forwardPasses ? 'forward pass' : 'run';
  const us = (ms: number) => ((ms * 1000) / per).toFixed(1).padStart(10);
  const lines: string[] = [];
  const opTotal = [...opStats.values()].reduce((s, v) => s + v.ms, 0);
  const pct = (ms: number) => `${((100 * ms) / (opTotal || 1)).toFixed(1).padStart(5)} %`;
  lines.push(
    `Strata profile: ${passes ? `${passes} steps (backward passes)` : `${forwardPasses} forward passes`}; µs per ${unit}` +
      (stepTimes.length ? `; median step ${(median(stepTimes) * 1000).toFixed(0)} µs wall` : '') +
      `; ops ${us(opTotal).trim()} µs per ${unit}`,
  );
  lines.push(
    '',
    `${'phase'.padEnd(9)}${'op'.padEnd(28)}${'calls'.padStart(7)}${'µs'.padStart(10)}  share of op time`,
  );
  const byPhase = (m: Map<string, Stat>) =>
    [...m.entries()]
      .map(([k, v]) => ({ phase: k.split('\t')[0], name: k.split('\t')[1], ...v }))
      .sort((a, b) => (a.phase === b.phase ? b.ms - a.ms : a.phase === 'forward' ? -1 : 1));
  for (const r of byPhase(opStats))
    lines.push(
      `${r.phase.padEnd(9)}${r.name.padEnd(28)}${(r.calls / per).toFixed(1).padStart(7)}${us(r.ms)}  ${pct(r.ms)}`,
    );
  lines.push(
    '',
    `${'layer'.padEnd(26)}${'type'.padEnd(20)}${'forward'.padStart(10)}${'(in ops)'.padStart(10)}${'backward'.padStart(10)}${'(in ops)'.padStart(10)}`,
  );
  const names = [...new Set([...layerStats.keys(), ...opInLayer.keys()].map((k) => k.split('\t')[1]))];
  const get = (m: Map<string, Stat>, ph: Phase, n: string) => m.get(`${ph}\t${n}`)?.ms ?? 0;
  names.sort((a, b) => (a === OUTSIDE ? 1 : b === OUTSIDE ? -1 : 0));
  for (const n of names)
    lines.push(
      `${n.padEnd(26)}${(layerTypes.get(n) ?? '').padEnd(20)}${us(get(layerStats, 'forward', n) || get(opInLayer, 'forward', n))}${us(get(opInLayer, 'forward', n))}${us(get(layerStats, 'backward', n))}${us(get(opInLayer, 'backward', n))}`,
    );
  lines.push(
    '(forward: wall time of Layer.call; backward: wall time of the backward walk over the nodes the layer',
    ' recorded; "in ops": the part spent inside runOp. Outside layers: loss and optimizer, timed by op only.)',
  );
  return lines.join('\n');
}

if (profiling && typeof process !== 'undefined' && typeof process.on === 'function')
  process.on('exit', () => {
    if (opStatsByPhase.forward.size || opStatsByPhase.backward.size)
      process.stderr.write(`${profileReport()}\n`);
  });
