// Reading hostile ONNX files (test/fixtures/onnx/hostile, written by tools/golden/onnx_hostile.py):
// each is refused with a specific StrataError before anything is allocated from its declared sizes;
// external data only comes from the model's own folder (no '..', no absolute path, no symbolic link
// out — checked on the real path); bytes read from memory may not use external data at all.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { importOnnx, loadOnnx, readModel, setBackend } from '../../src/index.js';

setBackend('reference');

const DIR = join('test', 'fixtures', 'onnx', 'hostile');

const REFUSED: Array<[string, RegExp]> = [
  ['negative_dim.onnx', /tensor 'b' has a negative dimension \(-4\)/],
  ['raw_length_mismatch.onnx', /dims \[4,4\] of FLOAT need 64 bytes, raw_data has 16/],
  ['float_data_count.onnx', /dims \[4\] need 4 values, float_data has 3/],
  ['huge_dims.onnx', /has a dimension of 1099511627776, more than 2147483647 elements/],
  ['dims_product_overflow.onnx', /declares dims \[65536,65536,65536\]: more than 2147483647 elements/],
  ['external_beyond_file.onnx', /dims need 4000000000 bytes of FLOAT, external data gives 16/],
  ['external_offset_beyond.onnx', /asks for 16 bytes at offset 4096 of 'data.bin', which has 16/],
  ['external_bad_offset.onnx', /external data offset must be a non-negative integer, got '-8'/],
  ['external_dotdot.onnx', /location '\.\.\/pytorch\/lenet\.onnx' contains '\.\.'/],
  ['external_dotdot_hidden.onnx', /location 'sub\/\.\.\/\.\.\/pytorch\/lenet\.onnx' contains '\.\.'/],
  ['external_absolute.onnx', /location '\/etc\/passwd' is an absolute path/],
  ['external_missing.onnx', /external data file 'no_such\.bin' does not exist next to the model/],
  ['constant_length.onnx', /tensor 'c': dims \[8\] of FLOAT need 32 bytes, raw_data has 16/],
  ['sparse_initializer.onnx', /sparse initializers \(sv\) are not supported/],
  ['truncated.onnx', /is not a valid ONNX ModelProto/],
  ['not_onnx.onnx', /not_onnx\.onnx (is not a valid ONNX ModelProto|has no graph)/],
  ['undefined_input.onnx', /uses 'ghost', which no earlier node, input or initializer defines/],
  [
    'unsupported_ops.onnx',
    /uses 3 unsupported operator node\(s\): NonZero \(node 'find'\); TopK \(node 'best'\)/,
  ],
  ['prototype_ops.onnx', /constructor \(node 'a'\); __proto__ \(node 'b'\); toString \(node 'y'\)/],
  [
    'huge_input.onnx',
    /input 'x': shape \[1,100000,100000\] has 10000000000 elements, more than the 268435456/,
  ],
  ['constant_of_shape_huge.onnx', /ConstantOfShape: shape \[1000000,1000000\] has 1000000000000 elements/],
];

function refused(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: Error) => {
    assert.equal(e.name, 'StrataError', `${e.name}: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

describe('ONNX safety: hostile files are refused with specific errors', () => {
  test('the harness: a valid file and valid external data load', () => {
    assert.equal(loadOnnx(join(DIR, 'valid.onnx')).model.layers.length, 2);
    assert.equal(loadOnnx(join(DIR, 'external_ok.onnx')).model.layers.length, 2);
  });

  for (const [file, re] of REFUSED) test(file, () => refused(() => loadOnnx(join(DIR, file)), re));

  test('external data through a symbolic link out of the folder is refused; one inside is followed', () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-onnx-'));
    try {
      const model = join(root, 'model');
      mkdirSync(model);
      writeFileSync(join(root, 'outside.bin'), Buffer.from(new Float32Array([9, 9, 9, 9]).buffer));
      copyFileSync(join(DIR, 'external_symlink.onnx'), join(model, 'model.onnx'));
      symlinkSync(join('..', 'outside.bin'), join(model, 'link.bin'));
      refused(
        () => loadOnnx(join(model, 'model.onnx')),
        /'link\.bin' resolves to .*outside\.bin, outside the model's folder/,
      );
      // A link to an absolute path outside is refused the same way.
      rmSync(join(model, 'link.bin'));
      symlinkSync(join(root, 'outside.bin'), join(model, 'link.bin'));
      refused(() => loadOnnx(join(model, 'model.onnx')), /outside the model's folder/);
      // A link that stays inside the folder is fine.
      rmSync(join(model, 'link.bin'));
      copyFileSync(join(DIR, 'data.bin'), join(model, 'data.bin'));
      symlinkSync('data.bin', join(model, 'link.bin'));
      assert.equal(loadOnnx(join(model, 'model.onnx')).model.layers.length, 2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a model read from bytes may not use external data', () => {
    const bytes = readFileSync(join(DIR, 'external_ok.onnx'));
    refused(
      () => importOnnx(new Uint8Array(bytes)),
      /external data is refused when a model is read from bytes/,
    );
  });

  test('dims are checked before any allocation: a 4 GB tensor in a 153-byte file fails fast', () => {
    const t = process.hrtime.bigint();
    refused(() => readModel(join(DIR, 'external_beyond_file.onnx')), /4000000000 bytes/);
    refused(() => readModel(join(DIR, 'huge_dims.onnx')), /more than 2147483647 elements/);
    assert.ok(Number(process.hrtime.bigint() - t) / 1e6 < 500, 'no large allocation happened');
  });
});
