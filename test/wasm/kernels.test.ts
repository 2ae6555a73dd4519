// Every wasm kernel against the reference backend (the specification) on random float32 inputs,
// odd sizes 1/3/5/17 for the SIMD tails and batches > 1, at 1 and 2 threads with every op split
// across the threads however small it is.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as S from '../../src/index.js';
import { opTable } from '../../src/index.js';
import { atThreads, compare, op, type Spec } from './helpers.js';

const F = (shape: number[], kind: Spec['kind'] = 'normal'): Spec => ({ shape, kind });
const loose = { atol: 1e-4, rtol: 1e-4 };

describe('wasm kernels match the reference', () => {
  test('unary element-wise', () => {
    atThreads(() => {
      const fns: [string, (x: S.Tensor) => S.Tensor, Spec['kind'], number?][] = [
        ['neg', S.neg, 'normal'],
        ['exp', S.exp, 'normal', 3e-7],
        ['log', S.log, 'positive', 3e-7],
        ['sqrt', S.sqrt, 'positive'],
        ['abs', S.abs, 'normal'],
        ['sign', S.sign, 'normal'],
        ['relu', S.relu, 'normal'],
        ['sigmoid', S.sigmoid, 'normal', 3e-7],
        ['tanh', S.tanh, 'normal'],
        ['erf', S.erf, 'normal'],
        ['leakyRelu', (x) => S.leakyRelu(x, 0.1), 'normal'],
        ['elu', (x) => S.elu(x, 1.3), 'normal'],
        ['clamp', (x) => S.clamp(x, -0.5, 0.7), 'normal'],
        ['softplus', S.softplus, 'normal'],
      ];
      for (const [name, f, kind, rtol] of fns)
        for (const shape of [[1], [3], [5], [17], [4, 33]])
          compare(`${name} [${shape}]`, [F(shape, kind)], f, { rtol: rtol ?? 2e-7, atol: 1e-7 });
    });
  });

  test('unary element-wise at special values', () => {
    const values = [
      Number.NaN,
      Infinity,
      -Infinity,
      0,
      -0,
      1e-40,
      -1e-40,
      88,
      89,
      -87,
      -104,
      -200,
      1e30,
      -1e30,
      0.5,
      -3.7,
      25,
    ];
    const spec: Spec = { shape: [values.length], values };
    const fns: [string, (x: S.Tensor) => S.Tensor][] = [
      ['exp', S.exp],
      ['sigmoid', S.sigmoid],
      ['tanh', S.tanh],
      ['erf', S.erf],
      ['relu', S.relu],
      ['sign', S.sign],
      ['abs', S.abs],
      ['elu', (x) => S.elu(x, 1)],
      ['clamp', (x) => S.clamp(x, -1, 1)],
      ['leakyRelu', (x) => S.leakyRelu(x, 0.01)],
      ['softplus', S.softplus],
    ];
    for (const [name, f] of fns) compare(`${name} specials`, [spec], f, { rtol: 4e-7, atol: 1e-44 });
    const pos = [0, 1e-40, 1e-30, 1, 2, Math.SQRT1_2, Math.SQRT2, 1.4143, 3e38, Infinity, Number.NaN, -1, -0];
    compare('log specials', [{ shape: [pos.length], values: pos }], S.log, { rtol: 4e-7, atol: 0 });
    compare('sqrt specials', [{ shape: [pos.length], values: pos }], S.sqrt, { rtol: 0, atol: 0 });
  });

  test('exp and log over a dense range', () => {
    const n = 4001;
    const xs = Array.from({ length: n }, (_, i) => -100 + (190 * i) / (n - 1));
    compare('exp range', [{ shape: [n], values: xs }], S.exp, { rtol: 3e-7, atol: 1e-44 });
    const ps = Array.from({ length: n }, (_, i) => 2 ** (-120 + (240 * i) / (n - 1)));
    compare('log range', [{ shape: [n], values: ps }], S.log, { rtol: 3e-7, atol: 1e-7 });
  });

  test('cast', () => {
    atThreads(() => {
      for (const shape of [[1], [5], [17], [3, 7]]) {
        compare(`cast f→i [${shape}]`, [F(shape)], (x) => S.cast(S.mul(x, 10), 'int32'), { exact: true });
        compare(`cast i→f [${shape}]`, [{ shape, kind: 'int', high: 1000 }], (x) => S.cast(x, 'float32'), {
          exact: true,
        });
      }
    });
  });

  test('binary element-wise with broadcasting', () => {
    atThreads(() => {
      const pairs: [number[], number[]][] = [
        [[17], [17]],
        [[1], [1]],
        [[3, 5], [5]],
        [
          [3, 5],
          [3, 1],
        ],
        [[1], [4, 17]],
        [[4, 17], []],
        [
          [2, 1, 5],
          [3, 1],
        ],
        [
          [5, 1, 3],
          [1, 4, 1],
        ],
        [
          [2, 3, 4, 5],
          [3, 1, 5],
        ],
      ];
      const fns: [string, (a: S.Tensor, b: S.Tensor) => S.Tensor, Spec['kind'], Spec['kind']][] = [
        ['add', S.add, 'normal', 'normal'],
        ['sub', S.sub, 'normal', 'normal'],
        ['mul', S.mul, 'normal', 'normal'],
        ['div', S.div, 'normal', 'positive'],
        ['pow', S.pow, 'positive', 'normal'],
        ['maximum', S.maximum, 'mask', 'mask'],
        ['minimum', S.minimum, 'mask', 'mask'],
        ['equal', S.equal, 'mask', 'mask'],
        ['notEqual', S.notEqual, 'mask', 'mask'],
        ['less', S.less, 'mask', 'mask'],
        ['lessEqual', S.lessEqual, 'mask', 'mask'],
        ['greater', S.greater, 'normal', 'normal'],
        ['greaterEqual', S.greaterEqual, 'normal', 'normal'],
      ];
      for (const [name, f, ka, kb] of fns)
        for (const [sa, sb] of pairs) {
          compare(`${name} [${sa}] [${sb}]`, [F(sa, ka), F(sb, kb)], f, { rtol: 2e-7, atol: 1e-7 });
          compare(`${name} [${sb}] [${sa}]`, [F(sb, ka), F(sa, kb)], f, { rtol: 2e-7, atol: 1e-7 });
        }
    });
  });

  test('reluBackward: mul(dy, greater(x, 0)) bit for bit, specials included', () => {
    const sp = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 2, -3];
    const dy = sp.flatMap((a) => sp.map(() => a));
    const x = sp.flatMap(() => sp);
    atThreads(() => {
      for (const [a, b] of [
        [
          { shape: [dy.length], values: dy },
          { shape: [x.length], values: x },
        ],
        [F([3, 1, 17]), F([3, 1, 17])],
        [F([4, 333]), F([4, 333])],
      ] as Spec[][]) {
        compare(`reluBackward [${a.shape}]`, [a, b], S.reluBackward, { exact: true });
        S.scope(() => {
          const [d, xx] = [a, b].map((s, i) =>
            S.tensor(Array.from(s.values ?? S.randn(s.shape, { seed: 7 + i }).data()), s.shape),
          );
          const got = new Uint32Array(S.reluBackward(d, xx).data().buffer);
          const want = new Uint32Array(S.mul(d, S.greater(xx, 0)).data().buffer);
          if (!got.every((v, i) => v === want[i]))
            throw new Error(`reluBackward [${a.shape}] differs from mul`);
        });
      }
    });
  });

  test('addScaled: add(a, mul(b, alpha)) and sub(a, mul(b, −alpha)) bit for bit', () => {
    const sp = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-40, 3e38, 2, -3];
    const a = sp.flatMap((v) => sp.map(() => v));
    const b = sp.flatMap(() => sp);
    atThreads(() => {
      for (const [sa, sb, va, vb] of [
        [[a.length], [b.length], a, b],
        [
          [3, 1, 17],
          [3, 1, 17],
        ],
        [
          [4, 333],
          [4, 333],
        ],
        [[4, 333], [333]],
        [
          [5, 1],
          [1, 7],
        ],
      ] as [number[], number[], number[]?, number[]?][])
        for (const alpha of [-0.01, 0.9, 1e-3, -0]) {
          compare(
            `addScaled [${sa}] [${sb}] ${alpha}`,
            [
              { shape: sa, values: va },
              { shape: sb, values: vb },
            ],
            (x, y) => S.addScaled(x, y, alpha),
            { rtol: 2e-7, atol: 1e-38 },
          );
          S.scope(() => {
            const x = va ? S.tensor(va, sa) : S.randn(sa, { seed: 3 });
            const y = vb ? S.tensor(vb, sb) : S.randn(sb, { seed: 4 });
            const bits = (t: S.Tensor) => Array.from(new Uint32Array(t.data().buffer));
            const got = bits(S.addScaled(x, y, alpha));
            assert.deepEqual(got, bits(S.add(x, S.mul(y, alpha))), `addScaled ${alpha} vs add`);
            assert.deepEqual(got, bits(S.sub(x, S.mul(y, -alpha))), `addScaled ${alpha} vs sub`);
          });
        }
    });
  });

  test('where', () => {
    atThreads(() => {
      const cases: number[][][] = [
        [[17], [17], [17]],
        [
          [3, 1, 5],
          [4, 5],
          [3, 4, 1],
        ],
        [[1], [2, 3], [3]],
        [[5, 7], [], [5, 7]],
      ];
      for (const [c, a, b] of cases)
        compare(
          `where [${c}] [${a}] [${b}]`,
          [F(c, 'mask'), F(a), F(b)],
          (cc, aa, bb) => S.where(cc, aa, bb),
          {
            exact: true,
          },
        );
    });
  });

  test('sum, max, min over axes', () => {
    atThreads(() => {
      const shapes: [number[], number[][]][] = [
        [[17], [[], [0]]],
        [
          [3, 5, 17],
          [[0], [1], [2], [0, 2], [0, 1], [1, 2], [0, 1, 2]],
        ],
        [
          [33, 70],
          [[0], [1]],
        ],
        [
          [2, 3, 4, 5],
          [
            [1, 3],
            [0, 2],
            [0, 3],
          ],
        ],
        [
          [1, 5, 1],
          [[0], [1], [0, 2]],
        ],
        [[1300, 3], [[0]]],
      ];
      for (const [shape, axesList] of shapes)
        for (const axes of axesList)
          for (const keep of [false, true]) {
            compare(`sum [${shape}] ${axes}`, [F(shape)], (x) => S.sum(x, axes, keep), loose);
            compare(`max [${shape}] ${axes}`, [F(shape)], (x) => S.max(x, axes, keep), { exact: true });
            compare(`min [${shape}] ${axes}`, [F(shape)], (x) => S.min(x, axes, keep), { exact: true });
          }
    });
  });

  test('argmax, argmin', () => {
    atThreads(() => {
      for (const [shape, axis] of [
        [[17], 0],
        [[3, 5, 17], 0],
        [[3, 5, 17], 1],
        [[3, 5, 17], 2],
        [[4, 1], 1],
      ] as [number[], number][]) {
        compare(`argmax [${shape}] ${axis}`, [F(shape, 'distinct')], (x) => S.argmax(x, axis));
        compare(`argmin [${shape}] ${axis}`, [F(shape, 'distinct')], (x) => S.argmin(x, axis, true));
        compare(`argmax ties [${shape}] ${axis}`, [F(shape, 'mask')], (x) => S.argmax(x, axis));
      }
    });
  });

  test('softmax, logSoftmax', () => {
    atThreads(() => {
      for (const [shape, axis] of [
        [[17], 0],
        [[4, 17], 1],
        [[4, 17], 0],
        [[3, 5, 7], 1],
        [[2, 600, 3], 1],
        [[3, 1], 1],
      ] as [number[], number][]) {
        compare(`softmax [${shape}] ${axis}`, [F(shape)], (x) => S.softmax(x, axis), {
          rtol: 1e-6,
          atol: 1e-7,
        });
        compare(`logSoftmax [${shape}] ${axis}`, [F(shape)], (x) => S.logSoftmax(x, axis), {
          rtol: 1e-6,
          atol: 1e-6,
        });
      }
    });
  });

  test('shape kernels', () => {
    atThreads(() => {
      for (const kind of ['normal', 'int'] as const) {
        const x = (s: number[]) => ({ shape: s, kind, high: 100 }) as Spec;
        compare('permute', [x([2, 3, 5, 7])], (t) => S.permute(t, [3, 1, 0, 2]), { exact: true });
        compare('permute 2d', [x([17, 5])], (t) => S.permute(t, [1, 0]), { exact: true });
        compare('slice', [x([5, 17, 3])], (t) => S.slice(t, [1, 2, 0], [5, 17, 2], [2, 3, 1]), {
          exact: true,
        });
        compare('slice rows', [x([5, 17])], (t) => S.slice(t, [1, 0], [4, 17]), { exact: true });
        compare(
          'sliceScatter',
          [x([2, 5, 2])],
          op(opTable.sliceScatter, { begin: [1, 2, 0], end: [5, 17, 2], step: [2, 3, 1], shape: [5, 17, 3] }),
          { exact: true },
        );
        compare('concat 0', [x([2, 3]), x([1, 3]), x([4, 3])], (a, b, c) => S.concat([a, b, c], 0), {
          exact: true,
        });
        compare('concat 1', [x([2, 3, 5]), x([2, 1, 5]), x([2, 4, 5])], (a, b, c) => S.concat([a, b, c], 1), {
          exact: true,
        });
        compare('concat 2', [x([2, 3, 1]), x([2, 3, 17])], (a, b) => S.concat([a, b], 2), { exact: true });
        compare('flip', [x([3, 5, 17])], (t) => S.flip(t, [0, 2]), { exact: true });
        compare('flip all', [x([17])], (t) => S.flip(t), { exact: true });
        compare('broadcastTo', [x([3, 1, 5])], (t) => S.broadcastTo(t, [2, 3, 4, 5]), { exact: true });
        compare('broadcastTo scalar', [x([])], (t) => S.broadcastTo(t, [3, 17]), { exact: true });
      }
      for (const mode of ['constant', 'reflect', 'edge'] as const) {
        compare(
          `pad ${mode}`,
          [F([3, 5, 4])],
          (t) =>
            S.pad(
              t,
              [
                [1, 2],
                [0, 3],
                [2, 1],
              ],
              mode,
              1.5,
            ),
          { exact: true },
        );
        const a = { before: [1, 0, 2], after: [2, 3, 1], mode, value: 0, shape: [3, 5, 4] };
        compare(`padBackward ${mode}`, [F([6, 8, 7])], op(opTable.padBackward, a), {
          rtol: 1e-6,
          atol: 1e-6,
        });
      }
      compare('pad 1-d', [F([1])], (t) => S.pad(t, [[2, 3]], 'edge'), { exact: true });
    });
  });

  test('matmul: sizes, transpositions, batch broadcast', () => {
    atThreads(() => {
      const dims = [1, 3, 5, 17];
      for (const M of dims)
        for (const K of dims)
          for (const N of dims)
            compare(`matmul ${M}x${K}x${N}`, [F([M, K]), F([K, N])], (a, b) => S.matmul(a, b), loose);
      for (const [tA, tB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ])
        for (const [M, K, N] of [
          [64, 65, 66],
          [33, 300, 9],
          [5, 17, 130],
          // ≥ 5·10⁷ flops with ≥ 64 rows per thread: B packed once for all threads (gemmPackB)
          [262, 300, 330],
          // the 6-row tile of the fused multiply-add build (from 12 rows where six-row panels pad
          // little), with a row edge (97 = 16·6 + 1), a K not a multiple of 4 and a column edge;
          // 30 rows: five whole 6-row panels; 26: the 4-row tile (six-row panels would pad to 30)
          [97, 67, 21],
          [100, 9, 8],
          [30, 13, 17],
          [26, 13, 17],
          // fewer rows than the 4-row tile: the unpacked row-times-matrix path
          [1, 67, 13],
          [2, 9, 21],
          [3, 130, 7],
        ]) {
          const sa = tA ? [K, M] : [M, K];
          const sb = tB ? [N, K] : [K, N];
          compare(
            `matmul ${tA ? 'aT' : 'a'} ${tB ? 'bT' : 'b'} ${M}x${K}x${N}`,
            [F(sa), F(sb)],
            (a, b) => S.matmul(a, b, { transA: tA, transB: tB }),
            loose,
          );
        }
      compare('matmul batch', [F([2, 1, 5, 7]), F([3, 7, 4])], (a, b) => S.matmul(a, b), loose);
      compare('matmul batch 3', [F([3, 17, 5]), F([3, 5, 3])], (a, b) => S.matmul(a, b), loose);
      compare(
        'matmul batch bT',
        [F([4, 2, 9]), F([1, 6, 9])],
        (a, b) => S.matmul(a, b, { transB: true }),
        loose,
      );
      compare('matmul vector', [F([17]), F([17, 5])], (a, b) => S.matmul(a, b), loose);
      compare('matmul K=0', [F([3, 0]), F([0, 4])], (a, b) => S.matmul(a, b), { exact: true });
    });
  });

  test('convolution: forward, input gradient, filter gradient', () => {
    const cases: {
      x: number[];
      w: number[];
      stride: number[];
      pb: number[];
      pe: number[];
      dl: number[];
      g: number;
    }[] = [
      { x: [2, 3, 17], w: [5, 3, 3], stride: [1], pb: [1], pe: [1], dl: [1], g: 1 },
      { x: [1, 2, 9], w: [4, 1, 2], stride: [2], pb: [0], pe: [1], dl: [2], g: 2 },
      { x: [2, 3, 9, 11], w: [5, 3, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 1 },
      { x: [2, 4, 10, 9], w: [6, 2, 3, 2], stride: [2, 1], pb: [1, 0], pe: [2, 1], dl: [1, 2], g: 2 },
      { x: [1, 3, 7, 7], w: [3, 1, 3, 3], stride: [2, 2], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 3 },
      { x: [3, 1, 17, 5], w: [1, 1, 5, 1], stride: [3, 1], pb: [2, 0], pe: [0, 0], dl: [1, 1], g: 1 },
      { x: [1, 8, 20, 20], w: [16, 8, 1, 1], stride: [1, 1], pb: [0, 0], pe: [0, 0], dl: [1, 1], g: 1 },
      {
        x: [2, 2, 5, 6, 7],
        w: [3, 2, 2, 3, 3],
        stride: [1, 2, 1],
        pb: [1, 1, 0],
        pe: [0, 1, 2],
        dl: [1, 1, 2],
        g: 1,
      },
      { x: [2, 16, 12, 12], w: [8, 16, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 1 },
      // rows of ≥ 80 % full panels of eight outputs: the direct forward path (convdirect.ts)
      { x: [2, 6, 9, 16], w: [10, 6, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 1 },
      { x: [1, 4, 7, 30], w: [8, 2, 3, 5], stride: [2, 1], pb: [0, 2], pe: [1, 2], dl: [1, 2], g: 2 },
      // Cg·KK = 540: two channel blocks accumulate into the output
      { x: [1, 60, 10, 8], w: [4, 60, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 1 },
      { x: [2, 3, 40], w: [4, 3, 5], stride: [1], pb: [2], pe: [2], dl: [1], g: 1 },
      // ≥ 24 filters: six per tile in the fused multiply-add build (46 = 7·6 + 4: a short last panel;
      // 24 filters on 540 taps: two blocks accumulate; rows of 20 = 8 + 8 + 4: a column edge)
      { x: [2, 8, 5, 16], w: [46, 8, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 1 },
      { x: [1, 60, 4, 20], w: [24, 60, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 1 },
      // a multiple of six filters on 16–63 taps (LeNet's first layer): the six-filter direct path too
      { x: [2, 1, 6, 16], w: [6, 1, 5, 5], stride: [1, 1], pb: [2, 2], pe: [2, 2], dl: [1, 1], g: 1 },
      { x: [1, 2, 5, 24], w: [12, 2, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 1 },
      // unit strides, a multiple of six input channels and dX about as large as dY: the input
      // gradient as the six-row direct forward over dY with flipped weights (convdirect.ts
      // convDataAuto): 'same' padding, groups and dilation, a 3-d case; LeNet's conv2 (not taken)
      { x: [2, 6, 9, 14], w: [16, 6, 5, 5], stride: [1, 1], pb: [0, 0], pe: [0, 0], dl: [1, 1], g: 1 },
      { x: [2, 6, 5, 16], w: [8, 6, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 1 },
      { x: [1, 12, 6, 16], w: [8, 6, 3, 3], stride: [1, 1], pb: [1, 2], pe: [1, 2], dl: [1, 2], g: 2 },
      {
        x: [1, 6, 3, 4, 16],
        w: [4, 6, 2, 3, 3],
        stride: [1, 1, 1],
        pb: [1, 1, 1],
        pe: [0, 1, 1],
        dl: [1, 1, 1],
        g: 1,
      },
      // the input gradient of unit-stride convolutions on the direct path: groups; padding beyond
      // the dilated kernel (negative padding of the equivalent convolution)
      { x: [2, 8, 5, 16], w: [8, 4, 3, 3], stride: [1, 1], pb: [1, 1], pe: [1, 1], dl: [1, 1], g: 2 },
      { x: [1, 4, 6, 16], w: [5, 4, 2, 2], stride: [1, 1], pb: [3, 3], pe: [0, 1], dl: [2, 1], g: 1 },
      {
        x: [1, 3, 4, 5, 16],
        w: [5, 3, 2, 3, 3],
        stride: [1, 2, 1],
        pb: [1, 0, 1],
        pe: [0, 1, 1],
        dl: [1, 1, 1],
        g: 1,
      },
      // few rows Cg·KK over long rows of outputs: LeNet's first layer at its size; groups, strides
      // and dilation on the outer axes; filters that fill no tile; 3-d; 1-d
      { x: [3, 1, 28, 28], w: [6, 1, 5, 5], stride: [1, 1], pb: [2, 2], pe: [2, 2], dl: [1, 1], g: 1 },
      { x: [2, 4, 9, 12], w: [6, 2, 3, 5], stride: [2, 1], pb: [1, 2], pe: [0, 2], dl: [2, 1], g: 2 },
      {
        x: [1, 1, 3, 5, 8],
        w: [4, 1, 2, 3, 3],
        stride: [1, 2, 1],
        pb: [0, 1, 1],
        pe: [1, 0, 1],
        dl: [1, 1, 1],
        g: 1,
      },
      { x: [2, 2, 20], w: [7, 2, 3], stride: [1], pb: [1], pe: [1], dl: [1], g: 1 },
    ];
    atThreads(() => {
      for (const c of cases) {
        const attrs = { stride: c.stride, padBegin: c.pb, padEnd: c.pe, dilation: c.dl, groups: c.g };
        const label = `conv x[${c.x}] w[${c.w}] s${c.stride} p${c.pb}/${c.pe} d${c.dl} g${c.g}`;
        const y = S.conv(S.zeros(c.x, { backend: undefined }), S.zeros(c.w), attrs).shape;
        compare(label, [F(c.x), F(c.w)], op(opTable.conv, attrs), loose);
        compare(
          `${label} dX`,
          [F(y), F(c.w)],
          op(opTable.convBackwardData, { ...attrs, inputShape: c.x }),
          loose,
        );
        compare(
          `${label} dW`,
          [F(c.x), F(y)],
          op(opTable.convBackwardFilter, { ...attrs, filterShape: c.w }),
          loose,
        );
      }
    });
  });

  test('pooling', () => {
    const cases: {
      x: number[];
      k: number[];
      s: number[];
      pb: number[];
      pe: number[];
      d: number[];
      ceil: boolean;
    }[] = [
      { x: [2, 3, 17], k: [3], s: [2], pb: [1], pe: [1], d: [1], ceil: false },
      { x: [2, 3, 8, 9], k: [2, 2], s: [2, 2], pb: [0, 0], pe: [0, 0], d: [1, 1], ceil: false },
      // 2×2 stride 2 fast path: rows of 7 windows (four, then four overlapping), of 5 in ceil mode
      // with a partial last column and row, of 13 (three fours and an overlapping one)
      { x: [2, 3, 6, 14], k: [2, 2], s: [2, 2], pb: [0, 0], pe: [0, 0], d: [1, 1], ceil: false },
      { x: [1, 2, 7, 11], k: [2, 2], s: [2, 2], pb: [0, 0], pe: [0, 0], d: [1, 1], ceil: true },
      {
        x: [1, 2, 3, 4, 27],
        k: [1, 2, 2],
        s: [1, 2, 2],
        pb: [0, 0, 0],
        pe: [0, 0, 0],
        d: [1, 1, 1],
        ceil: false,
      },
      { x: [1, 2, 9, 7], k: [3, 2], s: [2, 2], pb: [1, 0], pe: [1, 1], d: [1, 2], ceil: true },
      {
        x: [2, 1, 5, 6, 7],
        k: [2, 3, 2],
        s: [1, 2, 2],
        pb: [0, 1, 1],
        pe: [1, 1, 0],
        d: [1, 1, 1],
        ceil: false,
      },
      { x: [1, 5, 5, 5], k: [5, 5], s: [1, 1], pb: [0, 0], pe: [0, 0], d: [1, 1], ceil: false },
    ];
    atThreads(() => {
      for (const c of cases) {
        const attrs = {
          kernel: c.k,
          stride: c.s,
          padBegin: c.pb,
          padEnd: c.pe,
          dilation: c.d,
          ceilMode: c.ceil,
        };
        const label = `pool x[${c.x}] k${c.k} s${c.s} p${c.pb}/${c.pe} d${c.d} ${c.ceil ? 'ceil' : 'floor'}`;
        compare(`max${label}`, [F(c.x, 'distinct')], op(opTable.maxPool, attrs, 2), { exact: true });
        compare(`max${label} ties`, [F(c.x, 'mask')], op(opTable.maxPool, attrs, 2), { exact: true });
        const n = c.x.reduce((p, d) => p * d, 1);
        const withNaN = Array.from({ length: n }, (_, i) =>
          i % 7 === 3 || i % 11 === 5 ? Number.NaN : (i * 37) % 13,
        );
        compare(`max${label} NaN`, [{ shape: c.x, values: withNaN }], op(opTable.maxPool, attrs, 2), {
          exact: true,
        });
        const [y, idx] = S.maxPool(S.zeros(c.x), attrs);
        for (const cip of [false, true]) {
          const a = { ...attrs, countIncludePad: cip };
          compare(`avg${label} cip=${cip}`, [F(c.x)], op(opTable.avgPool, a), { rtol: 1e-6, atol: 1e-6 });
          compare(
            `avgBack${label} cip=${cip}`,
            [F(y.shape)],
            op(opTable.avgPoolBackward, { ...a, inputShape: c.x }),
            {
              rtol: 1e-6,
              atol: 1e-6,
            },
          );
        }
        // indices as max-pooling produces them (ties at zero: the first tap of each window)
        const plane = c.x.slice(2).reduce((p, d) => p * d, 1);
        const iv = Array.from(idx.data());
        compare(
          `unpoolScatter${label}`,
          [F(y.shape), { shape: y.shape, kind: 'int', values: iv }],
          op(opTable.unpoolScatter, { outputSpatial: c.x.slice(2) }),
          { rtol: 1e-6, atol: 1e-6 },
        );
        compare(
          `poolGather${label}`,
          [F(c.x), { shape: y.shape, kind: 'int', values: iv.map((v, i) => (v + i) % plane) }],
          op(opTable.poolGather, {}),
          { exact: true },
        );
      }
    });
  });

  test('resize and its adjoint', () => {
    const cases: { x: number[]; o: number[]; mode: 'nearest' | 'linear'; cm: string; nm: string }[] = [
      { x: [2, 3, 5], o: [9], mode: 'linear', cm: 'half_pixel', nm: 'round_prefer_floor' },
      { x: [1, 2, 4, 5], o: [7, 3], mode: 'linear', cm: 'align_corners', nm: 'floor' },
      { x: [2, 1, 3, 4], o: [6, 8], mode: 'nearest', cm: 'asymmetric', nm: 'round_prefer_ceil' },
      { x: [1, 2, 3, 4, 5], o: [5, 2, 9], mode: 'linear', cm: 'pytorch_half_pixel', nm: 'floor' },
    ];
    atThreads(() => {
      for (const c of cases) {
        const S = c.x.slice(2);
        const a = {
          mode: c.mode,
          coordinateMode: c.cm,
          nearestMode: c.nm,
          outputSpatial: c.o,
          scales: c.o.map((o, i) => o / S[i]),
        } as never;
        const label = `resize ${c.mode} ${c.cm} [${c.x}] → [${c.o}]`;
        compare(label, [F(c.x)], op(opTable.resize, a), { rtol: 1e-6, atol: 1e-6 });
        compare(
          `${label} backward`,
          [F([c.x[0], c.x[1], ...c.o])],
          op(opTable.resizeBackward, { ...(a as object), inputSpatial: S } as never),
          {
            rtol: 1e-5,
            atol: 1e-6,
          },
        );
      }
    });
  });
});
