import type { Dataset } from '../data/dataset.js';
import { Model } from '../models/model.js';
import {
  type EvaluateResult,
  evaluate,
  type FitOptions,
  type FitResult,
  fit,
  type LossFn,
  type LossName,
} from './fit.js';

/**
 * `model.fit(data, opts)` and `model.evaluate(data, opts)`: the functions `fit` and `evaluate` installed
 * as methods of every network (the training code sits above the models in the import order, so it adds
 * the methods rather than models importing training).
 */
declare module '../models/model.js' {
  interface Model {
    fit(data: Dataset, opts?: FitOptions): FitResult;
    evaluate(data: Dataset, opts?: { batchSize?: number; loss?: LossName | LossFn }): EvaluateResult;
  }
}

Model.prototype.fit = function (this: Model, data: Dataset, opts?: FitOptions) {
  return fit(this, data, opts);
};
Model.prototype.evaluate = function (
  this: Model,
  data: Dataset,
  opts?: { batchSize?: number; loss?: LossName | LossFn },
) {
  return evaluate(this, data, opts);
};
