#!/usr/bin/python3
"""Hostile ONNX files for the importer's safety tests (test/onnx/safety.test.ts).

Writes test/fixtures/onnx/hostile/*.onnx (and the small data files some of them point to). The protobuf
bytes are written by hand here (a dozen lines of wire format), independently of Strata's writer and of
the `onnx` Python package, so the files can say things a careful writer never would: negative dims,
raw data of the wrong length, sizes far beyond the file, external data outside the model's folder.
Each file is a one-node model (Relu of an initializer-fed Add) broken in one way. Run from the
repository root:

    /usr/bin/python3 tools/golden/onnx_hostile.py
"""
import os
import struct

OUT = os.path.join('test', 'fixtures', 'onnx', 'hostile')

FLOAT, INT64 = 1, 7


def varint(n):
    if n < 0:
        n += 1 << 64  # int64 fields: two's complement, ten bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint((field << 3) | wire)


def vint(field, n):
    return key(field, 0) + varint(n)


def ld(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, 2) + varint(len(payload)) + payload


def tensor(name, dims, dtype=FLOAT, raw=None, floats=None, external=None, location=0):
    b = b''.join(vint(1, d) for d in dims) + vint(2, dtype) + ld(8, name)
    if floats is not None:
        b += ld(4, struct.pack(f'<{len(floats)}f', *floats))
    if raw is not None:
        b += ld(9, raw)
    for k, v in (external or {}).items():
        b += ld(13, ld(1, k) + ld(2, v))
    if location:
        b += vint(14, location)
    return b


def value_info(name, dims):
    shape = b''.join(ld(1, ld(2, d) if isinstance(d, str) else vint(1, d)) for d in dims)
    return ld(1, name) + ld(2, ld(1, vint(1, FLOAT) + ld(2, shape)))


def node(op, inputs, outputs, name='', domain='', attrs=b''):
    b = b''.join(ld(1, i) for i in inputs) + b''.join(ld(2, o) for o in outputs)
    return b + ld(3, name or outputs[0]) + ld(4, op) + attrs + (ld(7, domain) if domain else b'')


def model(nodes, inits, inputs=(('x', ['N', 4]),), outputs=(('y', ['N', 4]),), opset=17, extra=b''):
    g = b''.join(ld(1, n) for n in nodes) + ld(2, 'hostile')
    g += b''.join(ld(5, t) for t in inits)
    g += b''.join(ld(11, value_info(n, d)) for n, d in inputs)
    g += b''.join(ld(12, value_info(n, d)) for n, d in outputs)
    g += extra
    return vint(1, 8) + ld(2, 'onnx_hostile.py') + ld(7, g) + ld(8, ld(1, '') + vint(2, opset))


def add_relu(bias):
    """y = Relu(x + bias): the shape every broken initializer is tried in."""
    return model([node('Add', ['x', 'b'], ['s']), node('Relu', ['s'], ['y'])], [bias])


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
    print(f'{name}: {len(data)} bytes')


def main():
    os.makedirs(OUT, exist_ok=True)
    four = struct.pack('<4f', 1, 2, 3, 4)
    # A valid model, so the tests know the harness works (and for the symbolic-link case).
    write('valid.onnx', add_relu(tensor('b', [4], raw=four)))
    write('data.bin', four)
    # Dims and data lengths (checked before anything is allocated).
    write('negative_dim.onnx', add_relu(tensor('b', [-4], raw=four)))
    write('raw_length_mismatch.onnx', add_relu(tensor('b', [4, 4], raw=four)))
    write('float_data_count.onnx', add_relu(tensor('b', [4], floats=[1.0, 2.0, 3.0])))
    write('huge_dims.onnx', add_relu(tensor('b', [1 << 40, 1 << 40], raw=four)))
    write('dims_product_overflow.onnx', add_relu(tensor('b', [65536, 65536, 65536], raw=four)))
    # Declared sizes far beyond the file: 1e9 floats (4 GB) said to be in a 16-byte file.
    write('external_beyond_file.onnx', add_relu(tensor('b', [1000000000], external={'location': 'data.bin'}, location=1)))
    write('external_offset_beyond.onnx',
          add_relu(tensor('b', [4], external={'location': 'data.bin', 'offset': '4096', 'length': '16'}, location=1)))
    write('external_bad_offset.onnx',
          add_relu(tensor('b', [4], external={'location': 'data.bin', 'offset': '-8'}, location=1)))
    # External data outside the model's folder.
    write('external_dotdot.onnx', add_relu(tensor('b', [4], external={'location': '../pytorch/lenet.onnx'}, location=1)))
    write('external_dotdot_hidden.onnx',
          add_relu(tensor('b', [4], external={'location': 'sub/../../pytorch/lenet.onnx'}, location=1)))
    write('external_absolute.onnx', add_relu(tensor('b', [4], external={'location': '/etc/passwd'}, location=1)))
    write('external_missing.onnx', add_relu(tensor('b', [4], external={'location': 'no_such.bin'}, location=1)))
    # Resolved at test time to a symbolic link the test creates next to a copy of this file.
    write('external_symlink.onnx', add_relu(tensor('b', [4], external={'location': 'link.bin'}, location=1)))
    write('external_ok.onnx', add_relu(tensor('b', [4], external={'location': 'data.bin'}, location=1)))
    # A Constant node whose tensor attribute lies about its length.
    bad_const = ld(5, ld(1, 'value') + ld(5, tensor('c', [8], raw=four)) + vint(20, 4))
    write('constant_length.onnx',
          model([node('Constant', [], ['c'], attrs=bad_const), node('Add', ['x', 'c'], ['y'])], []))
    # Operators Strata does not have: one error must list all of them with their nodes.
    write('unsupported_ops.onnx', model([
        node('NonZero', ['x'], ['nz'], name='find'),
        node('Relu', ['x'], ['r']),
        node('TopK', ['r', 'k'], ['top', 'idx'], name='best'),
        node('FusedConv', ['r'], ['fc'], name='fused', domain='com.microsoft'),
        node('Add', ['r', 'r'], ['y']),
    ], [tensor('k', [1], dtype=INT64, raw=struct.pack('<q', 2))]))
    # Op names that are properties of every JavaScript object: still just unknown operators.
    write('prototype_ops.onnx', model([
        node('constructor', ['x'], ['a']),
        node('__proto__', ['a'], ['b']),
        node('toString', ['b'], ['y']),
    ], []))
    # Not ONNX at all, and a model cut short.
    write('not_onnx.onnx', b'#!/bin/sh\necho this is not a model\n')
    write('truncated.onnx', add_relu(tensor('b', [4], raw=four))[:-20])
    # A sparse initializer (refused) and a node that names an undefined input.
    sparse = ld(15, ld(1, tensor('sv', [1], raw=four[:4])) + ld(2, tensor('si', [1], dtype=INT64, raw=struct.pack('<q', 0))) + vint(3, 4))
    write('sparse_initializer.onnx', model([node('Relu', ['x'], ['y'])], [], extra=sparse))
    write('undefined_input.onnx', model([node('Add', ['x', 'ghost'], ['y'])], []))
    # Shapes that would make the importer allocate far more than the file holds.
    write('huge_input.onnx', model([node('Relu', ['x'], ['y'])], [], inputs=(('x', ['N', 100000, 100000]),)))
    big = tensor('shape', [2], dtype=INT64, raw=struct.pack('<2q', 1000000, 1000000))
    write('constant_of_shape_huge.onnx',
          model([node('ConstantOfShape', ['shape'], ['z']), node('Add', ['x', 'z'], ['y'])], [big]))


if __name__ == '__main__':
    main()
