/** The one error type Strata throws for bad input: it names the op or layer and shows the numbers. */
export class StrataError extends Error {
  /** The op, layer or loader that rejected its input (for example `matmul` or `conv2d 'conv1'`). */
  readonly where: string;
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'StrataError';
    this.where = where;
  }
}

/** Formats a shape the way every message shows it: `[2,3,4]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function check(cond: unknown, where: string, message: () => string): asserts cond {
  if (!cond) throw new StrataError(where, message());
}
