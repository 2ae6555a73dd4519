export * from './export.js';
export * from './import.js';
export * from './layer.js';
export { Args, type NodeLike, type OpEntry, type Operand, onnxOps, strataDtype, toTensor } from './ops.js';
export * from './proto.js';
export { addOnnxCommands, exportCommand, importCommand } from './cli.js';
export type { ExportCommandOptions, ImportCommandOptions, OnnxIo } from './cli.js';
