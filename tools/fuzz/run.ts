/**
 * npm run fuzz [-- --count 10000] [--seed 1] [--loader safetensors,idx] [--json] [--time-limit 100]
 *              [--replay <loader>:<seed> [--write <file>]] [--list]
 *
 * Mutates valid files of every loader and checks that each input loads or is rejected with a
 * StrataError within the limits (see harness.ts). Failures are printed with the input's seed as they
 * happen; the run ends with `N passed, N failed` on its own line, or with --json one JSON line per
 * loader on stdout (the rest goes to stderr). Exit status 1 when anything failed.
 */
import { writeFileSync } from 'node:fs';
import { classify, type Failure, fuzzLoader, inputOf, type LoaderResult, Watchdog } from './harness.js';
import { allTargets } from './all.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const has = (name: string) => process.argv.includes(`--${name}`);

const json = has('json');
const say = (s: string) => (json ? process.stderr : process.stdout).write(`${s}\n`);

async function main(): Promise<number> {
  const targets = await allTargets();
  if (has('list')) {
    for (const t of targets) say(t.name);
    return 0;
  }
  const replay = arg('replay');
  if (replay) {
    const [name, s] = replay.split(':');
    const t = targets.find((x) => x.name === name);
    if (!t) throw new Error(`no loader '${name}' (${targets.map((x) => x.name).join(', ')})`);
    const { plan, bytes } = inputOf(t, Number(s) >>> 0);
    say(`plan: ${JSON.stringify(plan)}`);
    say(`input: ${bytes.length} bytes`);
    const out = arg('write');
    if (out) {
      writeFileSync(out, bytes);
      say(`wrote ${out}`);
    }
    const t0 = performance.now();
    const o = classify(t, bytes, plan);
    say(`${o.kind} in ${(performance.now() - t0).toFixed(2)} ms${'message' in o ? `: ${o.message}` : ''}`);
    return o.kind === 'exception' ? 1 : 0;
  }
  const count = Number(arg('count') ?? 10000);
  const seed = Number(arg('seed') ?? 1) >>> 0;
  const only = arg('loader')?.split(',');
  const timeLimitMs = Number(arg('time-limit') ?? 100);
  const chosen = only ? targets.filter((t) => only.includes(t.name)) : targets;
  if (only && chosen.length !== only.length)
    throw new Error(`unknown loader in ${only}; loaders: ${targets.map((t) => t.name).join(', ')}`);
  say(
    `fuzz: seed ${seed}, ${count} mutations per loader (${chosen.map((t) => t.name).join(', ')}); limits ${timeLimitMs} ms and 32 MiB + 32 B per input byte (the wasm heap: beyond one allocator step)`,
  );
  const dog = new Watchdog(targets.map((t) => t.name));
  const results: LoaderResult[] = [];
  const onFailure = (f: Failure) =>
    say(
      `FAIL ${f.loader} input ${f.index} (seed ${f.seed}): ${f.kind}: ${f.message}\n  replay: npm run fuzz -- --replay ${f.loader}:${f.seed}`,
    );
  try {
    for (const t of chosen) {
      const r = fuzzLoader(t, targets.indexOf(t), { count, seed, timeLimitMs, onFailure }, dog);
      results.push(r);
      say(
        `${t.name.padEnd(12)} ${r.runs} mutations: ${r.loaded} loaded, ${r.rejected} rejected with StrataError, ${r.failed} failed; slowest ${r.maxMs.toFixed(1)} ms, largest growth ${(r.maxGrowthBytes / 2 ** 20).toFixed(2)} MiB, wasm heap ${(r.wasmHeapBytes / 2 ** 20).toFixed(0)} MiB; ${r.seconds.toFixed(1)} s`,
      );
    }
  } finally {
    for (const t of chosen) t.teardown?.();
    await dog.stop();
  }
  const failed = results.reduce((a, r) => a + r.failed, 0);
  const passed = results.reduce((a, r) => a + r.runs - r.failed, 0);
  say(`${passed} passed, ${failed} failed`);
  if (json)
    for (const r of results)
      process.stdout.write(
        `${JSON.stringify({ ...r, maxMs: Number(r.maxMs.toFixed(2)), seconds: Number(r.seconds.toFixed(2)), failures: r.failures.slice(0, 10) })}\n`,
      );
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
