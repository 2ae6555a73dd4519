#!/usr/bin/env node
import { runCliAsync } from './program.js';

// The exit code is set rather than forced, so buffered output is flushed; the wasm worker threads do
// not hold the process open.
// Training runs with the event loop turning between batches, so Ctrl-C saves a checkpoint.
process.exitCode = await runCliAsync(process.argv.slice(2));
