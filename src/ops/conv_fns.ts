import { StrataError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { batched } from './batching.js';
import { add } from './binary.js';
import { conv, convBackwardData } from './conv.js';
import { activationOf, convBiasAct } from './fused.js';
import { pad, reshape } from './shape.js';
import { effectiveKernel, normInts, normPadding, type Padding } from './window.js';

/** The user-facing convolution functions: PyTorch-like options normalized into the conv ops' attributes. */

export interface ConvOptions {
  /** Default 1. */
  stride?: number | number[];
  /** A number, one per axis, [begin, end] per axis, 'valid' (default, = 0) or 'same'. */
  padding?: Padding;
  /** Default 1. */
  dilation?: number | number[];
  /** Default 1; C and F must be multiples of it (groups = C is depthwise). */
  groups?: number;
  /** Added per output channel, shape [F]. */
  bias?: Tensor | null;
}

export interface ConvActOptions extends ConvOptions {
  /** Applied after the bias, in the same op (convBiasAct). */
  activation?: 'relu' | null;
}

function checkBias(fn: string, F: number, bias: Tensor): void {
  if (bias.shape.length !== 1 || bias.shape[0] !== F)
    throw new StrataError(fn, `bias must have shape [${F}] (output channels), got [${bias.shape}]`);
}

/** Adds a bias of shape [F] along axis 1 of an (N, F, ...spatial) tensor. */
function addBias(fn: string, y: Tensor, bias: Tensor | null | undefined): Tensor {
  if (!bias) return y;
  const F = y.shape[1];
  checkBias(fn, F, bias);
  return add(y, reshape(bias, [F, ...y.shape.slice(2).map(() => 1)]));
}

function convNd(fn: string, r: number, x: Tensor, w: Tensor, o: ConvActOptions): Tensor {
  const act = activationOf(fn, o.activation);
  return batched(fn, x, r, (x) => {
    const stride = normInts(fn, 'stride', o.stride, r, 1);
    const dilation = normInts(fn, 'dilation', o.dilation, r, 1);
    const S = x.shape.slice(2);
    const K = w.shape.slice(2);
    if (o.padding === 'same' && K.length !== r)
      throw new StrataError(fn, `weight [${w.shape}] must have ${r} kernel axes`);
    const pads = normPadding(fn, o.padding, S, K, stride, dilation);
    const attrs = { stride, dilation, ...pads, groups: o.groups ?? 1 };
    if (!o.bias && act === 'none') return conv(x, w, attrs);
    // the bias and activation in the product's own op (the message names the function, as before)
    if (o.bias && w.rank >= 1) checkBias(fn, w.shape[0], o.bias);
    return convBiasAct(x, w, o.bias, { ...attrs, act });
  });
}

/**
 * Convolution over 1, 2 or 3 spatial axes: x (N, C, ...S) or (C, ...S), w (F, C/groups, ...K); with
 * `bias` and `activation: 'relu'` the whole relu(conv + bias) runs as one op (convBiasAct).
 * Shape: O = floor((S + padBegin + padEnd − dilation·(K − 1) − 1) / stride) + 1 per axis.
 */
export const conv1d = (x: Tensor, w: Tensor, opts: ConvActOptions = {}): Tensor =>
  convNd('conv1d', 1, x, w, opts);
export const conv2d = (x: Tensor, w: Tensor, opts: ConvActOptions = {}): Tensor =>
  convNd('conv2d', 2, x, w, opts);
export const conv3d = (x: Tensor, w: Tensor, opts: ConvActOptions = {}): Tensor =>
  convNd('conv3d', 3, x, w, opts);

export interface ConvTransposeOptions extends Omit<ConvOptions, 'padding'> {
  /** Removed from the output: a number, one per axis, or [begin, end] per axis. Default 0. */
  padding?: number | number[] | Array<[number, number]>;
  /** Added at the end of each axis (resolves the output size for stride > 1). Default 0. */
  outputPadding?: number | number[];
}

function convTransposeNd(fn: string, r: number, x: Tensor, w: Tensor, o: ConvTransposeOptions): Tensor {
  return batched(fn, x, r, (x) => {
    if (typeof o.padding === 'string')
      throw new StrataError(fn, `padding must be a number or a list, got '${o.padding}'`);
    const stride = normInts(fn, 'stride', o.stride, r, 1);
    const dilation = normInts(fn, 'dilation', o.dilation, r, 1);
    const outPad = normInts(fn, 'outputPadding', o.outputPadding, r, 0);
    const groups = o.groups ?? 1;
    const [N, Cin, ...S] = x.shape;
    if (w.shape.length !== r + 2 || w.shape[0] !== Cin)
      throw new StrataError(
        fn,
        `weight must have shape (in-channels ${Cin}, out-channels/groups, ...kernel) of rank ${r + 2}, got [${w.shape}]`,
      );
    if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0)
      throw new StrataError(
        fn,
        `groups (${groups}) must be a positive divisor of the input channels (${Cin})`,
      );
    const K = w.shape.slice(2);
    const { padBegin, padEnd } = normPadding(fn, o.padding, S, K, stride, dilation);
    const out = S.map((s, i) => {
      if (outPad[i] < 0 || outPad[i] >= Math.max(stride[i], dilation[i]))
        throw new StrataError(
          fn,
          `outputPadding (${outPad[i]}) must be non-negative and smaller than stride (${stride[i]}) or dilation (${dilation[i]})`,
        );
      const n =
        (s - 1) * stride[i] - padBegin[i] - padEnd[i] + effectiveKernel(K[i], dilation[i]) + outPad[i];
      if (n < 1)
        throw new StrataError(
          fn,
          `output size ${n} on spatial axis ${i} is not positive (input [${x.shape}])`,
        );
      return n;
    });
    // The end padding only sets the size: fold outputPadding into it; where outputPadding exceeds
    // it, the extra positions get no contribution and are zero-padded (bias still adds to them).
    const end = padEnd.map((p, i) => Math.max(p - outPad[i], 0));
    const extra = padEnd.map((p, i) => Math.max(outPad[i] - p, 0));
    const inner = out.map((n, i) => n - extra[i]);
    const attrs = { stride, dilation, padBegin, padEnd: end, groups };
    let y = convBackwardData(x, w, { ...attrs, inputShape: [N, w.shape[1] * groups, ...inner] });
    if (extra.some((e) => e > 0))
      y = pad(y, [[0, 0], [0, 0], ...extra.map((e) => [0, e] as [number, number])]);
    return addBias(fn, y, o.bias);
  });
}

/**
 * Transposed convolution (the input gradient of conv): x (N, Cin, ...S), w (Cin, Cout/groups, ...K),
 * PyTorch's layout. Shape: O = (S − 1)·stride − padBegin − padEnd + dilation·(K − 1) + outputPadding + 1.
 */
export const convTranspose1d = (x: Tensor, w: Tensor, opts: ConvTransposeOptions = {}): Tensor =>
  convTransposeNd('convTranspose1d', 1, x, w, opts);
export const convTranspose2d = (x: Tensor, w: Tensor, opts: ConvTransposeOptions = {}): Tensor =>
  convTransposeNd('convTranspose2d', 2, x, w, opts);
export const convTranspose3d = (x: Tensor, w: Tensor, opts: ConvTransposeOptions = {}): Tensor =>
  convTransposeNd('convTranspose3d', 3, x, w, opts);
