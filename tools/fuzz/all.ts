import { targets, type Target } from './targets.js';

/** Every fuzzed loader. */
export async function allTargets(): Promise<Target[]> {
  return [...targets];
}
