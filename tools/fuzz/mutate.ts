import fc from 'fast-check';

/**
 * The byte mutator of the loader fuzzer. A mutation plan is drawn by fast-check from one 32-bit seed
 * (so a failing input is reproduced from its seed alone) and applied to a valid seed file: bit flips,
 * byte sets, truncation, deletions, insertions, splices from another seed, edits of integer fields the
 * target points at (length fields, dimensions, offsets) and edits of the JSON a file carries (the
 * safetensors header, model.json, checkpoint metadata). Positions are drawn as naturals and taken
 * modulo the length at the time of the edit, so a plan applies to any file.
 */

/** An integer field of a file format: where it is, its width and byte order. */
export interface Field {
  offset: number;
  size: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

/** A JSON text inside a file, and how to put an edited text back. */
export interface JsonView {
  text: string;
  rebuild(text: string): Uint8Array;
}

export type FieldValue =
  | 'zero'
  | 'one'
  | 'max'
  | 'maxMinus1'
  | 'signBit'
  | 'plus1'
  | 'minus1'
  | 'double'
  | 'half'
  | 'times256'
  | 'random';

export type JsonOp =
  | { op: 'replace'; path: number; value: unknown }
  | { op: 'delete'; path: number }
  | { op: 'duplicate'; path: number }
  | { op: 'swap'; path: number; other: number }
  | { op: 'scale'; path: number; factor: number }
  | { op: 'retype'; path: number }
  | { op: 'deepen'; path: number; depth: number }
  | { op: 'text'; pos: number; insert: string };

export type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'set'; pos: number; value: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'delete'; pos: number; len: number }
  | { kind: 'insert'; pos: number; bytes: number[] }
  | { kind: 'splice'; pos: number; from: number; len: number; donor: number }
  | { kind: 'field'; field: number; value: FieldValue; random: number }
  | { kind: 'json'; view: number; edit: JsonOp }
  | { kind: 'fixup' };

export interface Plan {
  seed: number;
  mutations: Mutation[];
  /** A free number the target may use to vary how it loads (for example the channels asked for). */
  variant: number;
}

const pos = fc.nat();
const interestingByte = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x2c, 0x22, 0x7b, 0x5b),
  fc.nat(255),
);

/** Values a JSON mutation puts in place of another: edge numbers, wrong types, large and nested things. */
const interestingJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1,
    -0.5,
    2.5,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e300,
    -1e300,
    1e-300,
    null,
    true,
    false,
    '',
    'F32',
    'F16',
    'I64',
    'BOOL',
    '__metadata__',
    'Conv2D',
    'Dense',
    'Sequential',
    'Graph',
    'model.safetensors',
    '../model.safetensors',
    '/etc/passwd',
    'same',
    [],
    {},
    [-1],
    [0, 0],
    [1, 0],
    [0, 2 ** 40],
    [2 ** 31, 2 ** 31],
    [1e9, 1e9, 1e9],
    [-1, 4],
    { dtype: 'F32', shape: [1e6, 1e6], data_offsets: [0, 4] },
    { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
  ),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 12 }),
  fc.array(fc.integer({ min: -3, max: 2 ** 20 }), { maxLength: 5 }),
);

const jsonOp: fc.Arbitrary<JsonOp> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('replace' as const), path: pos, value: interestingJson }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), path: pos }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate' as const), path: pos }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap' as const), path: pos, other: pos }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('scale' as const),
      path: pos,
      factor: fc.constantFrom(-1, 0, 2, 3, 0.5, 1000, 65536, 2 ** 32, 1e12),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retype' as const), path: pos }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('deepen' as const),
      path: pos,
      depth: fc.constantFrom(2, 50, 5000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('text' as const),
      pos,
      insert: fc.constantFrom(
        ',',
        '}',
        ']',
        '"',
        '\\',
        'NaN',
        '1e999',
        '\u0000',
        '\ud800',
        '{"a":1,"a":2}',
        ' ',
      ),
    }),
  },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('flip' as const), pos, bit: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), pos, value: interestingByte }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pos }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), pos, len: fc.integer({ min: 1, max: 64 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      pos,
      bytes: fc.array(interestingByte, { minLength: 1, maxLength: 16 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('splice' as const),
      pos,
      from: pos,
      len: fc.integer({ min: 1, max: 256 }),
      donor: pos,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('field' as const),
      field: pos,
      value: fc.constantFrom<FieldValue>(
        'zero',
        'one',
        'max',
        'maxMinus1',
        'signBit',
        'plus1',
        'minus1',
        'double',
        'half',
        'times256',
        'random',
      ),
      random: fc.nat(),
    }),
  },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('json' as const), view: pos, edit: jsonOp }) },
);

export const planArbitrary: fc.Arbitrary<Omit<Plan, 'seed'>> = fc.record({
  mutations: fc
    .tuple(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean())
    // a last "fixup" lets structure-aware targets repair checksums, so edits reach the decoder proper
    .map(([m, fix]) => (fix ? [...m, { kind: 'fixup' as const }] : m)),
  variant: fc.nat(),
});

/** The plan of one input: a pure function of its seed. */
export function planFor(seed: number): Plan {
  const [p] = fc.sample(planArbitrary, { seed, numRuns: 1 });
  return { seed, ...p };
}

/** A per-input seed from the run's seed, the target's index and the input's index (splitmix32). */
export function inputSeed(runSeed: number, target: number, index: number): number {
  let z = (Math.imul(runSeed >>> 0, 0x9e3779b1) ^ Math.imul(target + 1, 0x85ebca6b) ^ index) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

// ---------------------------------------------------------------- applying a plan

function readField(b: Uint8Array, f: Field): bigint {
  let v = 0n;
  for (let i = 0; i < f.size; i++) {
    const byte = b[f.offset + (f.littleEndian ? f.size - 1 - i : i)];
    v = (v << 8n) | BigInt(byte);
  }
  return v;
}

function writeField(b: Uint8Array, f: Field, v: bigint): void {
  const mask = (1n << BigInt(8 * f.size)) - 1n;
  let x = ((v % (mask + 1n)) + (mask + 1n)) & mask;
  for (let i = 0; i < f.size; i++) {
    b[f.offset + (f.littleEndian ? i : f.size - 1 - i)] = Number(x & 0xffn);
    x >>= 8n;
  }
}

function fieldValue(old: bigint, size: number, v: FieldValue, random: number): bigint {
  const bits = BigInt(8 * size);
  const max = (1n << bits) - 1n;
  switch (v) {
    case 'zero':
      return 0n;
    case 'one':
      return 1n;
    case 'max':
      return max;
    case 'maxMinus1':
      return max - 1n;
    case 'signBit':
      return 1n << (bits - 1n);
    case 'plus1':
      return old + 1n;
    case 'minus1':
      return old - 1n;
    case 'double':
      return old * 2n;
    case 'half':
      return old / 2n;
    case 'times256':
      return old * 256n;
    case 'random':
      return BigInt(random) * 0x100000001n;
  }
}

/** Every value node of a parsed JSON document, by its path (for picking one by index). */
type Path = Array<string | number>;
function paths(root: unknown): Path[] {
  const out: Path[] = [];
  const stack: Array<[unknown, Path]> = [[root, []]];
  while (stack.length && out.length < 4096) {
    const [v, at] = stack.pop()!;
    out.push(at);
    if (at.length > 100) continue;
    if (Array.isArray(v)) for (const [i, x] of v.entries()) stack.push([x, [...at, i]]);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) stack.push([x, [...at, k]]);
  }
  return out;
}

function getAt(root: unknown, p: Path): unknown {
  let v = root as any;
  for (const k of p) v = v?.[k];
  return v;
}

function setAt(root: unknown, p: Path, value: unknown): unknown {
  if (p.length === 0) return value;
  const parent = getAt(root, p.slice(0, -1)) as any;
  parent[p[p.length - 1]] = value;
  return root;
}

/** Applies one JSON edit to a JSON text; returns the new text (possibly no longer JSON). */
export function mutateJson(text: string, e: JsonOp): string {
  if (e.op === 'text') {
    const at = text.length ? e.pos % (text.length + 1) : 0;
    return text.slice(0, at) + e.insert + text.slice(at);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return text;
  }
  const all = paths(doc);
  const p = all[e.path % all.length];
  const cur = getAt(doc, p);
  switch (e.op) {
    case 'replace':
      return JSON.stringify(setAt(doc, p, structuredClone(e.value)));
    case 'delete': {
      if (p.length === 0) return '{}';
      const parent = getAt(doc, p.slice(0, -1)) as any;
      const k = p[p.length - 1];
      if (Array.isArray(parent)) parent.splice(k as number, 1);
      else delete parent[k];
      return JSON.stringify(doc);
    }
    case 'duplicate': {
      if (p.length === 0) return text;
      const parent = getAt(doc, p.slice(0, -1)) as any;
      const k = p[p.length - 1];
      if (Array.isArray(parent)) {
        parent.splice(k as number, 0, structuredClone(cur));
        return JSON.stringify(doc);
      }
      // A repeated key: JSON.stringify cannot write one, so splice it into the text of the parent.
      const ptext = JSON.stringify(parent);
      const dup = `${JSON.stringify(k)}:${JSON.stringify(cur)},`;
      const replaced = `{${dup}${ptext.slice(1)}`;
      return JSON.stringify(setAt(doc, p.slice(0, -1), '\u0001MARK\u0001')).replace(
        '"\\u0001MARK\\u0001"',
        replaced,
      );
    }
    case 'swap': {
      const q = all[e.other % all.length];
      if (q.length === 0 || p.length === 0) return text;
      if (q.length > p.length && p.every((x, i) => q[i] === x)) return text;
      if (p.length > q.length && q.every((x, i) => p[i] === x)) return text;
      const other = getAt(doc, q);
      setAt(doc, p, other);
      setAt(doc, q, cur);
      return JSON.stringify(doc);
    }
    case 'scale': {
      if (typeof cur === 'number') return JSON.stringify(setAt(doc, p, cur * e.factor));
      if (Array.isArray(cur) && cur.every((x) => typeof x === 'number'))
        return JSON.stringify(
          setAt(
            doc,
            p,
            cur.map((x) => x * e.factor),
          ),
        );
      return text;
    }
    case 'retype': {
      const next =
        typeof cur === 'number'
          ? String(cur)
          : typeof cur === 'string'
            ? Number(cur) || cur.length
            : Array.isArray(cur)
              ? { ...cur }
              : cur && typeof cur === 'object'
                ? Object.values(cur)
                : [cur];
      return JSON.stringify(setAt(doc, p, next));
    }
    case 'deepen': {
      // stringify of a very deep value would overflow the stack: build the text by hand
      const inner = JSON.stringify(cur) ?? 'null';
      const marked = JSON.stringify(setAt(doc, p, '\u0001MARK\u0001'));
      return marked.replace('"\\u0001MARK\\u0001"', `${'['.repeat(e.depth)}${inner}${']'.repeat(e.depth)}`);
    }
  }
}

export interface Format {
  /** Integer fields of this file (length fields, dimensions, offsets). */
  fields?(bytes: Uint8Array): Field[];
  /** JSON texts inside this file. */
  jsonViews?(bytes: Uint8Array): JsonView[];
  /** Repairs checksums after the other edits (PNG chunk CRCs), so the edits reach the decoder. */
  fixup?(bytes: Uint8Array): Uint8Array;
}

/** Applies a plan to seed bytes (never modifies them). */
export function applyPlan(seeds: readonly Uint8Array[], plan: Plan, format: Format): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seeds[plan.seed % seeds.length]);
  for (const m of plan.mutations) {
    const n = b.length;
    switch (m.kind) {
      case 'flip':
        if (n) b[m.pos % n] ^= 1 << m.bit;
        break;
      case 'set':
        if (n) b[m.pos % n] = m.value;
        break;
      case 'truncate':
        b = b.slice(0, n ? m.pos % n : 0);
        break;
      case 'delete': {
        if (!n) break;
        const at = m.pos % n;
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(n, at + m.len))]);
        break;
      }
      case 'insert': {
        const at = m.pos % (n + 1);
        const out = new Uint8Array(n + m.bytes.length);
        out.set(b.subarray(0, at));
        out.set(m.bytes, at);
        out.set(b.subarray(at), at + m.bytes.length);
        b = out;
        break;
      }
      case 'splice': {
        const donor = seeds[m.donor % seeds.length];
        if (!donor.length) break;
        const from = m.from % donor.length;
        const chunk = donor.subarray(from, Math.min(donor.length, from + m.len));
        const at = m.pos % (n + 1);
        const out = new Uint8Array(Math.max(n, at + chunk.length));
        out.set(b);
        out.set(chunk, at);
        b = out;
        break;
      }
      case 'field': {
        const fs = (format.fields?.(b) ?? []).filter((f) => f.offset + f.size <= b.length);
        if (!fs.length) break;
        const f = fs[m.field % fs.length];
        writeField(b, f, fieldValue(readField(b, f), f.size, m.value, m.random));
        break;
      }
      case 'json': {
        let views: JsonView[] = [];
        try {
          views = format.jsonViews?.(b) ?? [];
        } catch {
          views = [];
        }
        if (!views.length) break;
        const v = views[m.view % views.length];
        try {
          b = v.rebuild(mutateJson(v.text, m.edit));
        } catch {
          // (a document too deep for this edit: leave it)
        }
        break;
      }
      case 'fixup':
        if (format.fixup) b = format.fixup(b);
        break;
    }
  }
  return b;
}
