export * from './activations.js';
export * from './dropout.js';
export * from './losses.js';
export * from './normalization.js';
