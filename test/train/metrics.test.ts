import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  f1Score,
  formatConfusionMatrix,
  precision,
  recall,
  topKAccuracy,
} from '../../src/index.js';

test('accuracy, confusion matrix, precision, recall, F1 (hand-computed)', () => {
  const labels = [0, 0, 0, 1, 1, 2];
  const pred = [0, 1, 0, 1, 2, 2];
  assert.equal(accuracy(pred, labels), 4 / 6);
  const cm = confusionMatrix(pred, labels, 3);
  assert.deepEqual(cm, [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
  assert.deepEqual(precision(cm), [1, 0.5, 0.5]);
  assert.deepEqual(recall(cm), [2 / 3, 0.5, 1]);
  const f = f1Score(cm);
  assert.ok(Math.abs(f[0] - 0.8) < 1e-12 && Math.abs(f[2] - 2 / 3) < 1e-12);
  const r = classificationReport(cm);
  assert.ok(Math.abs(r.macro.precision - 2 / 3) < 1e-12);
  assert.ok(Math.abs(r.weighted.recall - 4 / 6) < 1e-12);
  assert.equal(r.accuracy, 4 / 6);
  assert.match(
    formatConfusionMatrix(cm, ['zero', 'one', 'two']),
    /^true\\pred\s+zero\s+one\s+two\nzero\s+2\s+1\s+0/,
  );
  assert.throws(() => confusionMatrix([3], [0], 3), /label 0 or prediction 3 is not in 0\.\.2/);
});

test('top-k accuracy counts the label among the k highest scores', () => {
  const scores = [0.1, 0.6, 0.3, 0.5, 0.2, 0.3];
  assert.equal(topKAccuracy(scores, [2, 2], 1, 3), 0);
  assert.equal(topKAccuracy(scores, [2, 2], 2, 3), 1);
  assert.equal(topKAccuracy(scores, [0, 1], 2, 3), 0);
  assert.equal(topKAccuracy(scores, [0, 0], 2, 3), 0.5);
});
