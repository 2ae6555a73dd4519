// Helpers of the ONNX tests: onnxruntime-node sessions and a tolerance check. Files starting with `_`
// hold no tests.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

/** Runs an ONNX model (bytes or path) on float32 inputs with onnxruntime; returns the first output. */
export async function ortRun(
  model: Uint8Array | string,
  feeds: Record<string, { shape: number[]; data: Float32Array }>,
): Promise<{
  shape: number[];
  data: Float32Array;
  names: { inputs: readonly string[]; outputs: readonly string[] };
}> {
  const session = await ort.InferenceSession.create(model as Uint8Array, {
    graphOptimizationLevel: 'disabled',
  });
  const inputs: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', v.data, v.shape);
  const r = await session.run(inputs);
  const y = r[session.outputNames[0]];
  const out = {
    shape: [...y.dims],
    data: y.data as Float32Array,
    names: { inputs: session.inputNames, outputs: session.outputNames },
  };
  await session.release();
  return out;
}

/** Every element within atol + rtol·|expected|; the message names the worst element. */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  what: string,
  rtol = 1e-4,
  atol = 1e-5,
): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  assert.ok(worst < 0, `${what}: element ${worst} is ${got[worst]}, expected ${want[worst]}`);
}
