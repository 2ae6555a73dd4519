// The timing method of bench/run.ts (shared/WORKLOADS.md), for the peers: warm-up (at least 3 calls
// and 0.3 s; latency: 10 calls and 0.3 s), then 5 repetitions of at least 0.2 s each; rates per
// second of the work units, or the median single-call latency in µs of each repetition. `call` may
// return a promise (onnxruntime-node's run is asynchronous): it is then awaited. One departure, for
// the slowest peers only: when the first call takes over a second (tfjs-cpu on W2, W3, W5), that call
// is the whole warm-up (V8 has tiered its loops up within it) and each repetition is one call, so
// that the comparison finishes in minutes.

export function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function measure(call, work, reps = 5, minSeconds = 0.2) {
  const w0 = performance.now();
  await call();
  const slow = performance.now() - w0 > 1000;
  for (let i = 1; !slow && (i < 3 || performance.now() - w0 < 300); i++) await call();
  const rates = [];
  for (let r = 0; r < reps; r++) {
    let n = 0;
    const t0 = performance.now();
    let dt = 0;
    do {
      await call();
      n++;
      dt = (performance.now() - t0) / 1000;
    } while (dt < minSeconds);
    rates.push((n * work) / dt);
  }
  return rates;
}

export async function measureLatency(call, reps = 5, minSeconds = 0.2) {
  const w0 = performance.now();
  for (let i = 0; i < 10 || performance.now() - w0 < 300; i++) await call();
  const out = [];
  for (let r = 0; r < reps; r++) {
    const times = [];
    const t0 = performance.now();
    do {
      const c0 = performance.now();
      await call();
      times.push((performance.now() - c0) * 1000);
    } while (performance.now() - t0 < minSeconds * 1000);
    out.push(median(times));
  }
  return out;
}

/** Measures one workload of a peer and prints its JSON line (the format of `npm run bench -- --json`). */
export async function report(peer, workload, threads, unit, call, work) {
  const v = unit === 'µs' ? await measureLatency(call) : await measure(call, work);
  const round = (x) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({
      peer,
      workload,
      threads,
      unit,
      median: round(median(v)),
      min: round(Math.min(...v)),
      max: round(Math.max(...v)),
    }),
  );
}

/** A workload the peer cannot run, with the reason (an error message when it was tried). */
export function cannot(peer, workload, reason) {
  console.log(JSON.stringify({ peer, workload, cannot: reason }));
}

/** The workloads chosen on the command line (W1..W5), all when none. */
export function chosen(all = ['W1', 'W2', 'W3', 'W4', 'W5']) {
  const ids = process.argv
    .slice(2)
    .filter((a) => /^W\d$/i.test(a))
    .map((a) => a.toUpperCase());
  return ids.length ? all.filter((w) => ids.includes(w)) : all;
}

export const W3_GFLOP = (2 * 16 * 64 * 64 * 9 * 56 * 56) / 1e9;
export const W5_GFLOP = (2 * 1024 ** 3) / 1e9;

/** Seeded uniform values in [-1, 1) (the peers' data: the work does not depend on the values). */
export function randomValues(n, seed = 1) {
  let s = seed >>> 0 || 1;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return a;
}
