export * from './atomic.js';
export * from './checkpoint.js';
export * from './model.js';
export * from './safetensors.js';
