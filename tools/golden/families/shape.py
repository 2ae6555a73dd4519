"""test/opdb/shape.ts in torch."""
import torch
import torch.nn.functional as F
from _common import slices


def pad_nd(x, before, after, mode, value):
    """Pads every axis. Reflect and edge pad one axis at a time (they are separable), through
    F.pad on a (1, N, d) view, the layout torch's 1-D reflect/replicate padding takes."""
    if mode == 'constant':
        pads = []
        for b, e in zip(reversed(before), reversed(after)):
            pads += [b, e]
        return F.pad(x, pads, mode='constant', value=value)
    tmode = {'reflect': 'reflect', 'edge': 'replicate'}[mode]
    for ax in range(x.dim()):
        b, e = before[ax], after[ax]
        if b == 0 and e == 0:
            continue
        t = x.movedim(ax, -1)
        lead = t.shape[:-1]
        y = F.pad(t.reshape(1, -1, t.shape[-1]), (b, e), mode=tmode)
        x = y.reshape(*lead, y.shape[-1]).movedim(-1, ax)
    return x


def pad(xs, a):
    x = xs[0]
    pads = a['pads']
    before = [pads[i][0] if i < len(pads) else 0 for i in range(x.dim())]
    after = [pads[i][1] if i < len(pads) else 0 for i in range(x.dim())]
    return pad_nd(x, before, after, a['mode'], a['value'])


def pad_backward(xs, a):
    """The adjoint of pad, by torch's autograd (with a graph, so it is differentiable again)."""
    dy = xs[0]
    x = torch.zeros(a['shape'], dtype=dy.dtype, requires_grad=True)
    y = pad_nd(x, a['before'], a['after'], a['mode'], a['value'])
    (g,) = torch.autograd.grad(y, x, dy, create_graph=True)
    return g


def slice_scatter(xs, a):
    out = torch.zeros(a['shape'], dtype=xs[0].dtype)
    out[slices(out, a['begin'], a['end'], a['step'])] = xs[0]
    return out


def concat(xs, a):
    return torch.cat([xs[0], xs[0]] if a.get('twice') else xs, dim=a['axis'])


def flip(xs, a):
    x, axes = xs[0], a['axes']
    dims = list(range(x.dim())) if axes is None else [axes] if isinstance(axes, int) else axes
    return torch.flip(x, dims)


OPS = {
    'reshape': lambda xs, a: xs[0].reshape(a['shape']),
    'permute': lambda xs, a: xs[0].permute(a['perm']),
    'slice': lambda xs, a: xs[0][slices(xs[0], a['begin'], a.get('end'), a.get('step'))],
    'sliceScatter': slice_scatter,
    'concat': concat,
    'pad': pad,
    'padBackward': pad_backward,
    'flip': flip,
    'broadcastTo': lambda xs, a: torch.broadcast_to(xs[0], a['shape']),
}
