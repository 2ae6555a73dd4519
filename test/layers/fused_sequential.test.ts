// A Sequential model fuses a Conv or Dense layer with a following plain ReLU layer into one op
// (convBiasAct / linearBiasAct): its output and parameter gradients must be bit for bit those of the
// separate ops, and activations() (which needs every layer's own output) must not fuse.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Conv1D,
  Conv2D,
  Dense,
  Flatten,
  keep,
  type Layer,
  MaxPool2D,
  mul,
  ReLU,
  randn,
  Sequential,
  setBackend,
  sum,
  type Tensor,
  valueAndGradOf,
} from '../../src/index.js';

/** A ReLU the Sequential does not fuse (only the plain ReLU class is): the separate ops. */
class SeparateReLU extends ReLU {}

let plainReluForwards = 0;
const reluForward = ReLU.prototype.forward;
ReLU.prototype.forward = function (this: ReLU, ...args: Parameters<ReLU['forward']>) {
  if (this.constructor === ReLU) plainReluForwards++;
  return reluForward.apply(this, args);
};

/** Biases drawn at random: zero biases would hide a bias added on the wrong side of the ReLU. */
const biasInit = { normal: [0, 0.5] as [number, number] };

function lenetLike(Relu: new () => ReLU): Sequential {
  const layers: Layer[] = [
    new Conv2D({ filters: 4, kernelSize: 3, padding: 1, biasInit }),
    new Relu(),
    new MaxPool2D({ kernelSize: 2 }),
    new Conv2D({ filters: 5, kernelSize: 3, stride: 2, biasInit }),
    new Relu(),
    new Flatten(),
    new Dense({ units: 7, biasInit }),
    new Relu(),
    new Dense({ units: 3, bias: false }),
    new Relu(),
    new Dense({ units: 2, biasInit }),
  ];
  return new Sequential(layers, { inputShape: [2, 10, 9] }).build({ seed: 11 });
}

function conv1dNet(Relu: new () => ReLU): Sequential {
  return new Sequential([new Conv1D({ filters: 3, kernelSize: 2, bias: false }), new Relu(), new Flatten()], {
    inputShape: [2, 6],
  }).build({ seed: 5 });
}

/** Bitwise equality (strict deepEqual compares numbers with Object.is: −0 ≠ 0, NaN = NaN). */
function bits(what: string, got: Tensor, want: Tensor): void {
  assert.deepEqual(got.shape, want.shape, what);
  assert.deepEqual(Array.from(got.data()), Array.from(want.data()), what);
}

/** Output and the gradient of Σ output·w with respect to every parameter. */
function run(m: Sequential, x: Tensor) {
  const params = m.parameters().map((p) => p.value);
  let out: Tensor | null = null;
  const { grads } = valueAndGradOf(() => {
    const y = m.forward(x);
    out = keep(y);
    return sum(mul(y, randn(y.shape, { seed: 3 })));
  }, params);
  return { out: out! as Tensor, grads, names: m.parameters().map((p) => p.name) };
}

for (const backend of ['wasm', 'reference'])
  describe(`Sequential conv/dense → ReLU fusion (${backend}, float32)`, () => {
    test('forward and parameter gradients equal the separate ops bitwise', () => {
      setBackend(backend);
      for (const [net, batch] of [
        [lenetLike, 3],
        [lenetLike, 1],
        [conv1dNet, 2],
      ] as const) {
        const fused = net(ReLU);
        const separate = net(SeparateReLU);
        const shape = fused.inputShapes[0];
        const x = randn([batch, ...shape], { seed: 7 });
        plainReluForwards = 0;
        const f = run(fused, x);
        assert.equal(plainReluForwards, 0, 'the plain ReLU layers ran on their own: no fusion happened');
        const s = run(separate, x);
        bits('output', f.out, s.out);
        assert.deepEqual(f.names, s.names);
        for (let i = 0; i < f.grads.length; i++) bits(`gradient of ${f.names[i]}`, f.grads[i], s.grads[i]);
      }
    });

    test("activations() returns each layer's own output (conv output before the ReLU)", () => {
      setBackend(backend);
      const fused = lenetLike(ReLU);
      const separate = lenetLike(SeparateReLU);
      const x = randn([2, 2, 10, 9], { seed: 9 });
      plainReluForwards = 0;
      const acts = fused.activations(x);
      assert.equal(plainReluForwards, 4, 'activations() must run every ReLU layer');
      const want = separate.activations(x);
      assert.deepEqual([...acts.keys()], [...want.keys()]);
      for (const [k, t] of acts) bits(`activation of ${k}`, t, want.get(k)!);
      const conv = acts.get(fused.layers[0].name)!;
      assert.ok(
        conv.data().some((v) => v < 0),
        'the conv layer output is taken before its ReLU',
      );
      bits('model output', fused.predict(x), [...acts.values()].at(-1)!);
    });
  });
