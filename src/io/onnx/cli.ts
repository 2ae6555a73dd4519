import type { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { loadModel, saveModel } from '../model.js';
import { DEFAULT_OPSET, saveOnnx } from './export.js';
import { loadOnnx } from './import.js';

/** Where the commands write (the CLI's io: process streams, or test sinks). */
export interface OnnxIo {
  stdout: { write(s: string): unknown };
}

export interface ExportCommandOptions {
  onnx: string;
  opset?: string;
  batch?: string;
  outputName?: string;
  inputName?: string;
}

/** `strata export <model> --onnx out.onnx`: a saved model (model.json or its folder) to ONNX. */
export function exportCommand(modelPath: string, o: ExportCommandOptions, io: OnnxIo): void {
  if (!o.onnx) throw new StrataError('export', 'needs --onnx <file>');
  const { model } = loadModel(modelPath);
  const opset = o.opset === undefined ? undefined : Number(o.opset);
  if (opset !== undefined && !Number.isInteger(opset))
    throw new StrataError('--opset', `must be an integer, got '${o.opset}'`);
  const batch = o.batch === undefined ? undefined : /^\d+$/.test(o.batch) ? Number(o.batch) : o.batch;
  saveOnnx(model, o.onnx, {
    opset,
    batch,
    outputName: o.outputName,
    inputNames: o.inputName ? [o.inputName] : undefined,
  });
  io.stdout.write(
    `wrote ${o.onnx}: ${model.layers.length} layers, ${model.paramCount().toLocaleString('en-US')} parameters, opset ${opset ?? DEFAULT_OPSET}\n`,
  );
}

export interface ImportCommandOptions {
  out: string;
  batch?: string;
  catalog?: boolean;
}

/** `strata import model.onnx --out DIR`: an ONNX file to a Strata model folder (model.json + safetensors). */
export function importCommand(onnxPath: string, o: ImportCommandOptions, io: OnnxIo): void {
  const batch = o.batch === undefined ? undefined : Number(o.batch);
  if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1))
    throw new StrataError('--batch', `must be a positive integer, got '${o.batch}'`);
  const imp = loadOnnx(onnxPath, { batch, catalog: o.catalog });
  const mapping = Object.fromEntries(imp.mapping);
  const { config } = saveModel(imp.model, o.out, {
    metadata: {
      source: 'onnx',
      file: onnxPath,
      opset: imp.opset,
      outputs: Object.fromEntries(imp.outputs),
      mapping,
    },
  });
  io.stdout.write(`${imp.model.summary()}\n`);
  io.stdout.write(
    `nodes became: ${Object.entries(mapping)
      .map(([k, v]) => `${k} ×${v}`)
      .join(', ')}\nwrote ${config}\n`,
  );
}

/** Adds `strata export` and `strata import` to the command-line program. */
export function addOnnxCommands(program: Command, io: OnnxIo = { stdout: process.stdout }): void {
  program
    .command('export')
    .description('write a saved model to ONNX (weights as initializers, dynamic batch axis)')
    .argument('<model>', 'model.json or its folder (for example strata-out)')
    .requiredOption('--onnx <file>', 'the .onnx file to write')
    .option('--opset <n>', `ONNX opset, 13 to 21 (default ${DEFAULT_OPSET})`)
    .option('--batch <name|n>', 'the batch axis: a symbolic name (default N) or a fixed size')
    .option('--input-name <name>', 'name of the input of a sequential model (default input)')
    .option('--output-name <name>', 'name of the output (default output)')
    .action((model: string, o: ExportCommandOptions) => exportCommand(model, o, io));
  program
    .command('import')
    .description('read an ONNX model into a Strata model folder that runs and trains')
    .argument('<onnx>', 'the .onnx file (external data only from its folder)')
    .requiredOption('--out <dir>', 'folder for model.json and model.safetensors')
    .option('--batch <n>', 'batch size used to infer shapes when the batch axis is symbolic (default 1)')
    .option('--no-catalog', 'keep every node as an OnnxOp layer instead of mapping to catalog layers')
    .action((onnx: string, o: ImportCommandOptions) => importCommand(onnx, o, io));
}
