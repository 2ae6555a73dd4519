/**
 * The explorer page end to end in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core; no browser download). The page is built with vite into a temporary folder and served
 * by explore/server.ts with the shipped default model, once with the cross-origin isolation headers
 * (training on wasm threads) and once without (one thread). Skips, saying why, where chromium is absent.
 * STRATA_SCREENSHOTS=<dir> keeps the screenshots (docs/ holds the ones in the documentation).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { PageState } from '../../explore/main.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does) or set STRATA_CHROMIUM`;
if (skip) console.log(`# skipping the browser tests: ${skip}`);

describe('explorer page in headless Chromium', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'strata-explore-'));
  const shots = process.env.STRATA_SCREENSHOTS ?? join(tmp, 'shots');
  let server: Server;
  let url: string;
  /** The same page served without COOP/COEP: not cross-origin isolated. */
  let plainServer: Server;
  let plainUrl: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    // Build the page into tmp (data files, default model, vite bundle), serve it, open it.
    const pub = join(tmp, 'public');
    const out = join(tmp, 'dist');
    const { prepareExplore } = await import('../../explore/prepare.js');
    prepareExplore(pub);
    process.env.STRATA_EXPLORE_PUBLIC = pub;
    process.env.STRATA_EXPLORE_OUT = out;
    const { build } = await import('vite');
    await build({ configFile: join(root, 'explore', 'vite.config.ts'), logLevel: 'error' });
    const { startExploreServer } = await import('../../explore/server.js');
    ({ server, url } = await startExploreServer({ root: out, modelDir: join(tmp, 'no-model'), port: 0 }));
    ({ server: plainServer, url: plainUrl } = await startExploreServer({
      root: out,
      modelDir: join(tmp, 'no-model'),
      port: 0,
      isolation: false,
    }));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    server?.close();
    plainServer?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const renders = () => page.evaluate(() => Number(document.body.dataset.renders ?? 0));
  async function waitRender(before: number): Promise<void> {
    await page.waitForFunction((n) => Number(document.body.dataset.renders ?? 0) > n, before, {
      timeout: 20_000,
    });
  }
  const prediction = () => page.locator('#prediction').textContent();

  test('the page loads, cross-origin isolated, on the wasm backend, with the shipped model', async () => {
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
    const status = await page.locator('#status').textContent();
    assert.match(status!, /Backend wasm/);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.match((await page.locator('#model-info').textContent())!, /shipped default weights/);
    await page.waitForFunction(() => Number(document.body.dataset.renders ?? 0) > 0);
  });

  test('held-out digits are predicted', async () => {
    let right = 0;
    for (let i = 0; i < 10; i++) {
      const n = await renders();
      await page.fill('#pick-index', String(i));
      await page.click('#show');
      await waitRender(n);
      const label = await page.evaluate(() => (window as unknown as { strata: PageState }).strata.label);
      if ((await prediction()) === String(label)) right++;
    }
    assert.ok(right >= 9, `${right} of 10 held-out digits right`);
  });

  async function drawPath(points: [number, number][]): Promise<void> {
    const box = (await page.locator('#draw').boundingBox())!;
    const n = await renders();
    await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 2 });
    await page.mouse.up();
    await waitRender(n);
    // Let the last animation frame's render land.
    await page.waitForTimeout(100);
  }

  test('a drawn digit is predicted as it is drawn', async () => {
    await page.click('#clear');
    await drawPath(Array.from({ length: 12 }, (_, i) => [140 + i * 0.5, 40 + i * 17] as [number, number]));
    assert.equal(await prediction(), '1', 'a vertical stroke is a 1');
    await page.click('#clear');
    const ring = Array.from({ length: 41 }, (_, i) => {
      const a = (2 * Math.PI * i) / 40;
      return [140 + 60 * Math.sin(a), 140 - 95 * Math.cos(a)] as [number, number];
    });
    await drawPath(ring);
    assert.equal(await prediction(), '0', 'an oval is a 0');
    await page.screenshot({ path: join(shots, 'explore.png'), fullPage: true });
  });

  test('every layer has feature-map canvases, and they are not blank', async () => {
    const layers = await page.evaluate(() => {
      const out: Record<string, { canvases: number; lit: number }> = {};
      for (const c of document.querySelectorAll<HTMLCanvasElement>('canvas.fmap')) {
        const name = c.dataset.layer!;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const colours = new Set<number>();
        for (let i = 0; i < d.length; i += 4) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        out[name] ??= { canvases: 0, lit: 0 };
        out[name].canvases++;
        if (colours.size > 1) out[name].lit++;
      }
      return out;
    });
    const names = Object.keys(layers);
    assert.ok(names.length >= 15, `layers shown: ${names.join(', ')}`);
    assert.equal(layers.conv1.canvases, 16);
    assert.equal(layers.conv2.canvases, 32);
    for (const [name, l] of Object.entries(layers)) assert.ok(l.lit > 0, `${name}: every canvas is blank`);
    assert.ok(layers.conv1.lit >= 12, 'most first-layer maps respond to the digit');
  });

  /** Trains one epoch on 1000 digits in the page at `base`; returns what the page recorded. */
  async function trainOneEpoch(p: Page, base: string, t: { diagnostic(s: string): void }) {
    await p.goto(`${base}?train=1000&heldout=300`);
    await p.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
    await p.fill('#epochs', '1');
    await p.click('#train');
    await p.waitForSelector('#train-status[data-state="done"], #train-status[data-state="error"]', {
      timeout: 240_000,
    });
    const status = (await p.locator('#train-status').textContent())!;
    assert.match(status, /^Done/, status);
    const s = await p.evaluate(() => {
      const st = (window as unknown as { strata: PageState }).strata;
      return {
        acc: st.accuracies,
        threads: st.trainThreads,
        seconds: st.epochSeconds,
        losses: st.losses.length,
        isolated: crossOriginIsolated,
        cores: navigator.hardwareConcurrency,
      };
    });
    assert.equal(s.acc.length, 2);
    const [[, before], [, afterOne]] = s.acc;
    t.diagnostic(
      `${s.threads} thread(s): held-out accuracy ${before} before training, ${afterOne} after one epoch of ${s.seconds[0].toFixed(2)} s (${status})`,
    );
    assert.ok(afterOne > before + 0.3, `held-out accuracy ${before} before, ${afterOne} after one epoch`);
    assert.ok(afterOne > 0.7, `after one epoch: ${afterOne}`);
    assert.equal(s.losses, Math.ceil(1000 / 32), 'one loss per batch for the live curve');
    return { ...s, status };
  }

  test('one epoch of training in the page (Web Worker, wasm threads) raises held-out accuracy', async (t) => {
    const s = await trainOneEpoch(page, url, t);
    assert.equal(s.isolated, true);
    if (s.cores > 1) {
      assert.ok(s.threads > 1, `cross-origin isolated on ${s.cores} cores, yet ${s.threads} thread(s)`);
      assert.match(s.status, /wasm SIMD, \d+ threads\)/);
    }
    await page.click('#clear');
    await drawPath(Array.from({ length: 12 }, (_, i) => [140, 40 + i * 17] as [number, number]));
    await page.screenshot({ path: join(shots, 'explore-training.png'), fullPage: false });
  });

  test('without the isolation headers: one thread, and training still works', async (t) => {
    const p = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    try {
      const s = await trainOneEpoch(p, plainUrl, t);
      assert.equal(s.isolated, false);
      assert.equal(s.threads, 1);
      assert.match(s.status, /wasm SIMD, 1 thread\)/);
      assert.match((await p.locator('#status').textContent())!, /not cross-origin isolated/);
    } finally {
      await p.close();
    }
  });
});
