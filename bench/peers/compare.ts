// `npm run bench:compare [-- W1 W4 ...] [--json] [--markdown]`: Strata and other libraries on the
// workloads of shared/WORKLOADS.md in one run, with Strata/peer ratios. Strata's figures come from
// bench/run.ts (`--json --threads 1`, then 2); the peers run from this folder, a package of its own
// (not a dependency of Strata), installed here on first use with `npm ci` and
// ONNXRUNTIME_NODE_INSTALL=skip. Each system runs in a child process of its own, one after the
// other, with the same method (peers/measure.mjs copies bench/run.ts's): warm-up, 5 repetitions of
// ≥ 0.2 s, median and min–max. The machine is shared: only ratios within one run mean much, and the
// load average is printed before each system.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Row {
  system: string;
  workload: string;
  threads?: number;
  unit?: string;
  median?: number;
  min?: number;
  max?: number;
  cannot?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const ids = args.filter((a) => /^W\d$/i.test(a)).map((a) => a.toUpperCase());
const json = args.includes('--json');
const log = (s: string) => process.stderr.write(`${s}\n`);

function installPeers(): void {
  const needed = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'convnetjs', 'onnxruntime-node'];
  if (needed.every((p) => existsSync(join(here, 'node_modules', p, 'package.json')))) return;
  log('bench:compare: installing bench/peers (npm ci, ONNXRUNTIME_NODE_INSTALL=skip) …');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--prefix', here, '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (r.status !== 0) throw new Error('bench:compare: npm ci --prefix bench/peers failed');
}

function cpuModel(): string {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8' });
    const field = (k: string) => new RegExp(`^${k}:\\s*(.+)$`, 'm').exec(out)?.[1].trim();
    const name = field('Model name');
    if (name) return `${name} (family ${field('CPU family')}, model ${field('Model')})`;
  } catch {}
  return cpus()[0]?.model ?? 'unknown';
}

const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

/** Runs one system in a child process; its stdout is JSON lines. */
function runSystem(system: string, script: string, extra: string[]): Row[] {
  log(`bench:compare: ${system} (load average ${load()}) …`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...extra, ...ids], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const rows: Row[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line);
    if (o.error) rows.push({ system, workload: o.workload, cannot: o.error });
    else rows.push({ ...o, system: o.peer ?? system });
  }
  if (r.status !== 0) log(`  ${system} exited with ${r.status}: its figures may be missing`);
  return rows;
}

installPeers();
const started = new Date();
const header = {
  date: started.toISOString(),
  cpu: cpuModel(),
  cores: cpus().length,
  node: process.version,
  loadBefore: load(),
};
const bench = join(root, 'bench/run.ts');
const rows: Row[] = [
  ...runSystem('strata', bench, ['--json', '--threads', '1']),
  ...runSystem('strata', bench, ['--json', '--threads', '2']),
  ...runSystem('tfjs-cpu', join(here, 'tfjs.mjs'), ['cpu']),
  ...runSystem('tfjs-wasm', join(here, 'tfjs.mjs'), ['wasm']),
  ...runSystem('convnetjs', join(here, 'convnetjs.mjs'), []),
  ...runSystem('onnxruntime', join(here, 'onnxruntime.mjs'), ['--threads', '1']),
  ...runSystem('onnxruntime', join(here, 'onnxruntime.mjs'), ['--threads', '2']),
];
const loadAfter = load();
const seconds = (Date.now() - started.getTime()) / 1000;

const versions = JSON.parse(readFileSync(join(here, 'package-lock.json'), 'utf8')).packages as Record<
  string,
  { version?: string }
>;
const version = (p: string) => versions[`node_modules/${p}`]?.version ?? '?';
const peerVersions: Record<string, string> = {
  'tfjs-cpu': `@tensorflow/tfjs-backend-cpu ${version('@tensorflow/tfjs-backend-cpu')}`,
  'tfjs-wasm': `@tensorflow/tfjs-backend-wasm ${version('@tensorflow/tfjs-backend-wasm')}`,
  convnetjs: `convnetjs ${version('convnetjs')}`,
  onnxruntime: `onnxruntime-node ${version('onnxruntime-node')}`,
};

if (json) {
  console.log(JSON.stringify({ ...header, loadAfter, seconds, versions: peerVersions }));
  for (const r of rows) console.log(JSON.stringify(r));
} else {
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const fig = (r: Row) => `${f(r.median!)} (${f(r.min!)}–${f(r.max!)})`;
  console.log(
    `Strata vs other libraries, ${header.date.slice(0, 16).replace('T', ' ')} UTC; ${header.cpu}, ${header.cores} cores; Node ${header.node}`,
  );
  console.log(
    `load average (1, 5, 15 min) ${header.loadBefore} before, ${loadAfter} after; ${seconds.toFixed(0)} s in all`,
  );
  console.log(`peers: ${Object.values(peerVersions).join(', ')}`);
  console.log('');
  console.log(
    '| workload | threads | unit | Strata median (min–max) | peer | peer median (min–max) | Strata/peer |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const strata = rows.filter((r) => r.system === 'strata' && r.median !== undefined);
  // A workload a peer cannot run is said once (onnxruntime runs twice, once per thread count).
  const peers = rows.filter(
    (r, i) =>
      r.system !== 'strata' &&
      !(r.cannot && rows.findIndex((q) => q.system === r.system && q.workload === r.workload) < i),
  );
  const workloads = [...new Set(rows.map((r) => r.workload))].sort();
  for (const w of workloads)
    for (const t of [1, 2]) {
      const s = strata.find((r) => r.workload === w && r.threads === t);
      const mine = peers.filter((r) => r.workload === w && (r.cannot ? t === 1 : r.threads === t));
      if (!s && !mine.length) continue;
      const sv = s ? fig(s) : '—';
      if (!mine.length) console.log(`| ${w} | ${t} | ${s?.unit ?? ''} | ${sv} | — | — | — |`);
      for (const p of mine) {
        if (p.cannot) {
          console.log(`| ${w} | ${t} | ${s?.unit ?? ''} | ${sv} | ${p.system} | cannot: ${p.cannot} | — |`);
          continue;
        }
        // Speed ratio: rates divide Strata by the peer; latencies (µs) divide the peer by Strata.
        const ratio = s ? (p.unit === 'µs' ? p.median! / s.median! : s.median! / p.median!) : NaN;
        console.log(
          `| ${w} | ${t} | ${p.unit} | ${sv} | ${p.system} | ${fig(p)} | ${Number.isFinite(ratio) ? `×${f(ratio)}` : '—'} |`,
        );
      }
    }
  console.log('');
  console.log(
    'Strata/peer: speed ratio (> 1: Strata faster); for W4 (µs) the peer latency over Strata’s. tfjs and convnetjs run one thread.',
  );
}
