import { StrataError } from '../core/errors.js';
import type { Layer, LayerClass } from './layer.js';

const layers = new Map<string, LayerClass>();

/** Makes a layer class loadable from a saved config by its `type`. */
export function registerLayer(cls: LayerClass): void {
  if (!cls.type || cls.type === 'Layer')
    throw new StrataError('registerLayer', 'the class needs a static `type`');
  layers.set(cls.type, cls);
}

export function layerClass(type: string): LayerClass {
  const c = layers.get(type);
  if (!c)
    throw new StrataError(
      'load',
      `unknown layer type '${type}'; known types: ${[...layers.keys()].sort().join(', ')} (custom layers must be registered with registerLayer before loading)`,
    );
  return c;
}

/** Rebuilds a layer from `{type, name, config}`. Only registered classes are constructed; nothing is evaluated. */
export function layerFromConfig(spec: {
  type: string;
  name?: string;
  config?: Record<string, unknown>;
}): Layer {
  if (!spec || typeof spec.type !== 'string')
    throw new StrataError('load', 'layer entry has no string `type`');
  const cls = layerClass(spec.type);
  return new cls({ ...(spec.config ?? {}), name: spec.name });
}

export function registeredLayerTypes(): string[] {
  return [...layers.keys()].sort();
}
