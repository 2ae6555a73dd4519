/**
 * The wasm thread pool in headless Chromium: a small page (test/browser/pool-page) runs the backend in
 * a Web Worker, served with the cross-origin isolation headers (threads: nested Web Workers on the
 * shared memory) and without them (one thread). Same products either way; a pool worker that dies is a
 * StrataError, not a hang, and the pool restarts. Skips, saying why, where chromium is absent.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import type { PoolReport } from './pool-page/worker.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set STRATA_CHROMIUM`;

describe('wasm thread pool in headless Chromium (Web Workers)', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'strata-pool-'));
  let isolated: { server: Server; url: string };
  let plain: { server: Server; url: string };
  let browser: Browser;

  before(async () => {
    const { build } = await import('vite');
    await build({
      root: join(here, 'pool-page'),
      base: './',
      logLevel: 'error',
      publicDir: false,
      build: { outDir: join(tmp, 'dist'), emptyOutDir: true, target: 'es2022' },
      worker: { format: 'es' },
    });
    const { startExploreServer } = await import('../../explore/server.js');
    const o = { root: join(tmp, 'dist'), modelDir: join(tmp, 'none'), port: 0 };
    isolated = await startExploreServer(o);
    plain = await startExploreServer({ ...o, isolation: false });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    isolated?.server.close();
    plain?.server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function report(base: string, threads: number): Promise<PoolReport> {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}?threads=${threads}`);
      await page.waitForFunction(() => 'poolResult' in window, null, { timeout: 60_000 });
      const r = await page.evaluate(() => (window as unknown as { poolResult: PoolReport }).poolResult);
      assert.equal(r.error, undefined, r.error);
      return r;
    } finally {
      await page.close();
    }
  }

  let one: PoolReport;

  test('one thread when asked for one', async (t) => {
    one = await report(isolated.url, 1);
    assert.equal(one.isolated, true);
    assert.equal(one.threads, 1);
    t.diagnostic(`20 products 256³ on 1 thread: ${one.ms!.toFixed(0)} ms`);
  });

  test('cross-origin isolated: two threads, the same product; a dying worker is a StrataError', async (t) => {
    const r = await report(isolated.url, 2);
    assert.equal(r.threads, 2);
    assert.deepEqual(r.product, one.product);
    t.diagnostic(`20 products 256³ on 2 threads: ${r.ms!.toFixed(0)} ms`);
    assert.match(r.killed ?? 'no error', /^StrataError: wasm: worker thread 1 died/);
    assert.deepEqual(r.afterKill, one.product);
    assert.equal(r.ready, true, 'the restarted pool came up');
    assert.deepEqual(r.afterRestart, one.product);
  });

  test('not cross-origin isolated: one thread, the same product', async () => {
    const r = await report(plain.url, 2);
    assert.equal(r.isolated, false);
    assert.equal(r.threads, 1);
    assert.deepEqual(r.product, one.product);
  });
});
