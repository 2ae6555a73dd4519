/**
 * The models and the training step of the workloads in ../shared/WORKLOADS.md, shared by the
 * benchmark (run.ts) and the profiler (profile.ts) so both measure exactly the same work.
 */
import {
  ClassificationOutput,
  Conv2D,
  Dense,
  Flatten,
  type Layer,
  MaxPool2D,
  type Model,
  outputLayerOf,
  ReLU,
  randn,
  SGD,
  Sequential,
  scope,
  tensor,
  valueAndGradOf,
} from '../src/index.js';

/** W1's LeNet-5 (logits through a softmax classification output). */
export function lenet(): Model {
  return new Sequential(
    [
      new Conv2D({ filters: 6, kernelSize: 5, padding: 2 }),
      new ReLU(),
      new MaxPool2D({ kernelSize: 2 }),
      new Conv2D({ filters: 16, kernelSize: 5 }),
      new ReLU(),
      new MaxPool2D({ kernelSize: 2 }),
      new Flatten(),
      new Dense({ units: 120 }),
      new ReLU(),
      new Dense({ units: 84 }),
      new ReLU(),
      new Dense({ units: 10 }),
      new ClassificationOutput(),
    ],
    { inputShape: [1, 28, 28] },
  ).build({ seed: 1 });
}

export function cifarCnn(): Model {
  const conv = (f: number): Layer[] => [new Conv2D({ filters: f, kernelSize: 3, padding: 1 }), new ReLU()];
  return new Sequential(
    [
      ...conv(32),
      ...conv(32),
      new MaxPool2D({ kernelSize: 2 }),
      ...conv(64),
      ...conv(64),
      new MaxPool2D({ kernelSize: 2 }),
      new Flatten(),
      new Dense({ units: 256 }),
      new ReLU(),
      new Dense({ units: 10 }),
      new ClassificationOutput(),
    ],
    { inputShape: [3, 32, 32] },
  ).build({ seed: 1 });
}

/** One SGD step (forward, backward, update, loss read back) as `fit` runs it: inside a scope. */
export function trainingStep(
  model: Model,
  batch: number,
  shape: number[],
): { call: () => void; work: number } {
  const out = outputLayerOf(model.layers)!;
  const params = model.parameters();
  const opt = new SGD({ lr: 0.01 });
  const x = randn([batch, ...shape], { seed: 5 });
  const y = tensor(
    Array.from({ length: batch }, (_, i) => i % 10),
    undefined,
    { dtype: 'int32' },
  );
  return {
    call: () =>
      scope(() => {
        const { value, grads } = valueAndGradOf(
          () => out.loss(model.forward(x, { training: true }), y),
          params.map((p) => p.value),
        );
        opt.step(params, grads);
        return value.item();
      }),
    work: batch,
  };
}
