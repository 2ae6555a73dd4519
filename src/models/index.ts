export * from './graph.js';
export * from './model.js';
export * from './sequential.js';
