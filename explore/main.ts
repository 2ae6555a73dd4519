/**
 * The explorer page: draw a digit (or pick a held-out one) and see every layer's feature maps and the
 * class probabilities update as you draw; train the default network in a Web Worker with a live loss
 * curve, the maps following the weights as they learn.
 */
import {
  argmaxOf,
  backendName,
  type Digits,
  digitsCnn,
  engineLabel,
  featureMaps,
  fetchDigits,
  getThreads,
  type LayerMaps,
  type Model,
  modelFromFiles,
  type Raster,
  setState,
  startBackend,
} from './lib.js';
import type { TrainMessage, TrainRequest } from './train-worker.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What the page exposes as `window.strata` (the browser tests read it). */
export interface PageState {
  model: Model | null;
  modelSource: string;
  input: Float32Array;
  heldout: Digits | null;
  label: number | null;
  worker: Worker | null;
  losses: number[];
  /** Accuracies measured by the training worker: [epoch, accuracy]. */
  accuracies: [number, number][];
  training: 'idle' | 'running' | 'done' | 'stopped' | 'error';
  /** Threads the training worker runs the kernels on (0 until it has started). */
  trainThreads: number;
  /** Seconds of each training epoch. */
  epochSeconds: number[];
  renders: number;
}

const state: PageState = {
  model: null,
  modelSource: '',
  input: new Float32Array(784),
  heldout: null,
  label: null,
  worker: null,
  losses: [],
  accuracies: [],
  training: 'idle',
  trainThreads: 0,
  epochSeconds: [],
  renders: 0,
};
// For the browser tests and the curious: the page's state, read-only in spirit.
(window as unknown as { strata: PageState }).strata = state;

const params = new URLSearchParams(location.search);
const TRAIN_EXAMPLES = Number(params.get('train') ?? 3000);
const HELDOUT_EXAMPLES = Number(params.get('heldout') ?? 500);
/** ?threads=N sets the training worker's thread count (default: the machine's, when isolated). */
const TRAIN_THREADS = params.has('threads') ? Number(params.get('threads')) : undefined;

// ------------------------------------------------------------------------------------------- drawing

const draw = $<HTMLCanvasElement>('draw');
const dctx = draw.getContext('2d', { willReadFrequently: true })!;

function clearDrawing(): void {
  dctx.fillStyle = '#000';
  dctx.fillRect(0, 0, draw.width, draw.height);
}

let drawing = false;
let last: [number, number] | null = null;
function pos(e: PointerEvent): [number, number] {
  const r = draw.getBoundingClientRect();
  return [((e.clientX - r.left) * draw.width) / r.width, ((e.clientY - r.top) * draw.height) / r.height];
}
draw.addEventListener('pointerdown', (e) => {
  drawing = true;
  draw.setPointerCapture(e.pointerId);
  last = pos(e);
  stroke(last, last);
});
draw.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const p = pos(e);
  stroke(last ?? p, p);
  last = p;
});
const end = () => {
  drawing = false;
  last = null;
};
draw.addEventListener('pointerup', end);
draw.addEventListener('pointercancel', end);

function stroke(a: [number, number], b: [number, number]): void {
  dctx.strokeStyle = '#fff';
  dctx.lineWidth = 20;
  dctx.lineCap = 'round';
  dctx.lineJoin = 'round';
  dctx.beginPath();
  dctx.moveTo(a[0], a[1]);
  dctx.lineTo(b[0], b[1]);
  dctx.stroke();
  state.label = null;
  $('input-info').textContent = 'Your drawing.';
  fromDrawing();
}

/**
 * MNIST's own preparation: the ink's bounding box scaled to fit 20×20 (keeping its aspect ratio),
 * placed in 28×28 so that its centre of mass is at the centre.
 */
function fromDrawing(): void {
  const W = draw.width;
  const img = dctx.getImageData(0, 0, W, draw.height).data;
  let x0 = W;
  let y0 = W;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < draw.height; y++)
    for (let x = 0; x < W; x++)
      if (img[(y * W + x) * 4] > 20) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  const out = new Float32Array(784);
  if (x1 >= 0) {
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const s = 20 / Math.max(bw, bh);
    const tw = Math.max(1, Math.round(bw * s));
    const th = Math.max(1, Math.round(bh * s));
    const small = document.createElement('canvas');
    small.width = 28;
    small.height = 28;
    const sctx = small.getContext('2d', { willReadFrequently: true })!;
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = 'high';
    sctx.drawImage(draw, x0, y0, bw, bh, 0, 0, tw, th);
    const px = sctx.getImageData(0, 0, tw, th).data;
    let mx = 0;
    let my = 0;
    let m = 0;
    for (let y = 0; y < th; y++)
      for (let x = 0; x < tw; x++) {
        const v = px[(y * tw + x) * 4] / 255;
        mx += v * x;
        my += v * y;
        m += v;
      }
    const ox = Math.round(14 - (m > 0 ? mx / m : tw / 2));
    const oy = Math.round(14 - (m > 0 ? my / m : th / 2));
    for (let y = 0; y < th; y++)
      for (let x = 0; x < tw; x++) {
        const X = x + ox;
        const Y = y + oy;
        if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = px[(y * tw + x) * 4] / 255;
      }
  }
  setInput(out);
}

function showDigitOnCanvas(x: Float32Array): void {
  // The held-out digit, drawn large on the drawing canvas (so one can keep drawing over it).
  const c = document.createElement('canvas');
  c.width = 28;
  c.height = 28;
  const id = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const g = Math.round(x[i] * 255);
    id.data.set([g, g, g, 255], i * 4);
  }
  c.getContext('2d')!.putImageData(id, 0, 0);
  dctx.imageSmoothingEnabled = false;
  dctx.drawImage(c, 0, 0, draw.width, draw.height);
}

// ------------------------------------------------------------------------------------ the network

let pending = false;
function setInput(x: Float32Array): void {
  state.input = x;
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    render();
  });
}

function putRaster(canvas: HTMLCanvasElement, r: Raster, scale: number): void {
  if (canvas.width !== r.width || canvas.height !== r.height) {
    canvas.width = r.width;
    canvas.height = r.height;
  }
  canvas.style.width = `${r.width * scale}px`;
  canvas.style.height = `${r.height * scale}px`;
  canvas
    .getContext('2d')!
    .putImageData(new ImageData(new Uint8ClampedArray(r.data), r.width, r.height), 0, 0);
}

function layerSection(l: LayerMaps): HTMLElement {
  const id = `layer-${l.name}`;
  let sec = document.getElementById(id);
  if (!sec) {
    sec = document.createElement('div');
    sec.className = 'layer';
    sec.id = id;
    sec.dataset.layer = l.name;
    sec.innerHTML = '<h3></h3><div class="tiles"></div>';
    $('layers').appendChild(sec);
  }
  const p = l.picture;
  const cut = p.shown < p.channels ? ` · first ${p.shown} of ${p.channels}` : '';
  sec.querySelector('h3')!.innerHTML = `${l.name} <small>${l.type} · [${l.shape.join('×')}]${cut}</small>`;
  return sec;
}

function render(): void {
  const model = state.model;
  if (!model) return;
  const fm = featureMaps(model, state.input);
  // The 28×28 input as the network gets it.
  putRaster($<HTMLCanvasElement>('input28'), fm.input.tiles[0].raster, 3);
  const keep = new Set(fm.layers.map((l) => `layer-${l.name}`));
  for (const el of [...$('layers').children]) if (!keep.has(el.id)) el.remove();
  for (const l of fm.layers) {
    const sec = layerSection(l);
    const box = sec.querySelector('.tiles')!;
    const tiles = l.picture.tiles;
    while (box.children.length > tiles.length) box.lastElementChild!.remove();
    while (box.children.length < tiles.length) {
      const c = document.createElement('canvas');
      c.className = 'fmap';
      c.dataset.layer = l.name;
      box.appendChild(c);
    }
    const h = Math.max(...tiles.map((t) => t.raster.height));
    const scale = l.picture.kind === 'vector' ? 1 : Math.max(1, Math.min(12, Math.floor(56 / h)));
    tiles.forEach((t, i) => {
      const c = box.children[i] as HTMLCanvasElement;
      c.title = t.label;
      putRaster(c, t.raster, scale);
    });
  }
  const probs = fm.output;
  const best = argmaxOf(probs);
  const empty = state.input.every((v) => v === 0);
  $('prediction').textContent = empty ? '–' : String(best);
  $('confidence').textContent = empty ? '' : `${(100 * probs[best]).toFixed(1)} %`;
  const rows: string[] = [];
  probs.forEach((p, i) => {
    rows.push(
      `<span>${i}</span><div class="bar${i === best && !empty ? ' best' : ''}" style="width:${(180 * p).toFixed(1)}px"></div><span>${(100 * p).toFixed(1)} %</span>`,
    );
  });
  $('probs').innerHTML = rows.join('');
  state.renders++;
  document.body.dataset.renders = String(state.renders);
}

async function loadModel(): Promise<void> {
  try {
    const r = await fetch('model/model.json');
    if (!r.ok) throw new Error(`model/model.json: HTTP ${r.status}`);
    const file = await r.json();
    const w = await fetch(`model/${file.weights}`);
    if (!w.ok) throw new Error(`model/${file.weights}: HTTP ${w.status}`);
    state.model = modelFromFiles(file, new Uint8Array(await w.arrayBuffer()));
    const src = r.headers.get('x-strata-model') ?? 'model/';
    const acc = file.metadata?.testAccuracy;
    state.modelSource = src;
    $('model-info').textContent =
      `Network: ${state.model.name} from ${src === 'strata-out' ? 'strata-out/ (your trained model)' : src === 'default' ? 'the shipped default weights (explore/default-model)' : src}${typeof acc === 'number' ? `, held-out accuracy ${(100 * acc).toFixed(2)} %` : ''}.`;
  } catch (e) {
    state.model = digitsCnn().build({ seed: 0 });
    state.modelSource = 'untrained';
    $('model-info').textContent =
      `No trained model could be loaded (${(e as Error).message}): the network is untrained — press Train.`;
  }
}

// ----------------------------------------------------------------------------------------- training

function drawLoss(): void {
  const c = $<HTMLCanvasElement>('loss');
  const g = c.getContext('2d')!;
  g.clearRect(0, 0, c.width, c.height);
  const L = state.losses;
  g.fillStyle = '#555';
  g.font = '11px sans-serif';
  if (L.length === 0) {
    g.fillText('loss per batch appears here', 10, 20);
    return;
  }
  const max = Math.max(...L.slice(0, 5), 0.5);
  const pad = 24;
  const x = (i: number) => pad + ((c.width - pad - 6) * i) / Math.max(1, L.length - 1);
  const y = (v: number) => 6 + (c.height - 24) * (1 - Math.min(v, max) / max);
  g.strokeStyle = '#ccc';
  g.beginPath();
  g.moveTo(pad, 6);
  g.lineTo(pad, c.height - 18);
  g.lineTo(c.width - 6, c.height - 18);
  g.stroke();
  g.fillText(max.toFixed(1), 2, 12);
  g.fillText('0', 12, c.height - 18);
  g.fillText(`${L.length} batches`, c.width - 80, c.height - 4);
  // Raw loss light, a running mean dark.
  g.strokeStyle = '#b8cce4';
  g.beginPath();
  L.forEach((v, i) => {
    if (i) g.lineTo(x(i), y(v));
    else g.moveTo(x(i), y(v));
  });
  g.stroke();
  g.strokeStyle = '#3165a0';
  g.lineWidth = 2;
  g.beginPath();
  let m = L[0];
  L.forEach((v, i) => {
    m = 0.9 * m + 0.1 * v;
    if (i) g.lineTo(x(i), y(m));
    else g.moveTo(x(i), y(m));
  });
  g.stroke();
  g.lineWidth = 1;
}

function setTraining(s: PageState['training'], text: string): void {
  state.training = s;
  const el = $('train-status');
  el.textContent = text;
  el.dataset.state = s;
  $<HTMLButtonElement>('train').disabled = s === 'running';
  $<HTMLButtonElement>('stop').disabled = s !== 'running';
}

function startTraining(): void {
  state.worker?.terminate();
  state.losses = [];
  state.accuracies = [];
  state.trainThreads = 0;
  state.epochSeconds = [];
  $('epoch-log').innerHTML = '';
  drawLoss();
  // The page now shows the network being trained (a fresh digits-cnn, weights from the worker).
  state.model = digitsCnn().build({ seed: 0 });
  state.modelSource = 'training';
  $('model-info').textContent = 'Network: digits-cnn being trained in this page.';
  const epochs = Math.max(1, Math.min(20, Number($<HTMLInputElement>('epochs').value) || 1));
  const w = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  state.worker = w;
  const t0 = performance.now();
  setTraining('running', 'Starting the worker…');
  let engine = '';
  w.onmessage = (e: MessageEvent<TrainMessage>) => {
    const m = e.data;
    if (m.type === 'ready') {
      state.trainThreads = m.threads;
      engine = m.engine;
      $('train-status').dataset.threads = String(m.threads);
      setTraining(
        'running',
        `Training in a worker: ${m.engine} (page ${m.isolated ? 'cross-origin isolated' : 'not cross-origin isolated: one thread'})${m.note ? `; ${m.note}` : ''}.`,
      );
    } else if (m.type === 'batch') {
      state.losses.push(m.loss);
      if (m.step % 5 === 0) drawLoss();
    } else if (m.type === 'weights') {
      if (state.model && state.modelSource === 'training') {
        setState(state.model, m.state);
        render();
      }
    } else if (m.type === 'eval') {
      state.accuracies.push([m.epoch, m.accuracy]);
      addLog(`before training: held-out accuracy ${(100 * m.accuracy).toFixed(1)} %`);
    } else if (m.type === 'epoch') {
      state.accuracies.push([m.epoch, m.accuracy]);
      state.epochSeconds.push(m.seconds);
      drawLoss();
      addLog(
        `epoch ${m.epoch}: loss ${m.loss.toFixed(3)}, held-out accuracy ${(100 * m.accuracy).toFixed(1)} % (${m.seconds.toFixed(1)} s, ${Math.round(m.examplesPerSecond)} digits/s)`,
      );
    } else if (m.type === 'done') {
      setTraining(
        'done',
        `Done: ${epochs} epoch(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s (${engine}).`,
      );
      w.terminate();
      state.worker = null;
    } else if (m.type === 'error') {
      setTraining('error', `Training failed: ${m.message}`);
      w.terminate();
      state.worker = null;
    }
  };
  w.onerror = (e) => setTraining('error', `Training failed: ${e.message}`);
  const req: TrainRequest = {
    type: 'train',
    epochs,
    examples: TRAIN_EXAMPLES,
    heldout: HELDOUT_EXAMPLES,
    batchSize: 32,
    lr: 0.002,
    seed: 0,
    weightsEvery: 10,
    dataUrl: new URL('data/', location.href).href,
    threads: TRAIN_THREADS,
  };
  w.postMessage(req);
}

function addLog(text: string): void {
  const li = document.createElement('li');
  li.textContent = text;
  $('epoch-log').appendChild(li);
}

// ------------------------------------------------------------------------------------------- start

function showHeldout(i: number): void {
  const d = state.heldout;
  if (!d) return;
  const k = ((i % d.n) + d.n) % d.n;
  $<HTMLInputElement>('pick-index').value = String(k);
  const x = d.x.slice(k * 784, (k + 1) * 784);
  state.label = d.y[k];
  clearDrawing();
  showDigitOnCanvas(x);
  $('input-info').textContent = `Held-out digit #${k} (true class ${d.y[k]}), not seen in training.`;
  setInput(x);
}

async function main(): Promise<void> {
  clearDrawing();
  drawLoss();
  const { note } = await startBackend();
  await loadModel();
  try {
    state.heldout = await fetchDigits('data/heldout.bin');
  } catch (e) {
    $<HTMLButtonElement>('pick').disabled = true;
    $('input-info').textContent = `Held-out digits unavailable: ${(e as Error).message}`;
  }
  $('clear').onclick = () => {
    clearDrawing();
    state.label = null;
    $('input-info').textContent = 'Draw a digit with the mouse (or a finger).';
    setInput(new Float32Array(784));
  };
  $('pick').onclick = () => showHeldout(Math.floor(Math.random() * (state.heldout?.n ?? 1)));
  $('show').onclick = () => showHeldout(Number($<HTMLInputElement>('pick-index').value) || 0);
  $('train').onclick = startTraining;
  $('stop').onclick = () => {
    state.worker?.terminate();
    state.worker = null;
    setTraining('stopped', 'Stopped.');
  };
  const threads = backendName() === 'wasm' ? getThreads() : 1;
  const st = $('status');
  st.textContent = `Backend ${engineLabel(threads)} on this page; ${crossOriginIsolated ? 'cross-origin isolated: training uses wasm threads' : 'not cross-origin isolated: training runs on one thread'}${note ? `; ${note}` : ''}.`;
  st.dataset.state = 'ready';
  if (state.heldout) showHeldout(0);
  else render();
}

main().catch((e) => {
  const st = $('status');
  st.textContent = `Failed to start: ${(e as Error).message}`;
  st.dataset.state = 'error';
});
