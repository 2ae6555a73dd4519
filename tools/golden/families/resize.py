"""test/opdb/resize.ts in torch. A case's attrs are the options of the public Strata function (or the
op's attributes for the raw ops). torch.nn.functional.interpolate covers four of ONNX Resize's
combinations exactly; each case names the one it uses, and cases of ONNX-only modes skip goldens
(they are checked against the ONNX node tests):
  nearest, asymmetric, floor                    -> mode='nearest'
  nearest, half_pixel, round_prefer_ceil        -> mode='nearest-exact'
  linear, half_pixel (outputs longer than 1)    -> mode='(bi/tri)linear', align_corners=False
  linear, align_corners (integral out length)   -> align_corners=True
"""
import torch
import torch.nn.functional as F

LINEAR = {1: 'linear', 2: 'bilinear', 3: 'trilinear'}


def interp(mode, align=None):
    def f(xs, a):
        x = xs[0]
        kw = {'size': a['size']} if 'size' in a else {'scale_factor': a['scale']}
        m = LINEAR[x.dim() - 2] if mode == 'linear' else mode
        return F.interpolate(x, mode=m, align_corners=align, **kw)

    return f


def unbatched_linear(xs, a):
    return F.interpolate(xs[0].unsqueeze(0), scale_factor=a['scale'], mode='bilinear', align_corners=False).squeeze(0)


def raw_linear(xs, a):
    return F.interpolate(xs[0], size=a['outputSpatial'], mode='bilinear', align_corners=False)


def raw_backward(xs, a):
    dy = xs[0]
    x = torch.zeros([*dy.shape[:2], *a['inputSpatial']], dtype=dy.dtype, requires_grad=True)
    (g,) = torch.autograd.grad(raw_linear([x], a), x, dy, create_graph=True)
    return g


OPS = {
    'resize/attrs linear': raw_linear,
    # [17] -> [9] with scale 0.5: half_pixel gives 2x + 0.5, rounded down: every other element.
    'resize/raw nearest seventeen': lambda xs, a: xs[0][:, :, 0:17:2],
    'resizeBackward': raw_backward,
    'resize1d/nearest floor asymmetric seventeen': interp('nearest'),
    'resize1d/linear half_pixel upsample': interp('linear', False),
    # scale 2: half_pixel gives x/2 − 1/4, rounded (ties never occur) to floor(x/2): torch's 'nearest'.
    'resize2d/nearest x2': interp('nearest'),
    'resize2d/nearest round_prefer_ceil downsample': interp('nearest-exact'),
    'resize2d/bilinear half_pixel odd down': interp('linear', False),
    'resize2d/bilinear align_corners up': interp('linear', True),
    'resize2d/unbatched': unbatched_linear,
    'resize3d/trilinear': interp('linear', False),
    'resize3d/nearest x2': interp('nearest'),
}
