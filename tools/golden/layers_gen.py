#!/usr/bin/python3
"""PyTorch goldens of the layer catalog (convolution, pooling, crop/resize, combination, output layers
and the loss functions), written to test/fixtures/layers/<family>.json and read by
test/layers/golden.test.ts. Run by hand from the repository root with Debian's python3-torch:

    /usr/bin/python3 tools/golden/layers_gen.py

Each layer case holds the Strata layer (or graph) config, the inputs and parameters (drawn here, in
float64), the output, the output weights w, and the gradients of sum(output * w) with respect to every
input and parameter. Each loss case holds the inputs, the target, the options, the value and the
gradient with respect to the input. Values are written with full float64 precision.
"""
import json
import pathlib
import zlib

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = pathlib.Path(__file__).resolve().parent.parent.parent / 'test' / 'fixtures' / 'layers'
OUT.mkdir(parents=True, exist_ok=True)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def enc(t):
    return {'shape': list(t.shape), 'values': flat(t)}


def gen_for(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


def short(t):
    """Rounded to 3 decimals: exact in float64 either way, and shorter in the JSON."""
    return torch.round(t * 1000) / 1000


def draw(g, shape, kind='normal'):
    n = 1
    for d in shape:
        n *= d
    if kind == 'distinct':  # no ties: a shuffled, scaled arange
        return ((torch.randperm(n, generator=g).to(torch.float64) - (n - 1) / 2) * (4.0 / n)).reshape(shape)
    return short(torch.randn(shape, generator=g))


FAMILIES = {}


def layer_case(family, name, layer, inputs, params, fn, kind='normal', graph=None):
    """inputs: list of shapes with batch; params: {name: shape}; fn(xs, ps) -> torch output."""
    g = gen_for(f'{family}/{name}')
    xs = [draw(g, s, kind).requires_grad_() for s in inputs]
    ps = {k: short(draw(g, s) * 0.5).requires_grad_() for k, s in params.items()}
    y = fn(xs, ps)
    w = short(torch.rand(y.shape, generator=g) * 2 - 1)
    (y * w).sum().backward()
    c = {
        'name': name,
        'inputs': [enc(x) for x in xs],
        'params': {k: enc(p) for k, p in ps.items()},
        'output': enc(y),
        'weights': flat(w),
        'gradInputs': [enc(x.grad) if x.grad is not None else None for x in xs],
        'gradParams': {k: enc(p.grad) for k, p in ps.items()},
    }
    if graph:
        c['graph'] = graph
    else:
        c['layer'] = layer
    FAMILIES.setdefault(family, []).append(c)


def L(type_, **config):
    return {'type': type_, 'config': config}


def pad_pairs(x, pairs):
    """Per-axis [begin, end] pads, first spatial axis first, as F.pad wants them (last axis first)."""
    flat_pads = []
    for b, e in reversed(pairs):
        flat_pads += [b, e]
    return F.pad(x, flat_pads)


# ------------------------------------------------------------------ convolution
C = 'conv'
layer_case(C, 'conv2d stride2 pad1 bias', L('Conv2D', filters=4, kernelSize=3, stride=2, padding=1),
           [[2, 3, 5, 5]], {'weight': [4, 3, 3, 3], 'bias': [4]},
           lambda xs, p: F.conv2d(xs[0], p['weight'], p['bias'], stride=2, padding=1))
layer_case(C, 'conv2d per-side padding dilation groups',
           L('Conv2D', filters=6, kernelSize=[3, 2], padding=[[1, 0], [0, 2]], dilation=[2, 1], groups=2),
           [[1, 4, 6, 5]], {'weight': [6, 2, 3, 2], 'bias': [6]},
           lambda xs, p: F.conv2d(pad_pairs(xs[0], [[1, 0], [0, 2]]), p['weight'], p['bias'], dilation=(2, 1), groups=2))
layer_case(C, 'conv2d depthwise same', L('Conv2D', filters=6, kernelSize=3, padding='same', groups=3, bias=False),
           [[2, 3, 5, 4]], {'weight': [6, 1, 3, 3]},
           lambda xs, p: F.conv2d(xs[0], p['weight'], padding='same', groups=3))
layer_case(C, 'conv2d same stride2 odd', L('Conv2D', filters=2, kernelSize=3, stride=2, padding='same'),
           [[1, 2, 6, 7]], {'weight': [2, 2, 3, 3], 'bias': [2]},
           # SAME_UPPER: H 6 → out 3, total pad 1 (0 before, 1 after); W 7 → out 4, total 2 (1, 1)
           lambda xs, p: F.conv2d(pad_pairs(xs[0], [[0, 1], [1, 1]]), p['weight'], p['bias'], stride=2))
layer_case(C, 'conv1d dilation2 pad2', L('Conv1D', filters=2, kernelSize=3, dilation=2, padding=2),
           [[2, 3, 9]], {'weight': [2, 3, 3], 'bias': [2]},
           lambda xs, p: F.conv1d(xs[0], p['weight'], p['bias'], dilation=2, padding=2))
layer_case(C, 'conv3d stride pad', L('Conv3D', filters=3, kernelSize=[2, 3, 2], stride=[1, 2, 1], padding=1, bias=False),
           [[1, 2, 4, 5, 3]], {'weight': [3, 2, 2, 3, 2]},
           lambda xs, p: F.conv3d(xs[0], p['weight'], stride=(1, 2, 1), padding=1))
layer_case(C, 'conv3d groups dilation', L('Conv3D', filters=4, kernelSize=2, dilation=[2, 1, 1], groups=2),
           [[2, 2, 5, 3, 3]], {'weight': [4, 1, 2, 2, 2], 'bias': [4]},
           lambda xs, p: F.conv3d(xs[0], p['weight'], p['bias'], dilation=(2, 1, 1), groups=2))
layer_case(C, 'convTranspose2d stride2 pad1 outpad1 groups2',
           L('ConvTranspose2D', filters=6, kernelSize=3, stride=2, padding=1, outputPadding=1, groups=2),
           [[2, 4, 3, 4]], {'weight': [4, 3, 3, 3], 'bias': [6]},
           lambda xs, p: F.conv_transpose2d(xs[0], p['weight'], p['bias'], stride=2, padding=1, output_padding=1, groups=2))
layer_case(C, 'convTranspose2d dilation2',
           L('ConvTranspose2D', filters=2, kernelSize=[2, 3], dilation=2, padding=[1, 0], outputPadding=[1, 0]),
           [[1, 3, 4, 3]], {'weight': [3, 2, 2, 3], 'bias': [2]},
           lambda xs, p: F.conv_transpose2d(xs[0], p['weight'], p['bias'], dilation=2, padding=(1, 0), output_padding=(1, 0)))
layer_case(C, 'convTranspose3d stride2 outpad',
           L('ConvTranspose3D', filters=3, kernelSize=2, stride=2, outputPadding=[1, 0, 1], bias=False),
           [[1, 2, 2, 3, 2]], {'weight': [2, 3, 2, 2, 2]},
           lambda xs, p: F.conv_transpose3d(xs[0], p['weight'], stride=2, output_padding=(1, 0, 1)))
layer_case(C, 'convTranspose1d', L('ConvTranspose1D', filters=2, kernelSize=4, stride=3, padding=1),
           [[2, 3, 5]], {'weight': [3, 2, 4], 'bias': [2]},
           lambda xs, p: F.conv_transpose1d(xs[0], p['weight'], p['bias'], stride=3, padding=1))

# ------------------------------------------------------------------ pooling
P = 'pool'
layer_case(P, 'maxPool2d k3 s2 p1 ceil', L('MaxPool2D', kernelSize=3, stride=2, padding=1, ceilMode=True),
           [[2, 2, 6, 7]], {}, lambda xs, p: F.max_pool2d(xs[0], 3, 2, 1, ceil_mode=True), kind='distinct')
layer_case(P, 'maxPool2d dilation2', L('MaxPool2D', kernelSize=2, stride=1, dilation=2),
           [[1, 2, 5, 6]], {}, lambda xs, p: F.max_pool2d(xs[0], 2, 1, dilation=2), kind='distinct')
layer_case(P, 'maxPool3d k2', L('MaxPool3D', kernelSize=2), [[1, 2, 4, 4, 5]], {},
           lambda xs, p: F.max_pool3d(xs[0], 2), kind='distinct')
layer_case(P, 'maxPool1d k3 s2', L('MaxPool1D', kernelSize=3, stride=2), [[2, 2, 9]], {},
           lambda xs, p: F.max_pool1d(xs[0], 3, 2), kind='distinct')
layer_case(P, 'avgPool2d exclude pad ceil', L('AvgPool2D', kernelSize=3, stride=2, padding=1, ceilMode=True, countIncludePad=False),
           [[1, 2, 6, 5]], {}, lambda xs, p: F.avg_pool2d(xs[0], 3, 2, 1, ceil_mode=True, count_include_pad=False))
layer_case(P, 'avgPool2d include pad', L('AvgPool2D', kernelSize=[2, 3], stride=[2, 1], padding=[1, 1]),
           [[2, 1, 5, 4]], {}, lambda xs, p: F.avg_pool2d(xs[0], (2, 3), (2, 1), (1, 1)))
layer_case(P, 'avgPool3d', L('AvgPool3D', kernelSize=[2, 2, 3], stride=1, padding=[0, 1, 1]),
           [[1, 2, 3, 3, 4]], {}, lambda xs, p: F.avg_pool3d(xs[0], (2, 2, 3), 1, (0, 1, 1)))
layer_case(P, 'globalAvgPool2d', L('GlobalAvgPool2D'), [[2, 3, 4, 5]], {},
           lambda xs, p: F.adaptive_avg_pool2d(xs[0], 1))
layer_case(P, 'globalAvgPool3d flat', L('GlobalAvgPool3D', keepDims=False), [[2, 3, 2, 3, 2]], {},
           lambda xs, p: F.adaptive_avg_pool3d(xs[0], 1).flatten(1))
layer_case(P, 'globalMaxPool2d', L('GlobalMaxPool2D'), [[2, 3, 4, 5]], {},
           lambda xs, p: F.adaptive_max_pool2d(xs[0], 1), kind='distinct')
layer_case(P, 'globalMaxPool3d', L('GlobalMaxPool3D'), [[1, 2, 3, 2, 3]], {},
           lambda xs, p: F.adaptive_max_pool3d(xs[0], 1), kind='distinct')


def unpool_graph(dim, pool_cfg, unpool_cfg, with_ref, shape):
    t = {2: ('MaxPool2D', 'MaxUnpool2D'), 3: ('MaxPool3D', 'MaxUnpool3D')}[dim]
    layers = [
        {'type': t[0], 'name': 'pool', 'config': {**pool_cfg, 'returnIndices': True}, 'inputs': ['x']},
        {'type': 'ReLU', 'name': 'act', 'config': {}, 'inputs': ['pool']},
        {'type': t[1], 'name': 'unpool', 'config': unpool_cfg,
         'inputs': ['act', 'pool', 'x'] if with_ref else ['act', 'pool']},
    ]
    return {'type': 'Graph', 'name': 'g', 'inputs': {'x': shape[1:]}, 'output': 'unpool', 'layers': layers}


def unpool_fn(dim, k, s, size):
    mp = {2: F.max_pool2d, 3: F.max_pool3d}[dim]
    mu = {2: F.max_unpool2d, 3: F.max_unpool3d}[dim]
    return lambda xs, p: mu(torch.relu(mp(xs[0], k, s, return_indices=True)[0]),
                            mp(xs[0], k, s, return_indices=True)[1], k, s, output_size=size)


layer_case(P, 'maxUnpool2d graph reference size', None, [[2, 2, 5, 6]], {},
           unpool_fn(2, 2, 2, [5, 6]), kind='distinct',
           graph=unpool_graph(2, {'kernelSize': 2}, {}, True, [2, 2, 5, 6]))
layer_case(P, 'maxUnpool2d graph kernel size', None, [[1, 3, 4, 6]], {},
           unpool_fn(2, [2, 3], [2, 3], [4, 6]), kind='distinct',
           graph=unpool_graph(2, {'kernelSize': [2, 3]}, {'kernelSize': [2, 3]}, False, [1, 3, 4, 6]))
layer_case(P, 'maxUnpool3d graph outputSize', None, [[1, 2, 4, 5, 4]], {},
           unpool_fn(3, 2, 2, [4, 5, 4]), kind='distinct',
           graph=unpool_graph(3, {'kernelSize': 2}, {'outputSize': [4, 5, 4]}, False, [1, 2, 4, 5, 4]))

# ------------------------------------------------------------------ crop and resize
R = 'crop_resize'
layer_case(R, 'crop2d center odd', L('Crop2D', size=[3, 2]), [[2, 2, 6, 5]], {},
           lambda xs, p: xs[0][:, :, 1:4, 1:3])
layer_case(R, 'crop3d offset', L('Crop3D', size=[2, 2, 3], offset=[1, 0, 2]), [[1, 2, 4, 3, 5]], {},
           lambda xs, p: xs[0][:, :, 1:3, 0:2, 2:5])
layer_case(R, 'resize2d nearest asymmetric floor scale2', L('Resize2D', scale=2, mode='nearest', coordinateMode='asymmetric', nearestMode='floor'),
           [[1, 2, 3, 4]], {}, lambda xs, p: F.interpolate(xs[0], scale_factor=2, mode='nearest'))
layer_case(R, 'resize2d nearest asymmetric floor size', L('Resize2D', size=[7, 3], coordinateMode='asymmetric', nearestMode='floor'),
           [[2, 1, 4, 5]], {}, lambda xs, p: F.interpolate(xs[0], size=(7, 3), mode='nearest'))
layer_case(R, 'resize2d nearest-exact', L('Resize2D', size=[5, 7], coordinateMode='half_pixel', nearestMode='round_prefer_ceil'),
           [[1, 2, 3, 4]], {}, lambda xs, p: F.interpolate(xs[0], size=(5, 7), mode='nearest-exact'))
layer_case(R, 'resize2d bilinear pytorch_half_pixel up', L('Resize2D', size=[5, 7], mode='bilinear', coordinateMode='pytorch_half_pixel'),
           [[2, 2, 3, 4]], {}, lambda xs, p: F.interpolate(xs[0], size=(5, 7), mode='bilinear', align_corners=False))
layer_case(R, 'resize2d bilinear half_pixel down', L('Resize2D', size=[3, 2], mode='linear'),
           [[1, 2, 7, 5]], {}, lambda xs, p: F.interpolate(xs[0], size=(3, 2), mode='bilinear', align_corners=False))
layer_case(R, 'resize2d bilinear align_corners', L('Resize2D', scale=[2, 1.5], mode='linear', coordinateMode='align_corners'),
           [[1, 1, 3, 4]], {}, lambda xs, p: F.interpolate(xs[0], size=(6, 6), mode='bilinear', align_corners=True))
layer_case(R, 'resize3d trilinear', L('Resize3D', size=[3, 5, 2], mode='trilinear', coordinateMode='pytorch_half_pixel'),
           [[1, 2, 2, 3, 4]], {}, lambda xs, p: F.interpolate(xs[0], size=(3, 5, 2), mode='trilinear', align_corners=False))
layer_case(R, 'resize3d trilinear align_corners', L('Resize3D', scale=2, mode='linear', coordinateMode='align_corners'),
           [[1, 1, 2, 2, 3]], {}, lambda xs, p: F.interpolate(xs[0], scale_factor=2, mode='trilinear', align_corners=True))
layer_case(R, 'resize3d nearest', L('Resize3D', scale=[1, 2, 3], coordinateMode='asymmetric', nearestMode='floor'),
           [[1, 2, 2, 3, 2]], {}, lambda xs, p: F.interpolate(xs[0], scale_factor=(1, 2, 3), mode='nearest'))
layer_case(R, 'resize2d to reference', L('Resize2D', mode='linear', coordinateMode='align_corners'),
           [[1, 2, 3, 3], [1, 1, 5, 4]], {},
           lambda xs, p: F.interpolate(xs[0], size=(5, 4), mode='bilinear', align_corners=True) + 0 * xs[1].sum())
layer_case(R, 'crop2d to reference', L('Crop2D'), [[1, 2, 7, 6], [1, 3, 4, 4]], {},
           lambda xs, p: xs[0][:, :, 1:5, 1:5] + 0 * xs[1].sum())

# ------------------------------------------------------------------ combination
M = 'combine'
layer_case(M, 'add three', L('Add'), [[2, 3, 2, 2]] * 3, {}, lambda xs, p: xs[0] + xs[1] + xs[2])
layer_case(M, 'multiply', L('Multiply'), [[2, 4]] * 2, {}, lambda xs, p: xs[0] * xs[1])
layer_case(M, 'depth concatenation', L('DepthConcatenation'), [[2, 1, 2, 3], [2, 3, 2, 3]], {},
           lambda xs, p: torch.cat(xs, 1))
layer_case(M, 'concatenation last axis', L('Concatenation', axis=-1), [[1, 2, 3, 1], [1, 2, 3, 2], [1, 2, 3, 3]], {},
           lambda xs, p: torch.cat(xs, 3))

# ------------------------------------------------------------------ output layers and losses
LOSSES = []


def loss_case(name, fn, opts, x, target, torch_fn, layer=None, target_dtype='float64'):
    x = x.clone().requires_grad_()
    v = torch_fn(x, target)
    v.backward()
    c = {'name': name, 'fn': fn, 'options': opts, 'input': enc(x),
         'target': {**enc(target), 'dtype': target_dtype}, 'value': float(v), 'grad': flat(x.grad)}
    if layer:
        c['layer'] = layer
    LOSSES.append(c)


g = gen_for('losses')
logits = torch.randn(6, 4, generator=g) * 2
idx = torch.tensor([0, 3, 1, 1, 2, 3])
idx_ign = torch.tensor([0, -100, 1, 3, -100, 2])
cw = torch.tensor([1.0, 2.0, 0.5, 1.5])
soft = F.softmax(torch.randn(6, 4, generator=g), 1)
seg = torch.randn(2, 3, 2, 3, generator=g)
seg_idx = torch.randint(0, 3, (2, 2, 3), generator=g)
bl = torch.randn(5, 3, generator=g) * 2
by = (torch.rand(5, 3, generator=g) > 0.5).to(torch.float64)
bp = torch.rand(5, 3, generator=g) * 0.9 + 0.05
pred = torch.randn(5, 3, generator=g)
tgt = torch.randn(5, 3, generator=g)

loss_case('ce index', 'crossEntropy', {}, logits, idx, lambda x, t: F.cross_entropy(x, t), target_dtype='int32')
loss_case('ce index float target', 'crossEntropy', {}, logits, idx.to(torch.float64),
          lambda x, t: F.cross_entropy(x, t.long()))
loss_case('ce weights smoothing', 'crossEntropy', {'weight': flat(cw), 'labelSmoothing': 0.2}, logits, idx,
          lambda x, t: F.cross_entropy(x, t, weight=cw, label_smoothing=0.2), target_dtype='int32')
loss_case('ce ignore index weights smoothing', 'crossEntropy', {'weight': flat(cw), 'labelSmoothing': 0.1, 'ignoreIndex': -100},
          logits, idx_ign, lambda x, t: F.cross_entropy(x, t, weight=cw, label_smoothing=0.1, ignore_index=-100), target_dtype='int32')
loss_case('ce ignore index', 'crossEntropy', {'ignoreIndex': -100}, logits, idx_ign,
          lambda x, t: F.cross_entropy(x, t, ignore_index=-100), target_dtype='int32')
loss_case('ce probability target smoothing weights', 'crossEntropy', {'weight': flat(cw), 'labelSmoothing': 0.1}, logits, soft,
          lambda x, t: F.cross_entropy(x, t, weight=cw, label_smoothing=0.1))
loss_case('ce sum', 'crossEntropy', {'reduction': 'sum'}, logits, idx, lambda x, t: F.cross_entropy(x, t, reduction='sum'),
          target_dtype='int32')
loss_case('ce per pixel', 'crossEntropy', {}, seg, seg_idx, lambda x, t: F.cross_entropy(x, t), target_dtype='int32')
loss_case('ce from probabilities', 'crossEntropy', {'fromLogits': False}, soft, idx,
          lambda x, t: F.nll_loss(torch.log(x), t), target_dtype='int32')
loss_case('bce logits', 'binaryCrossEntropy', {}, bl, by, lambda x, t: F.binary_cross_entropy_with_logits(x, t))
loss_case('bce logits posWeight', 'binaryCrossEntropy', {'posWeight': [0.5, 2.0, 3.0]}, bl, by,
          lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor([0.5, 2.0, 3.0])))
loss_case('bce logits big', 'binaryCrossEntropy', {'reduction': 'sum'}, bl * 40, by,
          lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction='sum'))
loss_case('bce probabilities', 'binaryCrossEntropy', {'fromLogits': False}, bp, by,
          lambda x, t: F.binary_cross_entropy(x, t))
loss_case('mse', 'mse', {}, pred, tgt, lambda x, t: F.mse_loss(x, t))
loss_case('mae sum', 'mae', {'reduction': 'sum'}, pred, tgt, lambda x, t: F.l1_loss(x, t, reduction='sum'))
loss_case('huber delta 0.5', 'huber', {'delta': 0.5}, pred, tgt, lambda x, t: F.huber_loss(x, t, delta=0.5))
# Output layers: the loss from the layer's own forward output (computed from the logits).
loss_case('classification output', 'layer', {}, logits, idx, lambda x, t: F.cross_entropy(x, t, weight=cw, label_smoothing=0.1),
          layer=L('ClassificationOutput', classes=['a', 'b', 'c', 'd'], classWeights=flat(cw), labelSmoothing=0.1),
          target_dtype='int32')
loss_case('classification output huge logits', 'layer', {}, logits * 200, idx, lambda x, t: F.cross_entropy(x, t),
          layer=L('ClassificationOutput'), target_dtype='int32')
loss_case('binary output posWeight', 'layer', {}, bl, by,
          lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor(2.5)),
          layer=L('BinaryOutput', posWeight=2.5))
loss_case('regression output huber', 'layer', {}, pred, tgt, lambda x, t: F.huber_loss(x, t, delta=2.0),
          layer=L('RegressionOutput', loss='huber', delta=2.0))

# The output layers' forward outputs.
O = 'output'
layer_case(O, 'classification softmax', L('ClassificationOutput'), [[3, 5]], {}, lambda xs, p: F.softmax(xs[0], 1))
layer_case(O, 'classification per pixel', L('ClassificationOutput'), [[2, 3, 2, 2]], {}, lambda xs, p: F.softmax(xs[0], 1))
layer_case(O, 'binary sigmoid', L('BinaryOutput'), [[4, 1]], {}, lambda xs, p: torch.sigmoid(xs[0]))
layer_case(O, 'regression identity', L('RegressionOutput'), [[3, 2]], {}, lambda xs, p: xs[0] * 1)

for fam, cases in FAMILIES.items():
    p = OUT / f'{fam}.json'
    p.write_text(json.dumps({'torch': torch.__version__, 'cases': cases}) + '\n')
    print(f'{p.relative_to(OUT.parent.parent.parent)}: {len(cases)} cases, {p.stat().st_size} bytes')
p = OUT / 'losses.json'
p.write_text(json.dumps({'torch': torch.__version__, 'cases': LOSSES}) + '\n')
print(f'{p.relative_to(OUT.parent.parent.parent)}: {len(LOSSES)} cases, {p.stat().st_size} bytes')
