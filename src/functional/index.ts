export * from './activations.js';
export * from './normalization.js';
