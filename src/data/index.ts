export * from './dataset.js';
export * from './idx.js';
export * from './images.js';
export * from './mnist.js';
export * from './transforms.js';
