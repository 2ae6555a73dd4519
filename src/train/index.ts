import './methods.js';

export * from './callbacks.js';
export * from './fit.js';
export * from './metrics.js';
export * from './progress.js';
export * from './zoo.js';
