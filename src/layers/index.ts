export * from './activation.js';
export * from './check.js';
export * from './core.js';
export * from './custom.js';
export * from './init.js';
export * from './layer.js';
export * from './normalization.js';
export * from './registry.js';
