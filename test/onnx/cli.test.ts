// `strata import model.onnx --out DIR` and `strata export <model> --onnx out.onnx`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { decodeModel, fromTypedArray, loadModel, setBackend } from '../../src/index.js';
import { assertClose, ortRun } from './_ort.js';

setBackend('reference');

function sink() {
  let text = '';
  return {
    stream: {
      write: (s: string) => {
        text += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream,
    text: () => text,
  };
}

test('strata import, then strata export: the files agree with PyTorch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-onnx-cli-'));
  try {
    const fx = JSON.parse(readFileSync(join('test', 'fixtures', 'onnx', 'pytorch', 'unet.json'), 'utf8'));
    const out = sink();
    const err = sink();
    const io = { stdout: out.stream, stderr: err.stream };
    const model = join(dir, 'unet');
    assert.equal(
      runCli(['import', join('test', 'fixtures', 'onnx', 'pytorch', 'unet.onnx'), '--out', model], io),
      0,
      err.text(),
    );
    assert.match(out.text(), /nodes became: Conv2D ×4/);
    assert.ok(existsSync(join(model, 'model.json')) && existsSync(join(model, 'model.safetensors')));
    const loaded = loadModel(model);
    assert.equal(loaded.metadata?.source, 'onnx');
    const x = fromTypedArray(Float32Array.from(fx.input.data), fx.input.shape);
    assertClose(loaded.model.predict(x).data(), fx.output.data, 'imported folder vs PyTorch');

    const onnx = join(dir, 'unet.onnx');
    assert.equal(
      runCli(['export', model, '--onnx', onnx, '--opset', '17', '--batch', 'B'], io),
      0,
      err.text(),
    );
    assert.match(out.text(), /wrote .*unet\.onnx: 10 layers/);
    const m = decodeModel(readFileSync(onnx));
    assert.equal(m.opset, 17);
    assert.equal(m.inputs[0].shape?.[0], 'B');
    const r = await ortRun(onnx, {
      input: { shape: fx.input.shape, data: Float32Array.from(fx.input.data) },
    });
    assertClose(r.data, fx.output.data, 'exported file in onnxruntime vs PyTorch');

    assert.equal(runCli(['export', model, '--onnx', onnx, '--opset', '9'], io), 1);
    assert.match(err.text(), /opset must be an integer from 13 to 21, got 9/);
    assert.equal(
      runCli(
        ['import', join('test', 'fixtures', 'onnx', 'hostile', 'negative_dim.onnx'), '--out', join(dir, 'x')],
        io,
      ),
      1,
    );
    assert.match(err.text(), /negative dimension/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
