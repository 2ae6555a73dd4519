import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { StrataError } from '../core/errors.js';
import { type Dataset, validateDataset } from './dataset.js';

/** A decoded image: channels × height × width float32 values in [0, 1]. */
export interface Image {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** The largest image decoded, in pixels (the JPEG decoder's own limit). */
const MAX_PIXELS = 100_000_000;
/** zlib's bound on deflate: one compressed byte never yields more than 1032 bytes. */
const DEFLATE_MAX_RATIO = 1032;
/** A JPEG spends at least one bit per 8×8 block of its largest component: at most 512 pixels a byte. */
const JPEG_MAX_PIXELS_PER_BYTE = 512;

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Checks a PNG's declared size against its data before anything is decoded: a header may claim any
 * size, and the decoder allocates what it claims. The rows of raw samples must fit in what the
 * image-data chunks present can expand to.
 */
function checkPngSize(bytes: Uint8Array, file: string): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 33 || type(12) !== 'IHDR' || v.getUint32(8, false) !== 13)
    throw new StrataError('image', `${file} is not a valid PNG file: it does not start with an IHDR chunk`);
  const w = v.getUint32(16, false);
  const h = v.getUint32(20, false);
  const depth = bytes[24];
  const channels = PNG_CHANNELS[bytes[25]];
  if (!channels || ![1, 2, 4, 8, 16].includes(depth))
    throw new StrataError(
      'image',
      `${file} is not a valid PNG file: colour type ${bytes[25]} with bit depth ${depth}`,
    );
  if (w === 0 || h === 0) throw new StrataError('image', `${file} declares an empty image (${w}×${h})`);
  if (w * h > MAX_PIXELS)
    throw new StrataError(
      'image',
      `${file} declares ${w}×${h} pixels, more than the ${MAX_PIXELS / 1e6} million Strata decodes`,
    );
  let idat = 0;
  for (let at = 8; at + 8 <= bytes.length; ) {
    const len = v.getUint32(at, false);
    const t = type(at + 4);
    if (t === 'IDAT') idat += Math.min(len, bytes.length - at - 8);
    if (t === 'IEND') break;
    at += 12 + len;
  }
  const raw = h * (1 + Math.ceil((w * channels * depth) / 8));
  if (raw > DEFLATE_MAX_RATIO * idat + 1024)
    throw new StrataError(
      'image',
      `${file} declares ${w}×${h} pixels (${raw} bytes of samples), more than its ${idat} bytes of image data can hold`,
    );
}

/** Checks a JPEG's declared size (its start-of-frame) against the file's length before decoding. */
function checkJpegSize(bytes: Uint8Array, file: string): void {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return;
    const m = bytes[at + 1];
    if (m === 0xff) {
      at++;
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      at += 2;
      continue;
    }
    if (m === 0xda || m === 0xd9) return;
    const len = (bytes[at + 2] << 8) | bytes[at + 3];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (at + 9 > bytes.length) return;
      const h = (bytes[at + 5] << 8) | bytes[at + 6];
      const w = (bytes[at + 7] << 8) | bytes[at + 8];
      if (w * h > JPEG_MAX_PIXELS_PER_BYTE * bytes.length)
        throw new StrataError(
          'image',
          `${file} declares ${w}×${h} pixels, more than its ${bytes.length} bytes of JPEG data can encode`,
        );
      return;
    }
    at += 2 + len;
  }
}

/** Interleaved samples (HWC) scaled to [0, 1], with the number of colour channels (alpha dropped). */
function pngPixels(bytes: Uint8Array, file: string): { hwc: Float32Array; c: number; h: number; w: number } {
  checkPngSize(bytes, file);
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (e) {
    throw new StrataError('image', `${file} is not a valid PNG file: ${(e as Error).message}`);
  }
  const { width: w, height: h, depth, channels, data, palette } = png;
  const max = depth === 16 ? 65535 : (1 << depth) - 1;
  // Unpack rows of 1-, 2- or 4-bit samples (grey or palette indices; fast-png leaves them packed).
  const sample = (row: number, k: number): number => {
    if (depth >= 8) return data[row * w * channels + k];
    const stride = Math.ceil((depth * channels * w) / 8);
    const bit = k * depth;
    const byte = data[row * stride + (bit >> 3)];
    return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  if (palette) {
    const c = 3;
    const hwc = new Float32Array(h * w * c);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const entry = palette[sample(i, j)];
        if (!entry) throw new StrataError('image', `${file}: palette index out of range`);
        for (let k = 0; k < c; k++) hwc[(i * w + j) * c + k] = entry[k] / 255;
      }
    return { hwc, c, h, w };
  }
  const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
  const hwc = new Float32Array(h * w * colour);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let k = 0; k < colour; k++) hwc[(i * w + j) * colour + k] = sample(i, j * channels + k) / max;
  return { hwc, c: colour, h, w };
}

function jpegPixels(bytes: Uint8Array, file: string): { hwc: Float32Array; c: number; h: number; w: number } {
  checkJpegSize(bytes, file);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: 100,
      maxMemoryUsageInMB: 512,
    });
  } catch (e) {
    throw new StrataError('image', `${file} is not a valid JPEG file: ${(e as Error).message ?? e}`);
  }
  const hwc = new Float32Array(img.data.length);
  for (let i = 0; i < hwc.length; i++) hwc[i] = img.data[i] / 255;
  return { hwc, c: 3, h: img.height, w: img.width };
}

/**
 * Decodes PNG (grey, grey+alpha, RGB, RGBA, palette; 1–16 bits) or JPEG bytes into [C,H,W] values in
 * [0, 1], converting to `channels` (1: grey by ITU-R 601 luma, 0.299R + 0.587G + 0.114B; 3: grey
 * repeated). Alpha is dropped. The format is recognized from the bytes, not the name.
 */
export function decodeImage(bytes: Uint8Array, file: string, channels?: number): Image {
  const isPng =
    bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw new StrataError('image', `${file} is neither a PNG nor a JPEG file`);
  const { hwc, c, h, w } = isPng ? pngPixels(bytes, file) : jpegPixels(bytes, file);
  const out = channels ?? c;
  if (out !== 1 && out !== 3) throw new StrataError('image', `channels must be 1 or 3, got ${out}`);
  const data = new Float32Array(out * h * w);
  const n = h * w;
  for (let p = 0; p < n; p++) {
    if (out === 1)
      data[p] = c === 1 ? hwc[p] : 0.299 * hwc[p * c] + 0.587 * hwc[p * c + 1] + 0.114 * hwc[p * c + 2];
    else for (let k = 0; k < 3; k++) data[k * n + p] = c === 1 ? hwc[p] : hwc[p * c + k];
  }
  return { data, channels: out, height: h, width: w };
}

/**
 * Reads an image file for a model expecting [channels, height, width]; a different size is an error
 * naming the file (images are not resized silently).
 */
export function readImage(file: string, shape?: readonly number[]): Image {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError(
      'image',
      code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${(e as Error).message}`,
    );
  }
  const img = decodeImage(bytes, file, shape?.[0]);
  if (shape && (img.height !== shape[1] || img.width !== shape[2]))
    throw new StrataError(
      'image',
      `${file} is ${img.width}×${img.height} pixels, expected ${shape[2]}×${shape[1]} (width×height)`,
    );
  return img;
}

export interface ImageFolderOptions {
  /** Expected example shape [C,H,W]; default: the channels and size of the first image. */
  shape?: number[];
}

/**
 * A data set from a folder with one sub-folder per class (class names = sub-folder names, sorted), each
 * holding PNG or JPEG images of one size. Files with other extensions and hidden files are skipped.
 */
export function loadImageFolder(root: string, opts: ImageFolderOptions = {}): Dataset {
  const where = 'imageFolder';
  let entries: string[];
  try {
    if (!statSync(root).isDirectory()) throw new StrataError(where, `${root} is not a folder`);
    entries = readdirSync(root);
  } catch (e) {
    if (e instanceof StrataError) throw e;
    throw new StrataError(where, `no such folder: ${root}`);
  }
  const classNames = entries
    .filter((f) => !f.startsWith('.') && statSync(join(root, f)).isDirectory())
    .sort();
  if (classNames.length === 0) throw new StrataError(where, `${root} has no class sub-folders`);
  let shape = opts.shape ? [...opts.shape] : undefined;
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  classNames.forEach((cls, label) => {
    const dir = join(root, cls);
    const files = readdirSync(dir)
      .filter((f) => !f.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
      .sort();
    if (files.length === 0) throw new StrataError(where, `class folder ${dir} holds no PNG or JPEG image`);
    for (const f of files) {
      const img = readImage(join(dir, f), shape);
      shape ??= [img.channels, img.height, img.width];
      parts.push(img.data);
      labels.push(label);
    }
  });
  const s = shape!;
  const per = s[0] * s[1] * s[2];
  const x = new Float32Array(parts.length * per);
  for (const [i, p] of parts.entries()) x.set(p, i * per);
  return validateDataset({ x, shape: s, y: Int32Array.from(labels), classNames }, where);
}
