export * from './activation.js';
export * from './core.js';
export * from './init.js';
export * from './layer.js';
export * from './registry.js';
