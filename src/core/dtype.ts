/** Element types. float32 is the default; float64 exists on the reference backend (gradient checks). */
export type DType = 'float32' | 'float64' | 'int32';

export type TypedArray = Float32Array | Float64Array | Int32Array;

export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/** Bytes per element. */
export function dtypeSize(d: DType): number {
  return d === 'float64' ? 8 : 4;
}

/** The wider of two float types (float64 wins); int32 with a float gives the float. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}
