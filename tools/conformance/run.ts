/**
 * ONNX operator conformance: runs the ONNX node tests (../shared/onnx-node-tests, ONNX v1.22) on
 * Strata's reference backend and compares with rtol 1e-3, atol 1e-7 (the ONNX runner's tolerances).
 * Single-node cases run op by op through the handlers of src/io/onnx/ops.ts; the `_expanded` cases
 * (the op spelled out as a graph of primitive nodes) run through the importer (src/io/onnx/import.ts).
 * Skips come from skips.ts, each with its reason.
 *
 *   npm run conformance [-- --json] [--verbose] [--filter=<regexp>] [--skips] [--root=<dir>]
 *                       [--importer] [--markdown]
 *
 * Prints `<Op>: N passed, N failed, N skipped` per op (with the expanded share), the single-node and
 * expanded totals and the overall total; with --json the last line is `{"passed":N,"failed":N,"skipped":N}`.
 * --importer runs the single-node cases through the importer as well; --markdown prints the per-op
 * table of docs/CONFORMANCE.md.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, noGrad, scope, setBackend, type Tensor } from '../../src/index.js';
import { importOnnx } from '../../src/io/onnx/import.js';
import { Args, type OpEntry, opEntry, toTensor } from '../../src/io/onnx/ops.js';
import {
  DT,
  dtypeName,
  listCases,
  loadCase,
  type OnnxCase,
  type OnnxTensor,
  readModel,
  readTensor,
} from './onnx.js';
import { type CaseInfo, skipReason, skips } from './skips.js';

export const RTOL = 1e-3;
export const ATOL = 1e-7;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The data's place relative to the repository root. */
export const DEFAULT_ROOT = resolve(repoRoot, '..', 'shared', 'onnx-node-tests');

export type Status = 'passed' | 'failed' | 'skipped';

export interface CaseResult {
  name: string;
  op: string;
  /** An `_expanded` case (the op as a graph of primitive nodes), run through the importer. */
  expanded: boolean;
  status: Status;
  /** Why it failed, or the skip reason. */
  message?: string;
  skipId?: string;
}

export interface OpCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface ConformanceReport {
  root: string;
  cases: CaseResult[];
  /** Single-node and expanded cases together. */
  perOp: Map<string, OpCounts>;
  totals: OpCounts;
  /** The single-node cases (run op by op) and the `_expanded` ones (run through the importer). */
  single: { perOp: Map<string, OpCounts>; totals: OpCounts };
  expanded: { perOp: Map<string, OpCounts>; totals: OpCounts };
  /** Cases of ONNX ops the runner does not map (not counted above). */
  outOfScope: { cases: number; ops: string[] };
}

export interface ConformanceOptions {
  root?: string;
  /** Only cases whose name matches. */
  filter?: RegExp;
  /** Run the single-node cases through the importer too (as the expanded ones), not op by op. */
  importer?: boolean;
}

const EXPANDED = /_expanded(_ver\d+)?$/;

/** Runs the conformance cases; null when the data folder is absent. */
export function runConformance(opts: ConformanceOptions = {}): ConformanceReport | null {
  const root = opts.root ?? DEFAULT_ROOT;
  if (!existsSync(root)) return null;
  const all = listCases(root);
  // The op of every single-node case, so an `_expanded` variant is attributed to its op.
  const opOf = new Map<string, string>();
  const models = new Map<string, ReturnType<typeof readModel>>();
  for (const c of all) {
    if (EXPANDED.test(c.name)) continue;
    const m = readModel(join(c.dir, 'model.onnx'));
    models.set(c.name, m);
    if (m.nodes.length === 1) opOf.set(c.name, m.nodes[0].opType);
  }
  const prev = getBackend().name;
  setBackend('reference');
  const cases: CaseResult[] = [];
  const outside = new Map<string, number>();
  try {
    for (const c of all) {
      if (opts.filter && !opts.filter.test(c.name)) continue;
      const expanded = EXPANDED.test(c.name);
      const base = c.name.replace(EXPANDED, '');
      const op = opOf.get(base) ?? models.get(c.name)?.nodes[0]?.opType ?? '?';
      const entry = opEntry(op);
      // Expanded cases run through the importer whether or not their op has a Strata counterpart.
      if (!entry && !expanded) {
        outside.set(op, (outside.get(op) ?? 0) + 1);
        continue;
      }
      const baseAttrs = models.get(base)?.nodes[0]?.attrs;
      cases.push(runCase(c.name, c.dir, op, expanded, entry ?? NO_ENTRY, baseAttrs, !!opts.importer));
    }
  } finally {
    setBackend(prev);
  }
  const tally = (rs: CaseResult[]) => {
    const perOp = new Map<string, OpCounts>();
    const totals: OpCounts = { passed: 0, failed: 0, skipped: 0 };
    for (const r of rs) {
      const o = perOp.get(r.op) ?? { passed: 0, failed: 0, skipped: 0 };
      o[r.status]++;
      totals[r.status]++;
      perOp.set(r.op, o);
    }
    return { perOp: new Map([...perOp].sort(([a], [b]) => a.localeCompare(b))), totals };
  };
  const all_ = tally(cases);
  return {
    root,
    cases,
    perOp: all_.perOp,
    totals: all_.totals,
    single: tally(cases.filter((c) => !c.expanded)),
    expanded: tally(cases.filter((c) => c.expanded)),
    outOfScope: { cases: [...outside.values()].reduce((a, b) => a + b, 0), ops: [...outside.keys()].sort() },
  };
}

/** The entry of an expanded case whose op has no single-node mapping (only its type lists are read). */
const NO_ENTRY: OpEntry = {
  run: () => {
    throw new Error('no single-node mapping');
  },
};

function runCase(
  name: string,
  dir: string,
  op: string,
  expanded: boolean,
  entry: CaseInfo['entry'],
  baseAttrs?: ReadonlyMap<string, unknown>,
  viaImporter = false,
): CaseResult {
  let k: OnnxCase;
  try {
    k = loadCase(name, dir);
  } catch (e) {
    return { name, op, expanded, status: 'failed', message: `cannot read the case: ${(e as Error).message}` };
  }
  const node = k.model.nodes[0];
  const typeOf = new Map<string, number>([
    ...k.model.inputs.map((v) => [v.name, v.elemType] as [string, number]),
    ...[...k.model.initializers].map(([n, t]) => [n, t.dtype] as [string, number]),
  ]);
  const info: CaseInfo = {
    name,
    op,
    opset: k.model.nodeOpset,
    expanded,
    nodeCount: k.model.nodes.length,
    nodeOps: k.model.nodes.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)),
    attrs: (expanded ? baseAttrs : node?.attrs) ?? new Map(),
    inputTypes: expanded
      ? k.model.inputs.map((v) => v.elemType)
      : node
        ? node.inputs.map((n) => (n ? (typeOf.get(n) ?? 0) : 0))
        : [],
    graphInputs: k.model.inputs,
    graphOutputs: k.model.outputs,
    entry,
  };
  const skip = skipReason(info);
  if (skip) return { name, op, expanded, status: 'skipped', message: skip.reason, skipId: skip.id };
  if (k.dataSets.length === 0) return { name, op, expanded, status: 'failed', message: 'no test data set' };
  if (expanded || viaImporter) {
    try {
      const problem = runImported(k);
      return problem
        ? { name, op, expanded, status: 'failed', message: problem }
        : { name, op, expanded, status: 'passed' };
    } catch (e) {
      return { name, op, expanded, status: 'failed', message: `threw ${(e as Error).message}` };
    }
  }
  try {
    for (const ds of k.dataSets) {
      const byName = new Map<string, OnnxTensor>(k.model.initializers);
      ds.inputs.forEach((p, i) => {
        byName.set(k.model.inputs[i].name, readTensor(p));
      });
      const values = node.inputs.map((n) => (n ? (byName.get(n) ?? null) : null));
      const expected = ds.outputs.map((p) => readTensor(p));
      const problem = noGrad(() =>
        scope(() => {
          const out = entry.run(new Args(node, k.model.nodeOpset, values));
          const outs = Array.isArray(out) ? out : [out as Tensor];
          // Graph outputs in order; node outputs by name.
          const names = k.model.outputs.map((o) => o.name);
          for (let i = 0; i < expected.length; i++) {
            const at = node.outputs.indexOf(names[i]);
            const got = at >= 0 ? outs[at] : undefined;
            if (!got) return `output ${i} ('${names[i]}') was not produced`;
            const msg = compare(got, expected[i]);
            if (msg) return `output ${i}: ${msg}`;
          }
          return null;
        }),
      );
      if (problem) return { name, op, expanded, status: 'failed', message: problem };
    }
  } catch (e) {
    return { name, op, expanded, status: 'failed', message: `threw ${(e as Error).message}` };
  }
  return { name, op, expanded, status: 'passed' };
}

/**
 * Runs a multi-node case through the importer: scalar inputs are bound as constants (a Strata network's
 * inputs have a batch axis), the others are the network's inputs and also its shape-inference example.
 */
function runImported(k: OnnxCase): string | null {
  for (const ds of k.dataSets) {
    const feeds = ds.inputs.map((p) => readTensor(p));
    const constants: Record<string, OnnxTensor> = {};
    const examples: Record<string, OnnxTensor> = {};
    k.model.inputs.forEach((v, i) => {
      if (feeds[i].dims.length === 0) constants[v.name] = feeds[i];
      else examples[v.name] = feeds[i];
    });
    const expected = ds.outputs.map((p) => readTensor(p));
    const problem = noGrad(() =>
      scope(() => {
        const imp = importOnnx(k.model, { constants, examples });
        const names = k.model.outputs.map((o) => imp.outputs.get(o.name)!);
        const acts = imp.model.activations(
          imp.inputs.map((n) => toTensor(examples[n])),
          names,
        );
        for (let i = 0; i < expected.length; i++) {
          const got = acts.get(names[i]);
          if (!got) return `output ${i} ('${k.model.outputs[i].name}') was not produced`;
          const msg = compare(got, expected[i]);
          if (msg) return `output ${i}: ${msg}`;
        }
        return null;
      }),
    );
    if (problem) return problem;
  }
  return null;
}

/** null when `got` matches `want` (rtol/atol for floats, exact for integers and bools). */
export function compare(got: Tensor, want: OnnxTensor): string | null {
  if (got.shape.length !== want.dims.length || got.shape.some((d, i) => d !== want.dims[i]))
    return `shape [${got.shape}], expected [${want.dims}]`;
  if (!want.data) return `cannot read expected values of type ${dtypeName(want.dtype)}`;
  const g = got.data();
  const w = want.data;
  const isFloat = want.dtype === DT.FLOAT || want.dtype === DT.DOUBLE;
  let bad = 0;
  let first = '';
  let worst = 0;
  for (let i = 0; i < g.length; i++) {
    const e = Number(w[i]);
    const a = want.dtype === DT.BOOL ? Number(g[i] !== 0) : g[i];
    let ok: boolean;
    if (isFloat) {
      if (Number.isNaN(e) || Number.isNaN(a)) ok = Number.isNaN(e) && Number.isNaN(a);
      else if (!Number.isFinite(e) || !Number.isFinite(a)) ok = a === e;
      else {
        const err = Math.abs(a - e);
        ok = err <= ATOL + RTOL * Math.abs(e);
        if (!ok) worst = Math.max(worst, err);
      }
    } else ok = a === e;
    if (!ok && bad++ === 0) first = `element ${i}: got ${a}, expected ${e}`;
  }
  if (bad === 0) return null;
  return `${bad} of ${g.length} elements differ (first: ${first}${worst ? `; max abs error ${worst.toExponential(3)}` : ''})`;
}

// ---------------------------------------------------------------- command line

export function formatReport(r: ConformanceReport, verbose = false): string {
  const lines: string[] = [`ONNX node tests from ${r.root} (rtol ${RTOL}, atol ${ATOL}, reference backend)`];
  const w = Math.max(...[...r.perOp.keys()].map((k) => k.length));
  for (const [op, c] of r.perOp) {
    const e = r.expanded.perOp.get(op);
    const ex = e ? ` (expanded: ${e.passed} passed, ${e.failed} failed, ${e.skipped} skipped)` : '';
    lines.push(`${`${op}:`.padEnd(w + 1)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${ex}`);
  }
  const failed = r.cases.filter((c) => c.status === 'failed');
  if (failed.length) {
    lines.push('', 'failures:');
    for (const c of failed) lines.push(`  ${c.op} ${c.name}: ${c.message}`);
  }
  if (verbose) {
    lines.push('', 'skipped:');
    for (const c of r.cases.filter((x) => x.status === 'skipped'))
      lines.push(`  ${c.op} ${c.name} [${c.skipId}]`);
  }
  const t = r.totals;
  const line = (what: string, c: OpCounts) =>
    `${what}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
  lines.push(
    '',
    line('single-node', r.single.totals),
    line('expanded (through the importer)', r.expanded.totals),
    `total: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped (${r.perOp.size} ops, ${r.cases.length} cases)`,
    `not in scope: ${r.outOfScope.cases} cases of ${r.outOfScope.ops.length} ONNX ops without a Strata mapping`,
  );
  return lines.join('\n');
}

/** The per-op table of docs/CONFORMANCE.md. */
export function markdownTable(r: ConformanceReport): string {
  const rows = [
    '| ONNX op | single-node passed | failed | skipped | expanded passed | failed | skipped |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const cell = (c: OpCounts | undefined) => (c ? `${c.passed} | ${c.failed} | ${c.skipped}` : '– | – | –');
  for (const op of r.perOp.keys())
    rows.push(`| ${op} | ${cell(r.single.perOp.get(op))} | ${cell(r.expanded.perOp.get(op))} |`);
  const t = (c: OpCounts) => `**${c.passed}** | **${c.failed}** | **${c.skipped}**`;
  rows.push(`| **total** | ${t(r.single.totals)} | ${t(r.expanded.totals)} |`);
  return rows.join('\n');
}

function main(argv: string[]): number {
  const flag = (n: string) => argv.includes(`--${n}`);
  const value = (n: string) => argv.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
  if (flag('skips')) {
    for (const s of skips) console.log(`- **${s.id}**: ${s.reason}`);
    return 0;
  }
  const root = value('root') ? resolve(value('root')!) : DEFAULT_ROOT;
  const filter = value('filter');
  const report = runConformance({
    root,
    filter: filter ? new RegExp(filter) : undefined,
    importer: flag('importer'),
  });
  if (!report) {
    console.log(
      `conformance: skipped — the ONNX node tests are not at ${root} (see ../shared/onnx-node-tests)`,
    );
    if (flag('json')) console.log(JSON.stringify({ passed: 0, failed: 0, skipped: 0 }));
    return 0;
  }
  if (flag('markdown')) {
    console.log(markdownTable(report));
    return report.totals.failed ? 1 : 0;
  }
  console.log(formatReport(report, flag('verbose')));
  if (flag('verbose')) console.log(`out-of-scope ops: ${report.outOfScope.ops.join(', ')}`);
  if (flag('json')) console.log(JSON.stringify(report.totals));
  return report.totals.failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = main(process.argv.slice(2));
