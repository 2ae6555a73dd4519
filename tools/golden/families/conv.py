"""test/opdb/conv.ts in torch. A case's attrs are the options of the public Strata function (a bias,
when present, is the third input); the backward ops get their normalized attributes."""
import torch
import torch.nn.functional as F


def per_axis(v, r, default):
    v = default if v is None else v
    return [v] * r if isinstance(v, int) else list(v)


def pads_of(padding, S, K, stride, dilation):
    """Strata's padding option as [(begin, end)] per axis; 'same' is ONNX SAME_UPPER."""
    r = len(S)
    if padding is None or padding == 'valid':
        return [(0, 0)] * r
    if padding == 'same':
        res = []
        for i in range(r):
            o = -(-S[i] // stride[i])
            t = max((o - 1) * stride[i] + dilation[i] * (K[i] - 1) + 1 - S[i], 0)
            res.append((t // 2, t - t // 2))
        return res
    if isinstance(padding, int):
        return [(padding, padding)] * r
    if isinstance(padding[0], list):
        return [tuple(p) for p in padding]
    return [(p, p) for p in padding]


def f_pad(x, pads):
    """Zero-pads the trailing len(pads) axes by [(begin, end)] (F.pad lists the last axis first)."""
    flat = []
    for b, e in reversed(pads):
        flat += [b, e]
    return F.pad(x, flat)


def conv_nd(xs, a):
    x, w = xs[0], xs[1]
    b = xs[2] if len(xs) > 2 else None
    r = w.dim() - 2
    stride = per_axis(a.get('stride'), r, 1)
    dilation = per_axis(a.get('dilation'), r, 1)
    pads = pads_of(a.get('padding'), list(x.shape[-r:]), list(w.shape[2:]), stride, dilation)
    fn = [F.conv1d, F.conv2d, F.conv3d][r - 1]
    y = fn(f_pad(x, pads), w, b, stride=stride, dilation=dilation, groups=a.get('groups', 1))
    return F.relu(y) if a.get('activation') == 'relu' else y


def conv_transpose_nd(xs, a):
    x, w = xs[0], xs[1]
    b = xs[2] if len(xs) > 2 else None
    r = w.dim() - 2
    fn = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][r - 1]
    return fn(x, w, b, stride=a.get('stride', 1), padding=a.get('padding', 0),
              output_padding=a.get('outputPadding', 0), groups=a.get('groups', 1), dilation=a.get('dilation', 1))


def conv_raw(xs, a):
    x, w = xs
    r = w.dim() - 2
    fn = [F.conv1d, F.conv2d, F.conv3d][r - 1]
    return fn(f_pad(x, list(zip(a['padBegin'], a['padEnd']))), w, stride=a['stride'], dilation=a['dilation'],
              groups=a['groups'])


def conv_backward_data(xs, a):
    """The gradient of conv with respect to its input, by torch's autograd (differentiable again)."""
    dy, w = xs
    x = torch.zeros(a['inputShape'], dtype=dy.dtype, requires_grad=True)
    y = conv_raw([x, w], a)
    (g,) = torch.autograd.grad(y, x, dy, create_graph=True)
    return g


def conv_backward_filter(xs, a):
    x, dy = xs
    w = torch.zeros(a['filterShape'], dtype=x.dtype, requires_grad=True)
    y = conv_raw([x, w], a)
    (g,) = torch.autograd.grad(y, w, dy, create_graph=True)
    return g


OPS = {
    'conv': conv_raw,
    'conv1d': conv_nd,
    'conv2d': conv_nd,
    'conv3d': conv_nd,
    'convTranspose1d': conv_transpose_nd,
    'convTranspose2d': conv_transpose_nd,
    'convTranspose3d': conv_transpose_nd,
    'convBackwardData': conv_backward_data,
    'convBackwardFilter': conv_backward_filter,
}
