export * from './charts.js';
export * from './colormap.js';
export * from './featuremaps.js';
export * from './pictures.js';
export * from './png.js';
export { chartFont, svgToPng } from './render.js';
export * from './report.js';
export * from './tiles.js';
export * from './visualize.js';
