"""test/opdb/normalization.ts in torch: training-mode batch normalization (F.batch_norm with
training=True) and its gradient through autograd."""
import torch
import torch.nn.functional as F


def stats_dims(x):
    return [d for d in range(x.dim()) if d != 1]


def batch_norm_train(xs, a):
    x, w, b = xs
    y = F.batch_norm(x, None, None, w, b, training=True, eps=a['eps'])
    d = stats_dims(x)
    return [y, x.mean(dim=d), x.var(dim=d, unbiased=False)]


def channel(v, x):
    return v.reshape([v.numel()] + [1] * (x.dim() - 2))


def batch_norm_backward(xs, a):
    """The closed form of batch norm's gradient with the statistics as inputs of their own:
    dx = w·s·(dy − Σdy/M − x̂·Σ(dy·x̂)/M) + dmean/M + 2·(x − mean)·dvariance/M, dw = Σdy·x̂, db = Σdy,
    s = (variance + eps)^-½, x̂ = (x − mean)·s. Written in torch ops, so autograd gives the goldens of
    its gradients (the second derivatives of batch norm); the first-order path is checked against
    F.batch_norm itself by the batchNormTrain / batchNorm cases."""
    dy, x, mean, var, w, dmean, dvar = xs
    d = stats_dims(x)
    M = x.numel() // max(x.shape[1], 1)
    s = (var + a['eps']) ** -0.5
    xh = (x - channel(mean, x)) * channel(s, x)
    A = dy.sum(dim=d)
    B = (dy * xh).sum(dim=d)
    dx = channel(w * s, x) * (dy - channel(A / M, x) - xh * channel(B / M, x)) \
        + channel(dmean / M, x) + 2 * (x - channel(mean, x)) * channel(dvar / M, x)
    return [dx, B, A]


def batch_norm_fn(xs, a, stats=False):
    x = xs[0]
    rest = list(xs[1:])
    w = rest.pop(0) if a['weight'] else None
    b = rest.pop(0) if a['bias'] else None
    y = F.batch_norm(x, None, None, w, b, training=True, eps=a['eps'])
    if not stats:
        return y
    d = stats_dims(x)
    return [y, x.mean(dim=d), x.var(dim=d, unbiased=False)]


OPS = {
    'batchNormTrain': batch_norm_train,
    'batchNormBackward': batch_norm_backward,
    'batchNorm': batch_norm_fn,
    'batchNormWithStats': lambda xs, a: batch_norm_fn(xs, a, stats=True),
}
