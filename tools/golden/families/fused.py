"""test/opdb/fused.ts in torch: act(conv(x, w) + b) with normalized conv attributes, act(x·wᵀ + b)."""
import torch.nn.functional as F

from conv import conv_raw


def act(y, a):
    return F.relu(y) if a.get('act', a.get('activation')) == 'relu' else y


def conv_bias_act(xs, a):
    y = conv_raw(xs[:2], a)
    if len(xs) > 2:
        y = y + xs[2].reshape([-1] + [1] * (y.dim() - 2))
    return act(y, a)


def linear(xs, a):
    return act(F.linear(xs[0], xs[1], xs[2] if len(xs) > 2 else None), a)


OPS = {
    'convBiasAct': conv_bias_act,
    'linearBiasAct': linear,
    'linear': linear,
}
