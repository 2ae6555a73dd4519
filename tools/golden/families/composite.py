"""test/opdb/composite.ts in torch."""
import torch
from _common import dims_of, scalar


def mean(xs, a):
    x = xs[0]
    if x.dim() == 0:
        return x.mean()
    return torch.mean(x, dim=dims_of(x, a['axes']), keepdim=a['keepDims'])


def variance(xs, a):
    x = xs[0]
    unbiased = {0: False, 1: True}[a['correction']]
    if x.dim() == 0:
        return torch.var(x, unbiased=unbiased)
    return torch.var(x, dim=dims_of(x, a['axes']), unbiased=unbiased, keepdim=a['keepDims'])


def squeeze(xs, a):
    x = xs[0]
    if a['axes'] is None:
        return x.squeeze()
    dims = sorted({d % x.dim() for d in dims_of(x, a['axes'])}, reverse=True)
    for d in dims:
        x = x.squeeze(d)
    return x


def transpose(xs, a):
    x = xs[0]
    if a['axes'] is None:
        return x if x.dim() < 2 else x.transpose(-2, -1)
    return x.transpose(*a['axes'])


def flatten(xs, a):
    r = a['range']
    if r is None:
        return torch.flatten(xs[0])
    return torch.flatten(xs[0], r[0], r[1] if len(r) > 1 else -1)


def sum_to(xs, a):
    x, shape = xs[0], a['shape']
    return x.sum() if len(shape) == 0 else x.sum_to_size(shape)


def where_scalars(xs, a):
    c = xs[0] != 0
    like = xs[1] if len(xs) > 1 else xs[0]
    left = scalar(a['left'], like) if 'left' in a else xs[1]
    right = scalar(a['right'], like) if 'right' in a else xs[1]
    return torch.where(c, left, right)


OPS = {
    'mean': mean,
    'variance': variance,
    'stack': lambda xs, a: torch.stack(xs, dim=a['axis']),
    'squeeze': squeeze,
    'unsqueeze': lambda xs, a: torch.unsqueeze(xs[0], a['axis']),
    'transpose': transpose,
    'flatten': flatten,
    'sumTo': sum_to,
    'where.scalars': where_scalars,
}
