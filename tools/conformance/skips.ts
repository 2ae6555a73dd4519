/**
 * THE list of skipped ONNX conformance cases: every skip the runner makes comes from one rule here,
 * with its reason. Rules are tried in order; the first that matches decides. docs/CONFORMANCE.md
 * copies this list (`npm run conformance -- --skips` prints it).
 */
import { DT, type ValueSummary } from '../../src/io/onnx/proto.js';
import { importerSupports } from '../../src/io/onnx/import.js';
import type { OpEntry } from '../../src/io/onnx/ops.js';

/** What a rule sees of a case before it runs. */
export interface CaseInfo {
  /** Folder name without `test_`. */
  name: string;
  op: string;
  opset: number;
  /** True for `_expanded` variants (the op spelled out as a graph of primitive nodes). */
  expanded: boolean;
  nodeCount: number;
  /** The op of every node (domain-qualified outside the default domain). */
  nodeOps: string[];
  attrs: ReadonlyMap<string, unknown>;
  /** Element type of each node input (0 when omitted or unknown). */
  inputTypes: number[];
  /** Kinds and element types of the graph's inputs and outputs. */
  graphInputs: ValueSummary[];
  graphOutputs: ValueSummary[];
  entry: OpEntry;
}

export interface SkipRule {
  /** A short name for the rule (shown next to each skipped case with --verbose). */
  id: string;
  reason: string;
  when: (c: CaseInfo) => boolean;
}

const INTS = [DT.INT8, DT.UINT8, DT.INT16, DT.UINT16, DT.INT32, DT.UINT32, DT.INT64, DT.UINT64];
const HALF = [DT.FLOAT16, DT.BFLOAT16];
const FLOATS = [DT.FLOAT, DT.DOUBLE];
const CONTROL_FLOW = ['If', 'Loop', 'Scan'];

/** Element types of the tensor inputs (not the integer-list inputs such as shapes and axes). */
const tensorInputTypes = (c: CaseInfo) =>
  c.inputTypes.filter((t, i) => t !== 0 && !(c.entry.lists ?? []).includes(i));
const accepts = (c: CaseInfo) => c.entry.dtypes ?? FLOATS;
/** Element types Strata can hold or that the rules above name (anything else is exotic). */
const KNOWN = [...FLOATS, ...INTS, ...HALF, DT.BOOL, DT.STRING];

export const skips: readonly SkipRule[] = [
  {
    id: 'multi-node',
    reason:
      'the model has more than one node and is not an `_expanded` case (those run through the importer)',
    when: (c) => !c.expanded && c.nodeCount !== 1,
  },
  {
    id: 'control-flow',
    reason:
      'the expanded function body uses control flow (If, Loop, Scan) whose branches are subgraphs; the importer takes straight-line graphs',
    when: (c) => c.expanded && c.nodeOps.some((op) => CONTROL_FLOW.includes(op)),
  },
  {
    id: 'random',
    reason:
      'the expanded function body draws random numbers (RandomUniformLike …) from a generator Strata cannot reproduce',
    when: (c) =>
      c.expanded &&
      c.nodeOps.some((op) => op.startsWith('Random') || op === 'Bernoulli' || op === 'Multinomial'),
  },
  {
    id: 'expanded-op-missing',
    reason:
      'the expanded function body uses an operator Strata has no counterpart for (GatherElements — a gather with computed indices —, NegativeLogLikelihoodLoss, QuantizeLinear)',
    when: (c) => c.expanded && c.nodeOps.some((op) => !importerSupports(op)),
  },
  {
    id: 'constant-graph',
    reason:
      'every input is a scalar, so the whole graph folds to constants at import; a Strata network needs an input with a batch axis (window functions)',
    when: (c) => c.expanded && c.graphInputs.every((v) => v.shape?.length === 0),
  },
  {
    id: 'non-tensor',
    reason: 'an input or output is a sequence or optional value; Strata has tensors only',
    when: (c) => [...c.graphInputs, ...c.graphOutputs].some((v) => v.kind !== 'tensor'),
  },
  {
    id: 'half',
    reason: 'float16/bfloat16 data: Strata has no 16-bit float type',
    when: (c) => [...c.inputTypes, ...c.graphOutputs.map((o) => o.elemType)].some((t) => HALF.includes(t)),
  },
  {
    id: 'string',
    reason: 'string tensors: Strata has numeric tensors only',
    when: (c) => [...c.inputTypes, ...c.graphOutputs.map((o) => o.elemType)].includes(DT.STRING),
  },
  {
    id: 'exotic-type',
    reason:
      'an input or output element type (8-bit floats, e8m0, 4-bit and 2-bit ints, complex) has no Strata counterpart',
    when: (c) =>
      [...c.inputTypes.filter((t) => t !== 0), ...c.graphOutputs.map((o) => o.elemType)].some(
        (t) => !KNOWN.includes(t),
      ),
  },
  {
    id: 'integer-data',
    reason:
      'a single-node case on integer data (int8/16/64, uint8/16/32/64, or int32 into arithmetic): Strata computes in float32/float64 and keeps int32 for indices and shape ops (the importer runs the expanded cases’ integer shape arithmetic on the host)',
    when: (c) => !c.expanded && tensorInputTypes(c).some((t) => INTS.includes(t) && !accepts(c).includes(t)),
  },
  {
    id: 'bool-data',
    reason:
      'a single-node case with bool data into an op that reduces or computes on it: Strata has no bool type (comparisons give 0/1 floats)',
    when: (c) => !c.expanded && tensorInputTypes(c).some((t) => t === DT.BOOL && !accepts(c).includes(t)),
  },
  {
    id: 'select-last-index',
    reason: 'select_last_index=1: Strata’s argmax/argmin return the first index among ties (as PyTorch)',
    when: (c) => (c.op === 'ArgMax' || c.op === 'ArgMin') && c.attrs.get('select_last_index') === 1,
  },
  {
    id: 'slice-negative-step',
    reason: 'negative Slice steps: Strata’s slice takes positive steps (flip reverses an axis)',
    when: (c) => c.op === 'Slice' && /neg_steps/.test(c.name),
  },
  {
    id: 'pad-wrap',
    reason: 'Pad mode "wrap": Strata’s pad has constant, reflect and edge modes',
    when: (c) => c.op === 'Pad' && c.attrs.get('mode') === 'wrap',
  },
  {
    id: 'dropout-random',
    reason:
      'Dropout in training mode with a ratio > 0 draws a random mask from numpy’s generator, which cannot be reproduced; Strata’s dropout is checked by statistics in its layer tests',
    when: (c) => c.op === 'Dropout' && /^training_dropout(?!_zero_ratio)/.test(c.name),
  },
  {
    id: 'resize-cubic',
    reason: 'Resize mode "cubic": Strata’s resize has nearest and (bi/tri)linear',
    when: (c) => c.op === 'Resize' && c.attrs.get('mode') === 'cubic',
  },
  {
    id: 'resize-antialias',
    reason: 'Resize with antialias=1 (a widened filter when downsampling): not in Strata’s resize',
    when: (c) => c.op === 'Resize' && c.attrs.get('antialias') === 1,
  },
  {
    id: 'resize-crop',
    reason:
      'Resize coordinate mode "tf_crop_and_resize" (crops to a region of interest first): not in Strata’s resize',
    when: (c) => c.op === 'Resize' && c.attrs.get('coordinate_transformation_mode') === 'tf_crop_and_resize',
  },
];

/** The reason a case is skipped, or null when it runs. */
export function skipReason(c: CaseInfo): { id: string; reason: string } | null {
  for (const r of skips) if (r.when(c)) return { id: r.id, reason: r.reason };
  return null;
}
