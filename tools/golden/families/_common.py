"""Helpers shared by the golden families (files starting with '_' are not families)."""
import torch


def scalar(v, like):
    """A 0-d tensor of a number, of the dtype of `like`."""
    return torch.tensor(v, dtype=like.dtype)


def binary(fn):
    """A two-operand op whose case may give one operand as a number: attrs {'left': v} or {'right': v}."""

    def f(xs, a):
        if 'left' in a:
            return fn(scalar(a['left'], xs[0]), xs[0])
        if 'right' in a:
            return fn(xs[0], scalar(a['right'], xs[0]))
        return fn(xs[0], xs[1])

    return f


def unary(fn):
    return lambda xs, a: fn(xs[0])


def dims_of(x, axes):
    """Strata's axes attribute (None: all, an int, or a list) as a list of dims."""
    if axes is None:
        return list(range(x.dim()))
    if isinstance(axes, int):
        return [axes]
    return list(axes)


def slices(x, begin, end=None, step=None):
    """Strata's slice(begin, end, step) as a Python index: Python's slice semantics match Strata's."""
    idx = []
    for i in range(x.dim()):
        b = begin[i] if i < len(begin) else None
        e = end[i] if end is not None and i < len(end) else None
        s = step[i] if step is not None and i < len(step) else None
        idx.append(slice(b, e, s))
    return tuple(idx)
