import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import {
  EXPERIMENTS,
  experimentsFor,
  explainCommand,
  judgeChecks,
  judgeConvLocates,
  judgeDropout,
  judgeDying,
  judgePooling,
  judgeSpeedup,
  judgeVanishing,
  LAYERS,
  layerFamily,
  resultJson,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-explain-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('verdicts follow the numbers: convolution and pooling', () => {
  assert.equal(judgeConvLocates({ exactShare: 1, meanErrorPx: 0 }).verdict, 'supported');
  assert.equal(judgeConvLocates({ exactShare: 0.7, meanErrorPx: 1 }).verdict, 'weak');
  assert.equal(judgeConvLocates({ exactShare: 0.3, meanErrorPx: 4 }).verdict, 'not supported');
  const none = [1, 1, 1];
  assert.equal(
    judgePooling({ change: { none, max2: [0.5, 0.6, 0.7], avg2: [0.6, 0.7, 0.8] } }).verdict,
    'supported',
  );
  assert.equal(
    judgePooling({ change: { none, max2: [0.7, 0.8, 0.9], avg2: [0.7, 0.9, 0.95] } }).verdict,
    'weak',
  );
  assert.equal(
    judgePooling({ change: { none, max2: [1, 1.1, 1], avg2: [1.2, 1, 1] } }).verdict,
    'not supported',
  );
});

test('verdicts follow the numbers: activations', () => {
  const v = (sigmoid: number, tanh: number) =>
    judgeVanishing({ firstOverLast: { sigmoid, tanh, relu: 1 } }).verdict;
  assert.equal(v(1e-6, 1e-3), 'supported');
  assert.equal(v(1e-6, 1.1), 'weak');
  assert.equal(v(0.5, 0.9), 'not supported');
  const base = { highRates: [0.01, 0.1], reluNormalDead: 0.02, reluNormalAccuracy: 0.9 };
  const dying = judgeDying({
    ...base,
    dead: { relu: [0.1, 0.8], leakyRelu: [0.05, 0.5], elu: [0.01, 0.4] },
    accuracy: { relu: [0.85, 0.3], leakyRelu: [0.86, 0.7], elu: [0.86, 0.75] },
  });
  assert.deepEqual([dying.dying, dying.remedy, dying.verdict], ['supported', 'supported', 'supported']);
  const noRemedy = judgeDying({
    ...base,
    dead: { relu: [0.1, 0.8], leakyRelu: [0.05, 0.5], elu: [0.01, 0.4] },
    accuracy: { relu: [0.85, 0.7], leakyRelu: [0.86, 0.69], elu: [0.86, 0.6] },
  });
  assert.deepEqual(
    [noRemedy.dying, noRemedy.remedy, noRemedy.verdict],
    ['supported', 'not supported', 'not supported'],
  );
  const noDeath = judgeDying({
    ...base,
    dead: { relu: [0.02, 0.03], leakyRelu: [0, 0], elu: [0, 0] },
    accuracy: { relu: [0.9, 0.9], leakyRelu: [0.9, 0.9], elu: [0.9, 0.9] },
  });
  assert.equal(noDeath.dying, 'not supported');
});

test('verdicts follow the numbers: dropout, normalization, shape checks', () => {
  const d = (trainP: number, testP: number, trainD: number, testD: number) =>
    judgeDropout({
      trainAccuracy: { plain: trainP, dropout: trainD },
      testAccuracy: { plain: testP, dropout: testD },
    }).verdict;
  assert.equal(d(1, 0.85, 0.97, 0.88), 'supported');
  assert.equal(d(1, 0.85, 0.99, 0.85), 'weak');
  assert.equal(d(1, 0.87, 1, 0.86), 'not supported');
  assert.equal(judgeSpeedup(1, 2).verdict, 'supported');
  assert.equal(judgeSpeedup(1.8, 2).verdict, 'weak');
  assert.equal(judgeSpeedup(2, 2).verdict, 'not supported');
  assert.equal(judgeSpeedup(1, null).verdict, 'supported', 'never reaching the target is infinitely slow');
  assert.equal(judgeSpeedup(null, 1).verdict, 'not supported');
  assert.equal(judgeSpeedup(null, null).verdict, 'not supported');
  assert.equal(judgeChecks({ a: true, b: true }).verdict, 'supported');
  assert.deepEqual(judgeChecks({ a: true, b: false }), { verdict: 'weak', failed: ['b'] });
});

test('every layer family has experiments; names and aliases resolve', () => {
  for (const l of LAYERS) assert.ok(experimentsFor(l).length > 0, l);
  assert.equal(layerFamily('Conv'), 'convolution');
  assert.equal(layerFamily('batch-norm'), 'normalization');
  assert.equal(layerFamily('unpool'), 'unpooling');
  assert.throws(() => layerFamily('attention'), /no experiments for 'attention'/);
  assert.equal(new Set(EXPERIMENTS.map((e) => e.id)).size, EXPERIMENTS.length);
});

test('experiments are real and reproducible: same seed, same numbers; another seed, other data', () => {
  for (const e of EXPERIMENTS) {
    const a = e.run({ seed: 3, small: true, figures: false });
    const b = e.run({ seed: 3, small: true, figures: false });
    assert.deepEqual(resultJson({ ...a, seconds: 0 }), resultJson({ ...b, seconds: 0 }), e.id);
    assert.ok(['supported', 'weak', 'not supported'].includes(a.verdict));
    assert.ok(a.table.rows.length > 0 && a.reason.length > 0, e.id);
  }
  const [drop] = experimentsFor('dropout');
  const s1 = drop.run({ seed: 1, small: true, figures: false }).numbers;
  const s2 = drop.run({ seed: 2, small: true, figures: false }).numbers;
  assert.notDeepEqual(s1.curves, s2.curves, 'the seed changes the data and the initialization');
});

test('strata explain: plots and --json for one layer, one HTML page for --all (reduced sizes)', () => {
  const out = join(dir, 'one');
  let text = '';
  const code = runCli(['explain', 'pooling', '--small', '--json', '--out', out], {
    stdout: {
      write: (s: string) => {
        text += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream,
    stderr: process.stderr,
  });
  assert.equal(code, 0);
  const j = JSON.parse(text);
  assert.equal(j.id, 'pool-invariance');
  assert.equal(j.numbers.change.none.length, 3);
  assert.ok(existsSync(join(out, 'pool-invariance.png')));
  assert.ok(existsSync(join(out, 'pool-invariance-chart.svg')));

  const lines: string[] = [];
  const all = explainCommand(undefined, {
    all: true,
    small: true,
    out: join(dir, 'all'),
    print: (s) => lines.push(s),
  });
  assert.equal(all.length, EXPERIMENTS.length);
  const html = readFileSync(join(dir, 'all', 'index.html'), 'utf8');
  for (const e of EXPERIMENTS) assert.ok(html.includes(`id="${e.id}"`), e.id);
  assert.ok(lines.some((l) => /verdict: (SUPPORTED|WEAK|NOT SUPPORTED) — /.test(l)));
  assert.ok(
    all.every((r) => r.figures.length > 0),
    'every experiment drew a plot',
  );
  assert.throws(() => explainCommand(undefined, {}), /name a layer/);
});
