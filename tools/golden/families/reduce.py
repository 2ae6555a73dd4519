"""test/opdb/reduce.ts in torch. max/min are amax/amin: ties share the gradient evenly."""
import torch
from _common import dims_of


def reduction(fn):
    def f(xs, a):
        x = xs[0]
        if x.dim() == 0:
            return fn(x)
        return fn(x, dim=dims_of(x, a.get('axes')), keepdim=a.get('keepDims', False))

    return f


def arg(fn):
    return lambda xs, a: fn(xs[0], dim=a.get('axis', -1), keepdim=a.get('keepDims', False))


OPS = {
    'sum': reduction(torch.sum),
    'max': reduction(torch.amax),
    'min': reduction(torch.amin),
    'argmax': arg(torch.argmax),
    'argmin': arg(torch.argmin),
}
