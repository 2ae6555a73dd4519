import { ReLU } from '../layers/activation.js';
import { Dense, Input } from '../layers/core.js';
import { Dropout } from '../layers/dropout.js';
import type { Layer } from '../layers/layer.js';
import { ClassificationOutput } from '../layers/output.js';
import { Sequential } from '../models/sequential.js';
import { Adam } from '../optim/adam.js';
import { linesSpec } from '../viz/charts.js';
import {
  accuracy,
  meanLoss,
  num,
  digitSplit,
  type Experiment,
  type ExperimentResult,
  pct,
  round,
  type RunOptions,
  train,
  type Verdict,
} from './common.js';

/**
 * Dropout: "reduces overfitting". A network big enough to memorize a small training set is trained with
 * and without dropout; the generalization gap (training accuracy − held-out accuracy) is measured.
 */

export interface DropoutNumbers {
  trainAccuracy: { plain: number; dropout: number };
  testAccuracy: { plain: number; dropout: number };
}

/**
 * Supported when dropout shrinks the gap by >= 2 points without lowering held-out accuracy by more than
 * half a point; weak when the gap shrinks less or held-out accuracy drops; not supported when it does not shrink.
 */
export function judgeDropout(n: DropoutNumbers): {
  verdict: Verdict;
  reason: string;
  gap: { plain: number; dropout: number };
} {
  const gap = {
    plain: n.trainAccuracy.plain - n.testAccuracy.plain,
    dropout: n.trainAccuracy.dropout - n.testAccuracy.dropout,
  };
  const shrink = gap.plain - gap.dropout;
  const dTest = n.testAccuracy.dropout - n.testAccuracy.plain;
  const txt = `gap ${pct(gap.plain)} without dropout, ${pct(gap.dropout)} with (${shrink >= 0 ? 'smaller' : 'larger'} by ${(100 * Math.abs(shrink)).toFixed(1)} points); held-out accuracy ${pct(n.testAccuracy.plain)} → ${pct(n.testAccuracy.dropout)}`;
  if (shrink >= 0.02 && dTest >= -0.005) return { verdict: 'supported', reason: txt, gap };
  if (shrink > 0) return { verdict: 'weak', reason: txt, gap };
  return { verdict: 'not supported', reason: txt, gap };
}

export const dropoutGap: Experiment = {
  id: 'dropout-gap',
  layer: 'dropout',
  claim: 'Dropout reduces overfitting: the gap between training and held-out accuracy shrinks.',
  run(o: RunOptions): ExperimentResult {
    const t0 = performance.now();
    const seed = o.seed ?? 0;
    const nTrain = o.small ? 200 : 500;
    const nTest = o.small ? 300 : 1000;
    const width = o.small ? 64 : 256;
    const epochs = o.small ? 6 : 20;
    const every = o.small ? 2 : 3;
    const p = 0.5;
    const seeds = o.small ? [seed] : [seed, seed + 1, seed + 2];
    const curves: { epoch: number; accuracy: number; series: string }[] = [];
    const perSeed: Record<string, { train: number; test: number; trainLoss: number; testLoss: number }[]> = {
      plain: [],
      dropout: [],
    };
    for (const s of seeds) {
      const { train: tr, test } = digitSplit(nTrain, nTest, s);
      for (const variant of ['plain', 'dropout'] as const) {
        const layers: Layer[] = [new Input({ shape: [1, 28, 28] })];
        for (let i = 0; i < 2; i++) {
          layers.push(new Dense({ units: width }), new ReLU());
          if (variant === 'dropout') layers.push(new Dropout({ probability: p }));
        }
        layers.push(new Dense({ units: 10 }), new ClassificationOutput());
        const m = new Sequential(layers).build({ seed: s });
        const name = variant === 'plain' ? 'no dropout' : `dropout ${p}`;
        train(m, tr, new Adam({ lr: 1e-3 }), {
          epochs,
          batchSize: 32,
          seed: s,
          onEpoch: (ep) => {
            if (s === seed && (ep % every === 0 || ep === epochs)) {
              curves.push({ epoch: ep, accuracy: round(accuracy(m, tr)), series: `${name}: training` });
              curves.push({ epoch: ep, accuracy: round(accuracy(m, test)), series: `${name}: held-out` });
            }
            return false;
          },
        });
        perSeed[variant].push({
          train: round(accuracy(m, tr)),
          test: round(accuracy(m, test)),
          trainLoss: round(meanLoss(m, tr)),
          testLoss: round(meanLoss(m, test)),
        });
      }
    }
    const avg = (v: 'plain' | 'dropout', k: 'train' | 'test' | 'trainLoss' | 'testLoss') =>
      round(perSeed[v].reduce((a, r) => a + r[k], 0) / perSeed[v].length);
    const finals = {
      plain: { train: avg('plain', 'train'), test: avg('plain', 'test') },
      dropout: { train: avg('dropout', 'train'), test: avg('dropout', 'test') },
    };
    const losses = {
      plain: { train: avg('plain', 'trainLoss'), test: avg('plain', 'testLoss') },
      dropout: { train: avg('dropout', 'trainLoss'), test: avg('dropout', 'testLoss') },
    };
    const n: DropoutNumbers = {
      trainAccuracy: { plain: finals.plain.train, dropout: finals.dropout.train },
      testAccuracy: { plain: finals.plain.test, dropout: finals.dropout.test },
    };
    const j = judgeDropout(n);
    return {
      id: this.id,
      layer: this.layer,
      claim: this.claim,
      setup: `Two hidden layers of ${width} ReLU units, with and without dropout ${p} after each, trained ${epochs} epochs with Adam 0.001 (batch 32) on only ${nTrain} digits; accuracy in inference mode on those ${nTrain} and on ${nTest} held-out digits, averaged over ${seeds.length} seed(s) from ${seed} (the verdict uses accuracy; the loss columns are for reference).`,
      numbers: {
        nTrain,
        nTest,
        width,
        epochs,
        probability: p,
        seeds,
        ...n,
        gap: { plain: round(j.gap.plain), dropout: round(j.gap.dropout) },
        loss: losses,
        perSeed,
        curves,
      },
      table: {
        columns: [
          'network',
          'training accuracy',
          'held-out accuracy',
          'gap',
          'training loss',
          'held-out loss',
        ],
        rows: [
          [
            'no dropout',
            pct(n.trainAccuracy.plain),
            pct(n.testAccuracy.plain),
            pct(j.gap.plain),
            num(losses.plain.train),
            num(losses.plain.test),
          ],
          [
            `dropout ${p}`,
            pct(n.trainAccuracy.dropout),
            pct(n.testAccuracy.dropout),
            pct(j.gap.dropout),
            num(losses.dropout.train),
            num(losses.dropout.test),
          ],
        ],
      },
      verdict: j.verdict,
      reason: j.reason,
      figures: [],
      charts: [
        {
          name: 'dropout-gap-chart',
          spec: linesSpec(curves, {
            x: 'epoch',
            y: 'accuracy',
            series: 'series',
            title: 'Training vs held-out accuracy, with and without dropout',
            xTitle: 'epoch',
            yTitle: 'accuracy',
          }),
        },
      ],
      seconds: round((performance.now() - t0) / 1000, 2),
      seed,
      small: !!o.small,
    };
  },
};
