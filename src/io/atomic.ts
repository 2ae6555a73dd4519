import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StrataError } from '../core/errors.js';

let counter = 0;

const faultCounts = new Map<string, number>();

/**
 * Fault injection for crash tests: with `STRATA_FAULT=<point>[@n]` the process kills itself (SIGKILL,
 * as a crash or a power cut would end it) the n-th time (default the first) it reaches `<point>`:
 * 'atomic-mid-write' (half of a file's bytes written to its temporary name), 'atomic-before-rename'
 * (all written and flushed, not yet renamed), 'save-model-between-files' (the new weights in place,
 * model.json not yet). Without the variable it does nothing.
 */
export function faultPoint(point: string): void {
  const f = process.env.STRATA_FAULT;
  if (!f) return;
  const [name, nth] = f.split('@');
  if (name !== point) return;
  const k = (faultCounts.get(point) ?? 0) + 1;
  faultCounts.set(point, k);
  if (k === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}

/** Whether process `pid` is alive (signal 0 tests without sending; EPERM means it exists). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of earlier writes of `name` in `dir` whose process is gone (a save
 * killed before its rename leaves one behind). Best effort: a folder that cannot be listed is left.
 */
function sweepStale(dir: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  const prefix = `.${name}.`;
  for (const e of entries) {
    if (!e.startsWith(prefix) || !e.endsWith('.tmp')) continue;
    const m = /^(\d+)\.\d+\.tmp$/.exec(e.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !alive(pid)) rmSync(join(dir, e), { force: true });
  }
}

/**
 * Writes a file atomically: the data goes to a temporary file in the same folder, is flushed to disk
 * (fsync), and the temporary file is renamed over the target, so readers see the old file or the new
 * one, never half of one. On failure the temporary file is removed and the target is untouched; the
 * temporary files a killed process left for the same target are removed by the next write.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new StrataError('save', `cannot create folder ${dir}: ${(e as Error).message}`);
  }
  sweepStale(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let off = 0;
    const half = bytes.length >> 1;
    while (off < half) off += writeSync(fd, bytes, off, half - off);
    faultPoint('atomic-mid-write');
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    faultPoint('atomic-before-rename');
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new StrataError('save', `cannot write ${path}: ${(e as Error).message}`);
  }
  // Make the rename itself durable (best effort: not every platform can fsync a folder).
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {}
}
