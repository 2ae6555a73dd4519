"""test/opdb/elementwise.ts in torch."""
import math

import torch
import torch.nn.functional as F
from _common import binary, scalar, unary


def cast(xs, a):
    x = xs[0]
    if a.get('to') == 'int32':
        return (x * a.get('scale', 1)).to(torch.int32)  # truncates toward zero, as Strata's cast
    if a.get('from') == 'int32':
        return x.to(xs[1].dtype) + xs[1]
    if a.get('roundTrip') == 'float32':
        return x.to(torch.float32).to(x.dtype)
    return x.to(x.dtype)


def compare(fn):
    return binary(lambda a, b: fn(a, b).to(torch.float64))


OPS = {
    'neg': unary(torch.neg),
    'exp': unary(torch.exp),
    'log': unary(torch.log),
    'sqrt': unary(torch.sqrt),
    'abs': unary(torch.abs),
    # Strata's sign defines no gradient; torch's is zero everywhere: compare the values only.
    'sign': lambda xs, a: torch.sign(xs[0]).detach(),
    'relu': unary(torch.relu),
    'sigmoid': unary(torch.sigmoid),
    'softplus': unary(F.softplus),
    'tanh': unary(torch.tanh),
    'erf': unary(torch.erf),
    'leakyRelu': lambda xs, a: F.leaky_relu(xs[0], a.get('alpha', 0.01)),
    'elu': lambda xs, a: F.elu(xs[0], a.get('alpha', 1.0)),
    'clamp': lambda xs, a: torch.clamp(xs[0], min=a.get('min', -math.inf), max=a.get('max', math.inf)),
    'cast': cast,
    'add': binary(torch.add),
    'sub': binary(torch.sub),
    'mul': binary(torch.mul),
    'div': binary(torch.div),
    'pow': binary(torch.pow),
    'maximum': binary(torch.maximum),
    'minimum': binary(torch.minimum),
    'equal': compare(torch.eq),
    'notEqual': compare(torch.ne),
    'less': compare(torch.lt),
    'lessEqual': compare(torch.le),
    'greater': compare(torch.gt),
    'greaterEqual': compare(torch.ge),
    'where': lambda xs, a: torch.where(xs[0] != 0, xs[1], xs[2]),
    # relu's gradient dy·[x > 0]: aten's threshold_backward (what relu's autograd runs)
    'reluBackward': lambda xs, a: torch.ops.aten.threshold_backward(xs[0], xs[1], 0),
    'reluBackward/of relu': lambda xs, a: torch.relu(xs[0]) * xs[1],
    # a + alpha·b: torch.add with alpha
    'addScaled': lambda xs, a: torch.add(xs[0], xs[1], alpha=a['alpha']),
}
