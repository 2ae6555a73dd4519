import {
  add,
  logSoftmax,
  manualSeed,
  matmul,
  mean,
  mul,
  noGrad,
  normal,
  randn,
  relu,
  sub,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
  zeros,
} from '../index.js';

/**
 * The engine on its own: a two-layer network learns to tell which of two Gaussian blobs a point comes
 * from, trained by plain gradient descent through valueAndGrad. No dispose anywhere.
 */
export function demo({ steps, seed }: { steps: number; seed: number }): void {
  manualSeed(seed);
  const n = 256;
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const centers = labels.map((c) => (c ? [1.5, 1.5] : [-1.5, -1.5]));
  const x = add(tensor(centers), randn([n, 2]));
  const y = tensor(labels.map((c) => (c ? [0, 1] : [1, 0])));
  let params: Tensor[] = [normal([2, 16], 0, 0.5), zeros([16]), normal([16, 2], 0, 0.5), zeros([2])];
  const loss = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
    const h = relu(add(matmul(x, w1), b1));
    const logits = add(matmul(h, w2), b2);
    return mean(mul(sum(mul(logSoftmax(logits, 1), y), 1), -1));
  };
  const step = valueAndGrad(loss);
  const lr = 0.5;
  for (let s = 1; s <= steps; s++) {
    const { value, grads } = step(...(params as [Tensor, Tensor, Tensor, Tensor]));
    params = noGrad(() => params.map((p, i) => sub(p, mul(grads[i], lr))));
    if (s === 1 || s % 5 === 0 || s === steps)
      console.log(`step ${String(s).padStart(3)}  loss ${value.item().toFixed(4)}`);
  }
}
