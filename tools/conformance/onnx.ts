/**
 * The ONNX node tests on disk: test_<name>/model.onnx plus test_data_set_<k>/{input,output}_<i>.pb.
 * Models and tensors are decoded by Strata's ONNX reader (src/io/onnx/proto.ts), with its checks.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type OnnxModel, readModel } from '../../src/io/onnx/proto.js';

export {
  DT,
  dtypeName,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  readModel,
  readTensor,
  type ValueSummary,
} from '../../src/io/onnx/proto.js';

export interface OnnxCase {
  /** Folder name without the `test_` prefix. */
  name: string;
  dir: string;
  model: OnnxModel;
  /** Data sets: inputs and expected outputs, in graph order. */
  dataSets: Array<{ inputs: string[]; outputs: string[] }>;
}

/** Lists the test cases under a node-test folder (test_<name>/model.onnx + test_data_set_<k>/). */
export function listCases(root: string): Array<{ name: string; dir: string }> {
  return readdirSync(root)
    .filter((d) => d.startsWith('test_') && existsSync(join(root, d, 'model.onnx')))
    .sort()
    .map((d) => ({ name: d.slice(5), dir: join(root, d) }));
}

export function loadCase(name: string, dir: string): OnnxCase {
  const model = readModel(join(dir, 'model.onnx'));
  const sets = readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort();
  const dataSets = sets.map((s) => {
    const files = readdirSync(join(dir, s));
    const pick = (prefix: string) =>
      files
        .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
        .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
        .map((f) => join(dir, s, f));
    return { inputs: pick('input_'), outputs: pick('output_') };
  });
  return { name, dir, model, dataSets };
}
