import { StrataError } from '../core/errors.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSProp } from './rmsprop.js';
import { SGD } from './sgd.js';

export * from './adagrad.js';
export * from './adam.js';
export * from './clip.js';
export * from './optimizer.js';
export * from './rmsprop.js';
export * from './schedules.js';
export * from './sgd.js';

const makers: Record<string, (o: Record<string, unknown>) => Optimizer> = {
  sgd: (o) => new SGD(o),
  adam: (o) => new Adam(o),
  adamw: (o) => new AdamW(o),
  rmsprop: (o) => new RMSProp(o),
  adagrad: (o) => new Adagrad(o),
};

/** Optimizer names `makeOptimizer` accepts (case-insensitive). */
export const optimizerNames = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const;

/**
 * An optimizer by name ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad') with its options; also rebuilds one
 * from the `type` and `config` of a saved state (the config's beta1/beta2 become `betas`).
 */
export function makeOptimizer(name: string, opts: Record<string, unknown> = {}): Optimizer {
  const f = makers[name.toLowerCase()];
  if (!f)
    throw new StrataError(
      'optimizer',
      `unknown optimizer '${name}'; choose one of ${optimizerNames.join(', ')}`,
    );
  const o = { ...opts };
  if (typeof o.beta1 === 'number' && typeof o.beta2 === 'number') {
    o.betas = [o.beta1, o.beta2];
    delete o.beta1;
    delete o.beta2;
  }
  return f(o);
}
