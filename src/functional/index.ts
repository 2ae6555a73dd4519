export * from './activations.js';
