"""test/opdb/pool.ts in torch. A case's attrs are the options of the public Strata function; the
primitives and backward ops get their normalized attributes (symmetric pads in every golden case:
torch pools with symmetric padding only)."""
import torch
import torch.nn.functional as F


def sym(padding):
    """A symmetric padding option for torch (per-side pairs must be equal)."""
    if padding is None:
        return 0
    if isinstance(padding, list) and padding and isinstance(padding[0], list):
        assert all(b == e for b, e in padding), f'torch pools with symmetric padding only: {padding}'
        return [b for b, _ in padding]
    return padding


def max_pool_nd(xs, a):
    x = xs[0]
    r = x.dim() - 2
    fn = [F.max_pool1d, F.max_pool2d, F.max_pool3d][r - 1]
    y, i = fn(x, a['kernelSize'], stride=a.get('stride'), padding=sym(a.get('padding')),
              dilation=a.get('dilation', 1), ceil_mode=a.get('ceilMode', False), return_indices=True)
    return [y, i] if a.get('returnIndices') else y


def avg_pool_nd(xs, a):
    x = xs[0]
    r = x.dim() - 2
    fn = [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d][r - 1]
    return fn(x, a['kernelSize'], stride=a.get('stride'), padding=sym(a.get('padding')),
              ceil_mode=a.get('ceilMode', False), count_include_pad=a.get('countIncludePad', True))


def sym_raw(a):
    assert a['padBegin'] == a['padEnd'], 'torch pools with symmetric padding only'
    return a['padBegin']


def max_pool_raw(xs, a):
    x = xs[0]
    fn = [F.max_pool1d, F.max_pool2d, F.max_pool3d][x.dim() - 3]
    return list(fn(x, a['kernel'], stride=a['stride'], padding=sym_raw(a), dilation=a['dilation'],
                   ceil_mode=a['ceilMode'], return_indices=True))


def avg_pool_raw(xs, a):
    x = xs[0]
    assert all(d == 1 for d in a['dilation']), 'torch average pooling has no dilation'
    fn = [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d][x.dim() - 3]
    return fn(x, a['kernel'], stride=a['stride'], padding=sym_raw(a), ceil_mode=a['ceilMode'],
              count_include_pad=a['countIncludePad'])


def avg_pool_backward(xs, a):
    """The gradient of avgPool with respect to its input, by torch's autograd (differentiable again)."""
    dy = xs[0]
    x = torch.zeros(a['inputShape'], dtype=dy.dtype, requires_grad=True)
    (g,) = torch.autograd.grad(avg_pool_raw([x], a), x, dy, create_graph=True)
    return g


def max_unpool_nd(xs, a):
    """Unpools v at the indices of a max pooling of x (no index repeats in the golden cases)."""
    x, v = xs
    r = x.dim() - 2
    pool = [F.max_pool1d, F.max_pool2d, F.max_pool3d][r - 1]
    unpool = [F.max_unpool1d, F.max_unpool2d, F.max_unpool3d][r - 1]
    _, i = pool(x, a['kernelSize'], stride=a.get('stride'), padding=a.get('padding', 0), return_indices=True)
    return unpool(v, i, a['kernelSize'], stride=a.get('stride'), padding=a.get('padding', 0),
                  output_size=a.get('outputSize'))


def unpool_scatter(xs, a):
    """Zeros with the values added at their in-plane indices (scatter_add: repeats accumulate)."""
    v, i = xs
    N, C = v.shape[:2]
    size = 1
    for d in a['outputSpatial']:
        size *= d
    out = v.new_zeros(N, C, size).scatter_add(2, i.long().flatten(2), v.flatten(2))
    return out.reshape(N, C, *a['outputSpatial'])


def pool_gather(xs, a):
    x, i = xs
    return x.flatten(2).gather(2, i.long().flatten(2)).reshape(i.shape)


def spatial(x):
    return tuple(range(2, x.dim()))


OPS = {
    'maxPool': max_pool_raw,
    'avgPool': avg_pool_raw,
    'maxPool1d': max_pool_nd,
    'maxPool2d': max_pool_nd,
    'maxPool3d': max_pool_nd,
    'avgPool1d': avg_pool_nd,
    'avgPool2d': avg_pool_nd,
    'avgPool3d': avg_pool_nd,
    'maxUnpool1d': max_unpool_nd,
    'maxUnpool2d': max_unpool_nd,
    'maxUnpool3d': max_unpool_nd,
    'avgPoolBackward': avg_pool_backward,
    'unpoolScatter': unpool_scatter,
    'poolGather': pool_gather,
    'globalAvgPool': lambda xs, a: xs[0].mean(dim=spatial(xs[0]), keepdim=True),
    'globalMaxPool': lambda xs, a: xs[0].amax(dim=spatial(xs[0]), keepdim=True),
}
