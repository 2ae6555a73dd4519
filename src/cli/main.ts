#!/usr/bin/env node
import { runCli } from './program.js';

// The exit code is set rather than forced, so buffered output is flushed; the wasm worker threads do
// not hold the process open.
process.exitCode = runCli(process.argv.slice(2));
