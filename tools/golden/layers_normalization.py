#!/usr/bin/env python3
"""PyTorch goldens for the normalization layers (src/layers/normalization.ts).

Writes test/fixtures/layers/normalization.json: for each case the layer's Strata config, its input,
parameter and buffer values, the output weights w, and torch's forward output, the gradients of
sum(output * w) with respect to the input and each parameter, and the buffers after the call, all in
float64. Inputs are drawn here from a seeded generator, so the fixture is self-contained.

    /usr/bin/python3 tools/golden/layers_normalization.py      # from the repository root

Needs Debian's python3-torch and python3-numpy. test/layers/normalization.test.ts reads the fixture.
"""
import json
import os

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
OUT = os.path.join('test', 'fixtures', 'layers', 'normalization.json')

# Strata parameter / buffer name for each torch name.
NAMES = {'weight': 'weight', 'bias': 'bias', 'running_mean': 'runningMean', 'running_var': 'runningVar'}


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(name, module, strata, shape, training, seed, randomize_buffers=False):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5 + (1.0 if p is getattr(module, 'weight', None) else 0.0))
        if randomize_buffers:
            module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=g))
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=g) + 0.5)
    state = {NAMES[k]: {'shape': list(v.shape), 'data': flat(v)} for k, v in module.state_dict().items() if k in NAMES}
    x = (torch.randn(shape, generator=g) * 1.5 + 0.3).requires_grad_(True)
    module.train(training)
    y = module(x)
    w = torch.randn(y.shape, generator=g)
    (y * w).sum().backward()
    grads = {'x': flat(x.grad)}
    for k, p in module.named_parameters():
        grads[NAMES[k]] = flat(p.grad)
    after = {NAMES[k]: flat(v) for k, v in module.state_dict().items() if k in ('running_mean', 'running_var')}
    return {
        'name': name,
        'layer': strata,
        'training': training,
        'shape': list(shape),
        'x': flat(x),
        'params': state,
        'w': flat(w),
        'y': flat(y),
        'grads': grads,
        'buffersAfter': after,
    }


def bn(**kw):
    return {'type': 'BatchNormalization', 'config': kw}


cases = [
    case('batchnorm [C] training', nn.BatchNorm1d(3), bn(), (5, 3), True, 1),
    case('batchnorm [C,T] training', nn.BatchNorm1d(3), bn(), (2, 3, 5), True, 2),
    case('batchnorm [C,H,W] training', nn.BatchNorm2d(3), bn(), (2, 3, 3, 4), True, 3),
    case(
        'batchnorm [C,H,W] training momentum 0.3 eps 1e-3',
        nn.BatchNorm2d(3, momentum=0.3, eps=1e-3),
        bn(momentum=0.3, epsilon=1e-3),
        (3, 3, 2, 3),
        True,
        4,
        randomize_buffers=True,
    ),
    case('batchnorm [C,H,W] inference', nn.BatchNorm2d(3), bn(), (2, 3, 3, 4), False, 5, randomize_buffers=True),
    case('batchnorm [C,D,H,W] training', nn.BatchNorm3d(2), bn(), (2, 2, 2, 3, 3), True, 6),
    case(
        'batchnorm without affine, inference',
        nn.BatchNorm2d(2, affine=False),
        bn(affine=False),
        (2, 2, 3, 3),
        False,
        7,
        randomize_buffers=True,
    ),
    case(
        'layernorm over the last two axes',
        nn.LayerNorm([4, 5]),
        {'type': 'LayerNormalization', 'config': {'axes': [-2, -1]}},
        (2, 3, 4, 5),
        True,
        8,
    ),
    case(
        'layernorm over every axis, eps 1e-3',
        nn.LayerNorm([3, 4], eps=1e-3),
        {'type': 'LayerNormalization', 'config': {'epsilon': 1e-3}},
        (3, 3, 4),
        False,
        9,
    ),
    case(
        'groupnorm 2 groups [C,H,W]',
        nn.GroupNorm(2, 4),
        {'type': 'GroupNormalization', 'config': {'groups': 2}},
        (2, 4, 3, 3),
        True,
        10,
    ),
    case(
        'groupnorm 3 groups [C,T]',
        nn.GroupNorm(3, 6),
        {'type': 'GroupNormalization', 'config': {'groups': 3}},
        (2, 6, 5),
        True,
        11,
    ),
    case(
        'instancenorm [C,H,W]',
        nn.InstanceNorm2d(3, affine=True),
        {'type': 'InstanceNormalization', 'config': {}},
        (2, 3, 4, 4),
        True,
        12,
    ),
    case(
        'instancenorm [C,D,H,W]',
        nn.InstanceNorm3d(2, affine=True),
        {'type': 'InstanceNormalization', 'config': {}},
        (2, 2, 2, 3, 3),
        False,
        13,
    ),
    case(
        'local response size 3',
        nn.LocalResponseNorm(3, alpha=0.1, beta=0.75, k=1.0),
        {'type': 'LocalResponseNormalization', 'config': {'size': 3, 'alpha': 0.1, 'beta': 0.75, 'k': 1}},
        (2, 5, 3, 3),
        True,
        14,
    ),
    case(
        'local response size 5 [C,T] k 2',
        nn.LocalResponseNorm(5, alpha=0.01, beta=0.5, k=2.0),
        {'type': 'CrossChannelNormalization', 'config': {'size': 5, 'alpha': 0.01, 'beta': 0.5, 'k': 2}},
        (2, 7, 4),
        True,
        15,
    ),
]

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    f.write('{\n  "torch": ' + json.dumps(torch.__version__) + ',\n  "cases": [\n')
    f.write(',\n'.join('    ' + json.dumps(c) for c in cases))
    f.write('\n  ]\n}\n')
print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(cases)} cases)')
