import { StrataError } from '../core/errors.js';

/**
 * Classification metrics on the host, from predicted classes (or scores) and true labels. A confusion
 * matrix has one row per true class and one column per predicted class.
 */

function checkLengths(where: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new StrataError(where, `${a.length} predictions for ${b.length} labels`);
}

/** The fraction of predictions equal to the labels (0 for no examples). */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths('accuracy', predicted, labels);
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) ok++;
  return labels.length ? ok / labels.length : 0;
}

/** The class of the highest score of each row of `scores` ([N, C] row-major). */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  const n = scores.length / numClasses;
  if (!Number.isInteger(n))
    throw new StrataError('argmaxRows', `${scores.length} scores are not rows of ${numClasses}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++)
      if (scores[i * numClasses + c] > scores[i * numClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** The fraction of examples whose label is among the k highest scores ([N, C] row-major). */
export function topKAccuracy(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  numClasses: number,
): number {
  if (!Number.isInteger(k) || k < 1)
    throw new StrataError('topKAccuracy', `k must be a positive integer, got ${k}`);
  if (scores.length !== labels.length * numClasses)
    throw new StrataError(
      'topKAccuracy',
      `${scores.length} scores for ${labels.length} labels of ${numClasses} classes`,
    );
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    const s = scores[i * numClasses + labels[i]];
    let higher = 0;
    for (let c = 0; c < numClasses; c++) if (scores[i * numClasses + c] > s) higher++;
    if (higher < k) ok++;
  }
  return labels.length ? ok / labels.length : 0;
}

/** counts[true][predicted]. */
export function confusionMatrix(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): number[][] {
  checkLengths('confusionMatrix', predicted, labels);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predicted[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses))
      throw new StrataError(
        'confusionMatrix',
        `example ${i}: label ${t} or prediction ${p} is not in 0..${numClasses - 1}`,
      );
    m[t][p]++;
  }
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Examples of the class. */
  support: number;
}

/**
 * Precision, recall and F1 per class from a confusion matrix, with their macro average (the plain mean
 * over classes) and weighted average (by support). A ratio with a zero denominator counts as 0.
 */
export function classificationReport(cm: number[][]): {
  perClass: ClassScores[];
  macro: ClassScores;
  weighted: ClassScores;
  accuracy: number;
} {
  const k = cm.length;
  const perClass: ClassScores[] = [];
  let total = 0;
  let diag = 0;
  for (let c = 0; c < k; c++) {
    const tp = cm[c][c];
    let predicted = 0;
    let support = 0;
    for (let j = 0; j < k; j++) {
      predicted += cm[j][c];
      support += cm[c][j];
    }
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ precision, recall, f1, support });
    total += support;
    diag += tp;
  }
  const avg = (w: (s: ClassScores) => number, norm: number): ClassScores => ({
    precision: perClass.reduce((a, s) => a + w(s) * s.precision, 0) / norm,
    recall: perClass.reduce((a, s) => a + w(s) * s.recall, 0) / norm,
    f1: perClass.reduce((a, s) => a + w(s) * s.f1, 0) / norm,
    support: total,
  });
  return {
    perClass,
    macro: avg(() => 1, k || 1),
    weighted: avg((s) => s.support, total || 1),
    accuracy: total ? diag / total : 0,
  };
}

/** Precision of each class (see classificationReport). */
export const precision = (cm: number[][]): number[] =>
  classificationReport(cm).perClass.map((s) => s.precision);
/** Recall of each class. */
export const recall = (cm: number[][]): number[] => classificationReport(cm).perClass.map((s) => s.recall);
/** F1 of each class. */
export const f1Score = (cm: number[][]): number[] => classificationReport(cm).perClass.map((s) => s.f1);

/** The confusion matrix as an aligned text table (rows: true class, columns: predicted). */
export function formatConfusionMatrix(cm: number[][], classNames?: readonly string[]): string {
  const names = cm.map((_, i) => classNames?.[i] ?? String(i));
  const w = Math.max(4, ...names.map((n) => n.length), ...cm.flat().map((v) => String(v).length));
  const head = `${'true\\pred'.padEnd(Math.max(9, ...names.map((n) => n.length)))} ${names.map((n) => n.padStart(w)).join(' ')}`;
  const lw = head.indexOf(' ');
  const rows = cm.map((r, i) => `${names[i].padEnd(lw)} ${r.map((v) => String(v).padStart(w)).join(' ')}`);
  return [head, ...rows].join('\n');
}
