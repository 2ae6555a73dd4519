import { Conv2D } from '../../src/layers/conv.js';
import { Dense, Flatten, Input } from '../../src/layers/core.js';
import { Sequential } from '../../src/models/sequential.js';

/** The crash tests' model: a few parameters of some size (about 1 MB of weights), always the same. */
export function base(): Sequential {
  return new Sequential([
    new Input({ name: 'input', shape: [4, 16, 16] }),
    new Conv2D({ name: 'conv', filters: 8, kernelSize: 3 }),
    new Flatten({ name: 'flat' }),
    new Dense({ name: 'fc', units: 128 }),
  ]).build({ seed: 5 });
}
