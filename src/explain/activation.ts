import { valueAndGradOf } from '../autograd/grad.js';
import { fromTypedArray } from '../core/creation.js';
import { scope } from '../core/engine.js';
import { ELU, LeakyReLU, ReLU, Sigmoid, Tanh } from '../layers/activation.js';
import { Dense, Input } from '../layers/core.js';
import type { Initializer } from '../layers/init.js';
import type { Layer } from '../layers/layer.js';
import { ClassificationOutput, outputLayerOf } from '../layers/output.js';
import { Sequential } from '../models/sequential.js';
import { Adam } from '../optim/adam.js';
import { barsSpec, linesSpec } from '../viz/charts.js';
import {
  accuracy,
  digitSplit,
  type Experiment,
  type ExperimentResult,
  num,
  pct,
  round,
  type RunOptions,
  train,
  type Verdict,
} from './common.js';

/**
 * Activations: the vanishing gradient of sigmoid and tanh against ReLU in a deep stack, and dying ReLUs
 * at a high learning rate with leaky ReLU and ELU as the remedy.
 */

type ActName = 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'elu';

function act(a: ActName): Layer {
  switch (a) {
    case 'sigmoid':
      return new Sigmoid();
    case 'tanh':
      return new Tanh();
    case 'relu':
      return new ReLU();
    case 'leakyRelu':
      return new LeakyReLU({ alpha: 0.01 });
    case 'elu':
      return new ELU({ alpha: 1 });
  }
}

function mlp(a: ActName, widths: number[], init: Initializer): Sequential {
  const layers: Layer[] = [new Input({ shape: [1, 28, 28] })];
  widths.forEach((w, i) => {
    layers.push(new Dense({ name: `dense${i + 1}`, units: w, weightInit: init }));
    layers.push(act(a));
  });
  layers.push(new Dense({ name: 'logits', units: 10, weightInit: init }), new ClassificationOutput());
  return new Sequential(layers);
}

// ---------------------------------------------------------------------------------------------------
// Vanishing gradient

export interface VanishingNumbers {
  /** ‖∂loss/∂W‖ of the first hidden-to-hidden layer (2) ÷ that of the last hidden layer, per variant. */
  firstOverLast: Record<string, number>;
}

/**
 * A gradient "vanishes" when the first layer's share (first/last) is under a tenth of ReLU's (He init).
 * Supported when both sigmoid and tanh vanish, weak when one does, not supported when neither.
 */
export function judgeVanishing(n: VanishingNumbers): { verdict: Verdict; reason: string } {
  const relu = n.firstOverLast.relu;
  const f = (k: string) => n.firstOverLast[k] / relu;
  const s = f('sigmoid');
  const t = f('tanh');
  const txt = `gradient norm of layer 2 ÷ last hidden layer: sigmoid ${num(n.firstOverLast.sigmoid)}, tanh ${num(n.firstOverLast.tanh)}, ReLU ${num(relu)} (sigmoid ${num(s)}× ReLU's, tanh ${num(t)}×)`;
  if (s < 0.1 && t < 0.1) return { verdict: 'supported', reason: txt };
  if (s < 0.1 || t < 0.1)
    return {
      verdict: 'weak',
      reason: `${txt}: only ${s < 0.1 ? 'sigmoid' : 'tanh'} vanishes by more than 10×`,
    };
  return { verdict: 'not supported', reason: txt };
}

const VAN_VARIANTS: { key: string; label: string; act: ActName; init: Initializer }[] = [
  { key: 'sigmoid', label: 'sigmoid (Glorot init)', act: 'sigmoid', init: 'glorotUniform' },
  { key: 'tanh', label: 'tanh (Glorot init)', act: 'tanh', init: 'glorotUniform' },
  { key: 'relu', label: 'ReLU (He init)', act: 'relu', init: 'heUniform' },
  { key: 'reluGlorot', label: 'ReLU (Glorot init)', act: 'relu', init: 'glorotUniform' },
];

export const vanishingGradient: Experiment = {
  id: 'activation-vanishing',
  layer: 'activation',
  claim: 'Sigmoid and tanh make gradients vanish in deep stacks; ReLU keeps them flowing.',
  run(o: RunOptions): ExperimentResult {
    const t0 = performance.now();
    const seed = o.seed ?? 0;
    const depth = o.small ? 8 : 12;
    const width = 64;
    const seeds = o.small ? [seed] : [seed, seed + 1, seed + 2];
    const nEx = o.small ? 64 : 256;
    const perLayer: Record<string, number[]> = {};
    for (const v of VAN_VARIANTS) {
      const sums = new Array(depth).fill(0);
      for (const s of seeds) {
        const { test } = digitSplit(0, nEx, s);
        const m = mlp(v.act, new Array(depth).fill(width), v.init).build({ seed: s });
        const out = outputLayerOf(m.layers)!;
        const ws = m.layers
          .filter((l) => /^dense\d+$/.test(l.name))
          .map((l) => l.params.get('weight')!.value);
        // In a scope: the batch, the graph and the gradients are freed once their norms are read.
        const norms = scope(() => {
          const x = fromTypedArray(test.x, [nEx, 1, 28, 28]);
          const y = fromTypedArray(test.y, [nEx]);
          const { grads } = valueAndGradOf(() => out.loss(m.forward(x, { training: true }), y), ws);
          return grads.map((g) => {
            const d = g.data();
            let ss = 0;
            for (let k = 0; k < d.length; k++) ss += d[k] * d[k];
            return Math.sqrt(ss);
          });
        });
        norms.forEach((g, i) => {
          sums[i] += g / seeds.length;
        });
      }
      perLayer[v.key] = sums.map((g) => round(g, 10));
    }
    // Layer 1 reads the 784 pixels, so its norm is not comparable; compare the 64×64 layers 2 and `depth`.
    const firstOverLast = Object.fromEntries(
      VAN_VARIANTS.map((v) => [v.key, round(perLayer[v.key][1] / perLayer[v.key][depth - 1], 8)]),
    );
    const { verdict, reason } = judgeVanishing({ firstOverLast });
    const rows = VAN_VARIANTS.map((v) => [
      v.label,
      num(perLayer[v.key][1]),
      num(perLayer[v.key][depth - 1]),
      num(firstOverLast[v.key]),
      num(firstOverLast[v.key] ** (1 / (depth - 2))),
    ]);
    const chartRows = VAN_VARIANTS.flatMap((v) =>
      perLayer[v.key].map((g, i) => ({ layer: i + 1, norm: Math.max(g, 1e-12), activation: v.label })),
    );
    return {
      id: this.id,
      layer: this.layer,
      claim: this.claim,
      setup: `${depth} fully connected layers of ${width} units on flattened digits, one activation throughout, softmax cross-entropy; gradient norm of each layer's weights for one batch of ${nEx} held-out digits, averaged over ${seeds.length} seed(s) from ${seed}; no training.`,
      numbers: { depth, width, examples: nEx, seeds, gradientNormPerLayer: perLayer, firstOverLast },
      table: {
        columns: [
          'activation',
          '‖grad‖ layer 2',
          `‖grad‖ layer ${depth}`,
          'layer 2 ÷ last',
          'factor per layer',
        ],
        rows,
      },
      verdict,
      reason,
      figures: [],
      charts: [
        {
          name: 'activation-vanishing-chart',
          spec: linesSpec(chartRows, {
            x: 'layer',
            y: 'norm',
            series: 'activation',
            title: 'Gradient norm of each layer’s weights (input side = layer 1)',
            xTitle: 'layer',
            yTitle: '‖∂loss/∂W‖ (log scale)',
            logY: true,
          }),
        },
      ],
      seconds: round((performance.now() - t0) / 1000, 2),
      seed,
      small: !!o.small,
    };
  },
};

// ---------------------------------------------------------------------------------------------------
// Dying ReLU

export interface DyingNumbers {
  /** The high learning rates tried. */
  highRates: number[];
  /** Share of hidden units whose input is <= 0 for every probe example: ReLU at the normal rate. */
  reluNormalDead: number;
  reluNormalAccuracy: number;
  /** Per activation (relu, leakyRelu, elu), per high rate. */
  dead: Record<string, number[]>;
  accuracy: Record<string, number[]>;
}

/**
 * Dying: supported when ReLU at some high rate has >= 20 % dead units and at least twice (+5 points) the
 * share at the normal rate; weak when it has more at all; not supported otherwise.
 * Remedy, judged at the rates where ReLU is dying (>= 20 % dead): supported when leaky ReLU and ELU are
 * both >= 1 point more accurate than ReLU at each of them, not supported when neither is at any, weak between.
 */
export function judgeDying(n: DyingNumbers): {
  verdict: Verdict;
  reason: string;
  dying: Verdict;
  remedy: Verdict;
} {
  const hiDead = Math.max(...n.dead.relu);
  const at = n.dead.relu.indexOf(hiDead);
  const lo = n.reluNormalDead;
  const dying: Verdict =
    hiDead >= 0.2 && hiDead >= 2 * lo + 0.05 ? 'supported' : hiDead > lo + 0.02 ? 'weak' : 'not supported';
  const dyingRates = n.highRates.map((_, i) => i).filter((i) => n.dead.relu[i] >= 0.2);
  let wins = 0;
  let chances = 0;
  for (const i of dyingRates)
    for (const k of ['leakyRelu', 'elu']) {
      chances++;
      if (n.accuracy[k][i] - n.accuracy.relu[i] >= 0.01) wins++;
    }
  const remedy: Verdict =
    chances === 0 || wins === 0 ? 'not supported' : wins === chances ? 'supported' : 'weak';
  const rank = { supported: 2, weak: 1, 'not supported': 0 } as const;
  const verdict = (['not supported', 'weak', 'supported'] as Verdict[])[Math.min(rank[dying], rank[remedy])];
  const accs = n.highRates
    .map(
      (r, i) =>
        `at ${r}: ReLU ${pct(n.accuracy.relu[i])}, leaky ${pct(n.accuracy.leakyRelu[i])}, ELU ${pct(n.accuracy.elu[i])}`,
    )
    .join('; ');
  const reason = `dead ReLUs: up to ${pct(hiDead)} at rate ${n.highRates[at]} vs ${pct(lo)} at the normal rate (dying: ${dying}); held-out accuracy ${accs} (remedy: ${remedy}, ${wins} of ${chances} comparisons at dying rates won by >= 1 point)`;
  return { verdict, reason, dying, remedy };
}

const DY_ACTS: { key: ActName; label: string }[] = [
  { key: 'relu', label: 'ReLU' },
  { key: 'leakyRelu', label: 'leaky ReLU (0.01)' },
  { key: 'elu', label: 'ELU' },
];

export const dyingRelu: Experiment = {
  id: 'activation-dying',
  layer: 'activation',
  claim:
    'At a high learning rate many ReLU units die (output zero for every input); leaky ReLU and ELU avoid it.',
  run(o: RunOptions): ExperimentResult {
    const t0 = performance.now();
    const seed = o.seed ?? 0;
    const nTrain = o.small ? 400 : 2000;
    const nTest = o.small ? 200 : 1000;
    const width = o.small ? 64 : 128;
    const epochs = o.small ? 1 : 2;
    const lrNormal = 0.001;
    const highRates = o.small ? [0.03, 0.1] : [0.01, 0.03, 0.1];
    const { train: tr, test } = digitSplit(nTrain, nTest, seed);
    const runOne = (a: ActName, lr: number) => {
      const m = mlp(a, [width, width], 'heUniform').build({ seed });
      const loss = train(m, tr, new Adam({ lr }), { epochs, batchSize: 32, seed });
      // Pre-activations of the hidden layers on the held-out digits.
      const [dead, units] = scope(() => {
        const acts = m.activations(fromTypedArray(test.x, [nTest, 1, 28, 28]), ['dense1', 'dense2']);
        let dead = 0;
        let units = 0;
        for (const t of acts.values()) {
          const d = t.data();
          const U = t.shape[1];
          for (let u = 0; u < U; u++) {
            let alive = false;
            for (let i = 0; i < nTest && !alive; i++) if (d[i * U + u] > 0) alive = true;
            if (!alive) dead++;
            units++;
          }
        }
        return [dead, units];
      });
      return {
        dead: round(dead / units),
        accuracy: round(accuracy(m, test)),
        loss: round(loss[loss.length - 1]),
      };
    };
    const normal = runOne('relu', lrNormal);
    const dead: Record<string, number[]> = {};
    const acc: Record<string, number[]> = {};
    const finalLoss: Record<string, number[]> = {};
    for (const a of DY_ACTS) {
      dead[a.key] = [];
      acc[a.key] = [];
      finalLoss[a.key] = [];
      for (const lr of highRates) {
        const r = runOne(a.key, lr);
        dead[a.key].push(r.dead);
        acc[a.key].push(r.accuracy);
        finalLoss[a.key].push(r.loss);
      }
    }
    const n: DyingNumbers = {
      highRates,
      reluNormalDead: normal.dead,
      reluNormalAccuracy: normal.accuracy,
      dead,
      accuracy: acc,
    };
    const j = judgeDying(n);
    const rows: (string | number)[][] = [
      ['ReLU', lrNormal, pct(normal.dead), pct(normal.accuracy), num(normal.loss)],
    ];
    for (const a of DY_ACTS)
      highRates.forEach((lr, i) => {
        rows.push([a.label, lr, pct(dead[a.key][i]), pct(acc[a.key][i]), num(finalLoss[a.key][i])]);
      });
    const chart = [
      { rate: String(lrNormal), activation: 'ReLU', dead: normal.dead },
      ...DY_ACTS.flatMap((a) =>
        highRates.map((lr, i) => ({ rate: String(lr), activation: a.label, dead: dead[a.key][i] })),
      ),
    ];
    return {
      id: this.id,
      layer: this.layer,
      claim: this.claim,
      setup: `Two hidden layers of ${width} units (He init) trained ${epochs} epoch(s) with Adam (batch 32) on ${nTrain} digits, at the usual rate ${lrNormal} and high rates ${highRates.join(', ')}; a unit counts as dead when its input is <= 0 for all ${nTest} held-out digits (for leaky ReLU and ELU such a unit still passes a gradient and can recover); seed ${seed}.`,
      numbers: {
        width,
        nTrain,
        nTest,
        epochs,
        lrNormal,
        ...n,
        finalTrainLoss: finalLoss,
        reluNormalLoss: normal.loss,
        dying: j.dying,
        remedy: j.remedy,
      },
      table: {
        columns: [
          'activation',
          'learning rate',
          'units <= 0 for every input',
          'held-out accuracy',
          'last epoch loss',
        ],
        rows,
      },
      verdict: j.verdict,
      reason: j.reason,
      figures: [],
      charts: [
        {
          name: 'activation-dying-chart',
          spec: barsSpec(chart, {
            x: 'rate',
            y: 'dead',
            series: 'activation',
            title: 'Hidden units that are <= 0 for every held-out digit',
            xTitle: 'learning rate (Adam)',
            yTitle: 'share of hidden units',
            yDomain: [0, 1],
          }),
        },
        {
          name: 'activation-dying-accuracy',
          spec: barsSpec(
            DY_ACTS.flatMap((a) =>
              highRates.map((lr, i) => ({ rate: String(lr), activation: a.label, accuracy: acc[a.key][i] })),
            ),
            {
              x: 'rate',
              y: 'accuracy',
              series: 'activation',
              title: 'Held-out accuracy at the high rates',
              xTitle: 'learning rate (Adam)',
              yTitle: 'accuracy',
              yDomain: [0, 1],
            },
          ),
        },
      ],
      seconds: round((performance.now() - t0) / 1000, 2),
      seed,
      small: !!o.small,
    };
  },
};
