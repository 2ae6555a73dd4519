import type { Storage } from './backend.js';

/**
 * Memory bookkeeping. Users never free memory by hand: a storage is freed when the last tensor
 * using it is disposed — by the engine, which disposes what it can prove dead (scopes), or by the
 * user — or when its last tensor is garbage-collected (FinalizationRegistry).
 */
let liveTensors = 0;

const finalizer = new FinalizationRegistry<Storage>((s) => {
  liveTensors--;
  release(s);
});

export function onTensorCreated(owner: object, s: Storage, token: object): void {
  liveTensors++;
  s.refs++;
  finalizer.register(owner, s, token);
}

/** Called by an explicit dispose; returns false when it was already disposed. */
export function onTensorDisposed(s: Storage, token: object): void {
  finalizer.unregister(token);
  liveTensors--;
  release(s);
}

function release(s: Storage): void {
  if (--s.refs === 0 && !s.freed) {
    s.freed = true;
    s.backend.free(s);
  }
}

export function liveTensorCount(): number {
  return liveTensors;
}
