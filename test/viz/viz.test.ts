import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import {
  barStrip,
  chartFont,
  confusionSpec,
  convFilters,
  curvesSpec,
  decodeRaster,
  digitsCnn,
  featureMaps,
  featureMapsPng,
  heldOutConfusion,
  filtersPng,
  layerPng,
  loadMnistPackage,
  nonBackgroundPixels,
  probabilitiesSpec,
  type Raster,
  rangeOf,
  renderChartsSync,
  reportHtml,
  saveModel,
  tensorPicture,
  toRGBA,
  visualize,
  writeReport,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-viz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const digits = loadMnistPackage();
const digit = (i: number) => digits.x.slice(i * 784, (i + 1) * 784);
/** A small digit CNN (untrained, seeded): every layer kind of the default network, fast. */
const model = () => digitsCnn({ filters: [4, 8], hidden: 16 }).build({ seed: 1 });

/** Dark pixels in a band of rows (text is drawn dark on white). */
function darkPixelsIn(r: Raster, y0: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < Math.min(y1, r.height); y++)
    for (let x = 0; x < r.width; x++) {
      const k = (y * r.width + x) * 4;
      if (r.data[k] < 100 && r.data[k + 1] < 100 && r.data[k + 2] < 100) n++;
    }
  return n;
}

test('colour maps: ranges, constant pictures and signed values', () => {
  assert.deepEqual(rangeOf([3, -1, 2]), { min: -1, max: 3 });
  const g = toRGBA([0, 0.5, 1], 'gray', { min: 0, max: 1 });
  assert.deepEqual([...g.slice(0, 4)], [0, 0, 0, 255]);
  assert.deepEqual([...g.slice(8, 12)], [255, 255, 255, 255]);
  const flat = toRGBA([2, 2], 'diverging');
  assert.deepEqual([...flat.slice(0, 3)], [...flat.slice(4, 7)]);
  const d = toRGBA([-1, 0, 1], 'diverging', { min: -1, max: 1 });
  assert.ok(d[2] > d[0], 'negative is blue');
  assert.ok(d[8] > d[10], 'positive is red');
});

test('tensor pictures: a tile per channel, 3-D maps as slices, sequences as strips, vectors as bars', () => {
  const img = tensorPicture(
    new Float32Array(3 * 5 * 4).map((_, i) => i),
    [3, 5, 4],
  );
  assert.equal(img.kind, 'image');
  assert.equal(img.tiles.length, 3);
  assert.equal(img.tiles[0].raster.width, 4);
  assert.equal(img.tiles[0].raster.height, 5);
  const vol = tensorPicture(
    new Float32Array(2 * 3 * 4 * 5).map((_, i) => Math.sin(i)),
    [2, 3, 4, 5],
  );
  assert.equal(vol.kind, 'volume');
  assert.equal(vol.tiles.length, 2);
  assert.equal(vol.tiles[0].raster.width, 3 * 5 + 2, 'three 5-wide slices with 1-px gaps');
  const seq = tensorPicture(
    new Float32Array(2 * 7).map((_, i) => i),
    [2, 7],
  );
  assert.equal(seq.kind, 'sequence');
  assert.deepEqual([seq.tiles[0].raster.width, seq.tiles[0].raster.height], [7, 2]);
  const vec = tensorPicture(Float32Array.from([1, -2, 3]), [3]);
  assert.equal(vec.kind, 'vector');
  assert.ok(nonBackgroundPixels(vec.tiles[0].raster) > 10);
  const many = tensorPicture(new Float32Array(100 * 4), [100, 2, 2], { maxTiles: 8 });
  assert.deepEqual([many.shown, many.channels, many.tiles.length], [8, 100, 8]);
  assert.equal(barStrip([0, 0]).width, 8);
});

test('feature maps: every layer of the network, in order, none blank', () => {
  const m = model();
  const fm = featureMaps(m, digit(1500));
  assert.deepEqual(
    fm.layers.map((l) => l.name),
    m.layers.map((l) => l.name),
  );
  assert.equal(fm.output.length, 10);
  assert.ok(Math.abs(fm.output.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'probabilities sum to 1');
  for (const l of fm.layers) {
    assert.ok(l.picture.tiles.length > 0, l.name);
    const lit = l.picture.tiles.reduce((a, t) => a + nonBackgroundPixels(t.raster), 0);
    assert.ok(lit > 0, `${l.name} has a non-blank tile`);
  }
  assert.deepEqual(fm.layers[1].shape, [4, 28, 28]);
  assert.equal(fm.layers[1].picture.tiles.length, 4);
});

test('PNG pictures: labelled feature maps and filters decode with the expected sizes and text', () => {
  const m = model();
  const fm = featureMaps(m, digit(10));
  const conv = fm.layers.find((l) => l.name === 'conv1')!;
  const png = decodeRaster(layerPng(conv));
  // 4 tiles of 28×28 enlarged ×2 side by side, 10-px margins: wider than 4·56.
  assert.ok(png.width >= 4 * 56 + 20 && png.width < 800, `width ${png.width}`);
  assert.ok(png.height > 56 + 40, `height ${png.height}`);
  assert.ok(nonBackgroundPixels(png) > 2000, 'the tiles are drawn');
  if (chartFont().file) assert.ok(darkPixelsIn(png, 0, 30) > 50, 'the title text is rendered');
  const all = decodeRaster(featureMapsPng(fm));
  assert.ok(all.height > 15 * 60, 'one section per layer');
  const filters = convFilters(m);
  assert.deepEqual(
    filters.map((f) => [f.layer, f.shape]),
    [
      ['conv1', [4, 1, 3, 3]],
      ['conv2', [8, 4, 3, 3]],
    ],
  );
  const fp = decodeRaster(filtersPng(filters[1]));
  assert.ok(fp.width > 100 && nonBackgroundPixels(fp) > 500);
});

test('charts through vega-lite → SVG → PNG: curves, confusion matrix, probabilities', () => {
  const history = [1, 2, 3].map((epoch) => ({
    epoch,
    loss: 1 / epoch,
    accuracy: 1 - 0.3 / epoch,
    valLoss: 1.1 / epoch,
    valAccuracy: 1 - 0.35 / epoch,
  }));
  const cm = Array.from({ length: 10 }, (_, i) =>
    Array.from({ length: 10 }, (_, j) => (i === j ? 50 : (i + j) % 5)),
  );
  const out = renderChartsSync([curvesSpec(history), confusionSpec(cm), probabilitiesSpec([0.1, 0.7, 0.2])]);
  assert.equal(out.length, 3);
  for (const { svg, png } of out) {
    assert.match(svg, /^<svg/);
    const r = decodeRaster(png);
    const w = Number(/width="(\d+)"/.exec(svg)![1]);
    assert.equal(r.width, 2 * w, 'PNG at twice the SVG size');
    assert.ok(nonBackgroundPixels(r) > 1000);
  }
  assert.match(out[0].svg, /validation/);
  assert.match(out[1].svg, />50</, 'counts are written in the cells');
  assert.throws(() => renderChartsSync([{ mark: 'no-such-mark' }]), /chart/);
});

test('report.html: input, every layer in order, prediction, curves, confusion matrix, self-contained', () => {
  const m = model();
  const history = [
    { epoch: 1, loss: 0.9, accuracy: 0.7, valLoss: 0.8, valAccuracy: 0.75 },
    { epoch: 2, loss: 0.5, accuracy: 0.85, valLoss: 0.55, valAccuracy: 0.84 },
  ];
  const cm = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 9 : 0)));
  const path = writeReport(m, { history, confusion: cm, sample: { x: digit(5000), label: 5 }, outDir: dir });
  assert.equal(path, join(dir, 'report.html'));
  const html = readFileSync(path, 'utf8');
  const order = [...html.matchAll(/data-layer="([^"]+)"/g)].map((x) => x[1]);
  assert.deepEqual(
    order,
    m.layers.map((l) => l.name),
  );
  for (const id of ['input', 'prediction', 'maps', 'filters', 'curves', 'confusion', 'summary'])
    assert.ok(html.includes(`id="${id}"`), id);
  assert.match(html, /true class 5/);
  assert.match(html, /90 of 90 correct/);
  assert.ok((html.match(/data:image\/png;base64,/g) ?? []).length >= m.layers.length + 1);
  assert.equal((html.match(/data:image\/svg\+xml;base64,/g) ?? []).length, 3);
  assert.doesNotMatch(html, /src="(http|\/\/|file:)/, 'nothing is loaded from elsewhere');
  const bare = reportHtml(m, { sample: digit(0) });
  assert.match(bare, /No training history was given/);
});

test('strata visualize: pictures of a saved model for a bundled digit, through the command', () => {
  const m = model();
  const mdir = join(dir, 'model');
  saveModel(m, mdir, { classNames: digits.classNames });
  const out = join(dir, 'vis');
  const r = visualize(mdir, 'mnist:7000', { out, history: [{ epoch: 1, loss: 1, accuracy: 0.5 }] });
  assert.equal(r.label, digits.y[7000]);
  assert.equal(r.probabilities.length, 10);
  for (const f of [
    'input.png',
    'featuremaps.png',
    'probabilities.png',
    'probabilities.svg',
    'curves.png',
    'filters/conv1.png',
  ])
    assert.ok(existsSync(join(out, f)), f);
  assert.equal(r.files.filter((f) => f.includes('featuremaps/')).length, m.layers.length);
  const input = decodeRaster(readFileSync(join(out, 'input.png')));
  assert.deepEqual([input.width, input.height], [224, 224]);
  let text = '';
  const code = runCli(['visualize', mdir, 'mnist:3', '--out', join(dir, 'vis2'), '--json'], {
    stdout: {
      write: (s: string) => {
        text += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream,
    stderr: process.stderr,
  });
  assert.equal(code, 0);
  assert.equal(JSON.parse(text).probabilities.length, 10);
  assert.throws(() => visualize(mdir, 'mnist:99999', { out }), /out of range/);
  // A model trained on the bundled digits: the confusion matrix of its held-out part (from the metadata).
  const tdir = join(dir, 'trained');
  saveModel(m, tdir, {
    classNames: digits.classNames,
    metadata: { data: { kind: 'mnist', split: { holdout: 200, seed: 0 } } },
  });
  const cm = heldOutConfusion(m, { data: { kind: 'mnist', split: { holdout: 200, seed: 0 } } })!;
  assert.equal(
    cm.flat().reduce((a, b) => a + b, 0),
    200,
  );
  const r2 = visualize(tdir, 'mnist:1', { out: join(dir, 'vis3') });
  assert.ok(r2.files.some((f) => f.endsWith('confusion.png')));
});
