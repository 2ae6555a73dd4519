"""test/opdb/linalg.ts in torch."""
import torch


def matmul(xs, a):
    x, y = xs
    # Strata ignores a transposition flag on a 1-D operand (there is nothing to transpose).
    if a.get('transA') and x.dim() >= 2:
        x = x.transpose(-2, -1)
    if a.get('transB') and y.dim() >= 2:
        y = y.transpose(-2, -1)
    return torch.matmul(x, y)


OPS = {
    'matmul': matmul,
    'softmax': lambda xs, a: torch.softmax(xs[0], dim=a['axis']),
    'logSoftmax': lambda xs, a: torch.log_softmax(xs[0], dim=a['axis']),
}
