import type { Kernel, KTensor } from '../../../core/backend.js';
import { broadcastStrides } from '../../../core/shape.js';
import type { AttrsOf, KernelTable } from '../../../ops/registry.js';
import * as C from '../opcodes.js';
import { out, ptr, rt, sizeOf } from '../storage.js';

/** Element visits count this much more than a flop when deciding to split across threads. */
export const MEM_WORK = 16;

type UnaryName =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'sign'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'erf'
  | 'leakyRelu'
  | 'elu'
  | 'clamp'
  | 'softplus';

const unaryCodes: Record<UnaryName, number> = {
  neg: C.U_NEG,
  exp: C.U_EXP,
  log: C.U_LOG,
  sqrt: C.U_SQRT,
  abs: C.U_ABS,
  sign: C.U_SIGN,
  relu: C.U_RELU,
  sigmoid: C.U_SIGMOID,
  tanh: C.U_TANH,
  erf: C.U_ERF,
  leakyRelu: C.U_LEAKY_RELU,
  elu: C.U_ELU,
  clamp: C.U_CLAMP,
  softplus: C.U_SOFTPLUS,
};

/** Work weight per element: the transcendental ones cost more than a load and a store. */
const unaryWeight: Partial<Record<UnaryName, number>> = {
  tanh: 40,
  erf: 200,
  elu: 20,
  exp: 4,
  log: 4,
  sigmoid: 6,
};

function unaryRun(
  code: number,
  name: string,
  x: number,
  y: number,
  n: number,
  a = 0,
  b = 0,
  weight = 1,
): void {
  if (n === 0) return;
  const r = rt();
  const p = r.params(6).i(0, code).i(1, x).i(2, y).i(3, n).f(4, a).f(5, b);
  r.run(C.JOB_UNARY, p, r.threadsFor(n * MEM_WORK * weight), name);
}

function unaryKernel<K extends UnaryName>(name: K): Kernel<AttrsOf<K>> {
  return ([x], attrs, [m]) => {
    const n = sizeOf(m.shape);
    const o = out(n, m.dtype);
    const at = attrs as { alpha?: number; min?: number; max?: number };
    const a = name === 'clamp' ? (at.min ?? -Infinity) : (at.alpha ?? 0);
    const b = name === 'clamp' ? (at.max ?? Infinity) : 0;
    unaryRun(unaryCodes[name], name, ptr(x), o.ptr, n, a, b, unaryWeight[name] ?? 1);
    return [o];
  };
}

/** Copies n words (float32 or int32) from x to y. */
export function copyWords(x: number, y: number, n: number): void {
  unaryRun(C.U_COPY, 'copy', x, y, n);
}

const cast: Kernel<AttrsOf<'cast'>> = ([x], { dtype }, [m]) => {
  const n = sizeOf(m.shape);
  const o = out(n, dtype);
  if (n === 0) return [o];
  if (x.dtype === dtype) {
    copyWords(ptr(x), o.ptr, n);
    return [o];
  }
  const r = rt();
  const kind = dtype === 'int32' ? C.CAST_F2I : C.CAST_I2F;
  const p = r.params(4).i(0, kind).i(1, ptr(x)).i(2, o.ptr).i(3, n);
  r.run(C.JOB_CAST, p, r.threadsFor(n * MEM_WORK), 'cast');
  return [o];
};

/**
 * Merges adjacent dimensions that every operand walks contiguously (and drops size-1 ones), so that
 * the kernels see as few, as long rows as possible. Returns the shape and one stride list per operand.
 */
export function collapse(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): [number[], number[][]] {
  // plain loops: this runs on every broadcasting op
  const k = strides.length;
  const sh: number[] = [];
  const st: number[][] = new Array(k);
  for (let i = 0; i < k; i++) st[i] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const last = sh.length - 1;
    let merge = last >= 0;
    for (let i = 0; merge && i < k; i++) merge = st[i][last] === strides[i][d] * n;
    if (merge) {
      sh[last] *= n;
      for (let i = 0; i < k; i++) st[i][last] = strides[i][d];
    } else {
      sh.push(n);
      for (let i = 0; i < k; i++) st[i].push(strides[i][d]);
    }
  }
  if (sh.length === 0) return [[1], strides.map(() => [0])];
  return [sh, st];
}

const binaryCodes = {
  add: C.B_ADD,
  sub: C.B_SUB,
  mul: C.B_MUL,
  div: C.B_DIV,
  pow: C.B_POW,
  maximum: C.B_MAXIMUM,
  minimum: C.B_MINIMUM,
  equal: C.B_EQUAL,
  notEqual: C.B_NOT_EQUAL,
  less: C.B_LESS,
  lessEqual: C.B_LESS_EQUAL,
  greater: C.B_GREATER,
  greaterEqual: C.B_GREATER_EQUAL,
  reluBackward: C.B_RELU_BACKWARD,
} as const;
type BinaryName = keyof typeof binaryCodes;

function dense(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Runs a broadcasting kernel of `ins` into the output `y` (code < 0: where); alpha: addScaled's. */
function broadcastRun(
  job: number,
  code: number,
  name: string,
  ins: readonly KTensor[],
  shape: readonly number[],
  y: number,
  alpha = 0,
) {
  const n = sizeOf(shape);
  if (n === 0) return;
  // no operand broadcasts (each has the output's size, so its elements in the same order): one
  // dense row, which is what collapse() would find
  let same = n > 1;
  for (let i = 0; same && i < ins.length; i++) same = sizeOf(ins[i].shape) === n;
  const [sh, st] = same
    ? [[n], ins.map(() => [1])]
    : collapse(shape, [...ins.map((t) => broadcastStrides(t.shape, shape)), dense(shape)]);
  // the output must be walked densely: collapse kept it as one of the operands
  const r = sh.length;
  const k = ins.length;
  const head = job === C.JOB_WHERE ? 5 : 5;
  const p = rt().params(head + r * (k + 1) + 1);
  if (job === C.JOB_WHERE) p.i(0, r).i(1, ptr(ins[0])).i(2, ptr(ins[1])).i(3, ptr(ins[2])).i(4, y);
  else p.i(0, code).i(1, r).i(2, ptr(ins[0])).i(3, ptr(ins[1])).i(4, y);
  p.ints(head, sh);
  for (let i = 0; i < k; i++) p.ints(head + r * (i + 1), st[i]);
  p.f(head + r * (k + 1), alpha);
  const weight = name === 'pow' ? 20 : 1;
  rt().run(job, p, rt().threadsFor(n * MEM_WORK * weight), name);
}

function binaryKernel(name: BinaryName): Kernel<Record<string, never>> {
  return (inputs, _a, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    broadcastRun(C.JOB_BINARY, binaryCodes[name], name, inputs, m.shape, o.ptr);
    return [o];
  };
}

export const elementwiseKernels = {
  ...(Object.fromEntries(Object.keys(unaryCodes).map((k) => [k, unaryKernel(k as UnaryName)])) as {
    [K in UnaryName]: Kernel<AttrsOf<K>>;
  }),
  ...(Object.fromEntries(Object.keys(binaryCodes).map((k) => [k, binaryKernel(k as BinaryName)])) as {
    [K in BinaryName]: Kernel<AttrsOf<K>>;
  }),
  cast,
  addScaled: (inputs, { alpha }, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    broadcastRun(C.JOB_BINARY, C.B_ADD_SCALED, 'addScaled', inputs, m.shape, o.ptr, alpha);
    return [o];
  },
  where: (inputs, _a, [m]) => {
    const o = out(sizeOf(m.shape), m.dtype);
    broadcastRun(C.JOB_WHERE, -1, 'where', inputs, m.shape, o.ptr);
    return [o];
  },
} satisfies Partial<KernelTable>;
