import type { Storage } from './backend.js';

/**
 * Memory bookkeeping. Users never free memory by hand: a storage is freed when the last tensor
 * using it is disposed — by the engine, which disposes what it can prove dead (scopes), or by the
 * user — or when its last tensor is garbage-collected (FinalizationRegistry).
 *
 * Registration with the FinalizationRegistry is the costliest part of making a tensor (about a
 * third of a small op), so it is deferred while a scope runs: the scope holds every tensor it
 * creates until it returns, so none of them can be collected before, and most are disposed then.
 * Only those that outlive the outermost scope (or any scope that throws) are registered
 * (`engine.ts`); tensors made outside any scope are registered when created.
 */
let liveTensors = 0;

const finalizer = new FinalizationRegistry<Storage>((s) => {
  liveTensors--;
  release(s);
});

/** A new tensor takes a reference on its storage. */
export function onTensorCreated(s: Storage): void {
  liveTensors++;
  s.refs++;
}

/**
 * Lets the garbage collector reclaim `owner`'s storage once `owner` is unreachable. The owner is
 * its own unregister token (a FinalizationRegistry holds tokens weakly).
 */
export function registerTensor(owner: object, s: Storage): void {
  finalizer.register(owner, s, owner);
}

/** Called by an explicit dispose; `registered` is the owner when it was registered, else null. */
export function onTensorDisposed(s: Storage, registered: object | null): void {
  if (registered) finalizer.unregister(registered);
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
