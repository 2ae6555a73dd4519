export { judgeDying, judgeVanishing } from './activation.js';
export type { DyingNumbers, VanishingNumbers } from './activation.js';
export type { Experiment, ExperimentResult, Figure, RunOptions, Verdict } from './common.js';
export { judgeConvLocates } from './conv.js';
export { judgeDropout } from './dropout.js';
export type { DropoutNumbers } from './dropout.js';
export { judgeSpeedup } from './normalization.js';
export { judgePooling } from './pool.js';
export type { PoolNumbers } from './pool.js';
export { judgeChecks } from './shapes.js';
export {
  EXPERIMENTS,
  experimentsFor,
  explainCommand,
  explainHtml,
  formatResult,
  LAYERS,
  layerFamily,
  resultJson,
  runExperiments,
} from './run.js';
export type { ExplainCommandOptions } from './run.js';
