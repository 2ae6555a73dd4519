// Fused product + bias + activation: convBiasAct (normalized conv attributes & act), linearBiasAct
// and the public linear(). Bias, when present, is the third input.
import { convBiasAct, linear, linearBiasAct, zeros } from '../../src/index.js';
import { n, withAttrs } from './_helpers.js';
import type { ErrorCase, InputSpec, OpCase, OpEntry } from './types.js';

const f64 = { dtype: 'float64' as const };
const err = (name: string, run: () => unknown, message: RegExp): ErrorCase => ({ name, run, message });

/** Normalized conv attributes for r spatial axes, with overrides. */
const attrs = (r: number, act: 'none' | 'relu', o: Record<string, unknown> = {}) => ({
  stride: Array(r).fill(1),
  padBegin: Array(r).fill(0),
  padEnd: Array(r).fill(0),
  dilation: Array(r).fill(1),
  groups: 1,
  act,
  ...o,
});

function cba(name: string, inputs: InputSpec[], a: ReturnType<typeof attrs>): OpCase {
  return withAttrs(name, inputs, a, ([x, w, b], at) => convBiasAct(x, w, b ?? null, at as any));
}

function lba(name: string, inputs: InputSpec[], act: 'none' | 'relu'): OpCase {
  return withAttrs(name, inputs, { act }, ([x, w, b], a) => linearBiasAct(x, w, b ?? null, a.act));
}

const raw = attrs(1, 'relu');

export const entries: OpEntry[] = [
  {
    op: 'convBiasAct',
    cases: [
      cba(
        'relu bias 2d stride groups dilation asymmetric pads, sizes 1 and 17',
        [n(1, 4, 17, 5), n(4, 2, 3, 2), n(4)],
        attrs(2, 'relu', { stride: [2, 1], padBegin: [1, 0], padEnd: [0, 1], dilation: [1, 2], groups: 2 }),
      ),
      cba(
        'relu bias 2d pad1',
        [n(2, 3, 6, 5), n(5, 3, 3, 3), n(5)],
        attrs(2, 'relu', { padBegin: [1, 1], padEnd: [1, 1] }),
      ),
      cba(
        'none bias 1d pad1',
        [n(2, 3, 9), n(5, 3, 3), n(5)],
        attrs(1, 'none', { padBegin: [1], padEnd: [1] }),
      ),
      cba('relu no bias 1d stride2', [n(2, 3, 9), n(4, 3, 2)], attrs(1, 'relu', { stride: [2] })),
      cba('none no bias 2d', [n(1, 2, 4, 4), n(3, 2, 2, 2)], attrs(2, 'none')),
      cba(
        'relu bias 3d pads',
        [n(1, 2, 3, 4, 3), n(3, 2, 2, 2, 2), n(3)],
        attrs(3, 'relu', { padBegin: [1, 0, 1], padEnd: [0, 1, 0] }),
      ),
      cba('relu bias 1x1 output', [n(3, 2, 3, 3), n(6, 2, 3, 3), n(6)], attrs(2, 'relu')),
    ],
    errors: [
      err(
        'bias shape',
        () => convBiasAct(zeros([1, 1, 5], f64), zeros([2, 1, 3], f64), zeros([3], f64), raw as any),
        /^convBiasAct: bias must have shape \[2\] \(output channels\), got \[3\]/,
      ),
      err(
        'bias dtype',
        () => convBiasAct(zeros([1, 1, 5], f64), zeros([2, 1, 3], f64), zeros([2]), raw as any),
        /^convBiasAct: inputs must have the same dtype, got float64 and float32/,
      ),
      err(
        'unknown act',
        () => convBiasAct(zeros([1, 1, 5], f64), zeros([2, 1, 3], f64), null, { ...raw, act: 'gelu' } as any),
        /^convBiasAct: act must be 'none' or 'relu', got "gelu"/,
      ),
      err(
        'channels',
        () => convBiasAct(zeros([1, 3, 5], f64), zeros([2, 4, 3], f64), null, raw as any),
        /^convBiasAct: input channels \(3\) must equal weight in-channels × groups \(4 × 1\)/,
      ),
    ],
  },
  {
    op: 'linearBiasAct',
    cases: [
      lba('relu bias batch1, sizes 1 and 17', [n(1, 17), n(5, 17), n(5)], 'relu'),
      lba('relu bias batch4 nine units', [n(4, 6), n(9, 6), n(9)], 'relu'),
      lba('none bias batch3', [n(3, 5), n(4, 5), n(4)], 'none'),
      lba('relu no bias', [n(2, 5), n(3, 5)], 'relu'),
      lba('none no bias', [n(2, 3), n(2, 3)], 'none'),
    ],
    errors: [
      err(
        'features',
        () => linearBiasAct(zeros([2, 4], f64), zeros([3, 5], f64), null),
        /^linearBiasAct: x \[2,4\] has 4 features, w \[3,5\] expects 5/,
      ),
      err(
        'rank',
        () => linearBiasAct(zeros([2, 4, 1], f64), zeros([3, 4], f64), null),
        /^linearBiasAct: x \(N, in\) and w \(units, in\) must have rank 2, got \[2,4,1\] and \[3,4\]/,
      ),
      err(
        'bias shape',
        () => linearBiasAct(zeros([2, 4], f64), zeros([3, 4], f64), zeros([4], f64), 'relu'),
        /^linearBiasAct: bias must have shape \[3\] \(units\), got \[4\]/,
      ),
    ],
  },
  {
    op: 'linear',
    cases: [
      withAttrs(
        'relu bias 3-d input, sizes 1 and 17',
        [n(2, 1, 17), n(3, 17), n(3)],
        { activation: 'relu' },
        ([x, w, b], a) => linear(x, w, { bias: b, activation: a.activation as 'relu' }),
      ),
      withAttrs('vector input', [n(6), n(4, 6)], {}, ([x, w]) => linear(x, w)),
      withAttrs('bias batch2', [n(2, 5), n(3, 5), n(3)], {}, ([x, w, b]) => linear(x, w, { bias: b })),
    ],
    errors: [
      err(
        'activation',
        () => linear(zeros([2, 4], f64), zeros([3, 4], f64), { activation: 'tanh' as 'relu' }),
        /^linear: activation must be 'relu' or omitted, got "tanh"/,
      ),
      err(
        'scalar input',
        () => linear(zeros([], f64), zeros([3, 4], f64)),
        /^linear: x must have rank >= 1, got \[\]/,
      ),
    ],
  },
];
