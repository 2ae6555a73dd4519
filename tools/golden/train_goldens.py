#!/usr/bin/python3
"""Writes the PyTorch goldens of the training tests (optimizers, gradient clipping, learning-rate
schedules, losses) to test/fixtures/train/*.json. Run by hand from the repository root with Debian's
python3 and python3-torch:  /usr/bin/python3 tools/golden/train_goldens.py
"""
import json
import math
import os

import torch

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'train')
os.makedirs(OUT, exist_ok=True)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


# ------------------------------------------------------------------ optimizers
# A small problem: loss = mean((tanh(x·Wᵀ + b) − y)²), W [3,4], b [3], x [6,4], y [6,3].
W0 = torch.randn(3, 4) * 0.5
B0 = torch.randn(3) * 0.1
X = torch.randn(6, 4)
Y = torch.randn(6, 3) * 0.5
STEPS = 6

cases = [
    ('sgd', {'lr': 0.1}),
    ('sgd', {'lr': 0.1, 'momentum': 0.9}),
    ('sgd', {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.3}),
    ('sgd', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}),
    ('sgd', {'lr': 0.1, 'momentum': 0.5, 'weightDecay': 0.05}),
    ('adam', {'lr': 0.05}),
    ('adam', {'lr': 0.05, 'betas': [0.8, 0.99], 'eps': 1e-6, 'weightDecay': 0.1}),
    ('adam', {'lr': 0.05, 'amsgrad': True}),
    ('adamw', {'lr': 0.05}),
    ('adamw', {'lr': 0.05, 'weightDecay': 0.3}),
    ('rmsprop', {'lr': 0.01}),
    ('rmsprop', {'lr': 0.01, 'momentum': 0.9}),
    ('rmsprop', {'lr': 0.01, 'centered': True, 'alpha': 0.9}),
    ('rmsprop', {'lr': 0.01, 'centered': True, 'momentum': 0.5, 'weightDecay': 0.1}),
    ('adagrad', {'lr': 0.1}),
    ('adagrad', {'lr': 0.1, 'lrDecay': 0.1, 'initialAccumulatorValue': 0.1, 'weightDecay': 0.05}),
    # Per-parameter factors: the bias gets twice the learning rate and no weight decay.
    ('sgd', {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 0.1, 'factors': True}),
    ('adamw', {'lr': 0.05, 'weightDecay': 0.2, 'factors': True}),
    # Clipping.
    ('sgd', {'lr': 0.1, 'clipNorm': 0.05}),
    ('adam', {'lr': 0.05, 'clipValue': 0.01}),
    ('sgd', {'lr': 0.2, 'momentum': 0.9, 'clipValue': 0.05, 'clipNorm': 0.06}),
]


def torch_opt(name, o, params_w, params_b):
    lr = o['lr']
    wd = o.get('weightDecay', 0.0)
    if o.get('factors'):
        groups = [{'params': [params_w], 'lr': lr, 'weight_decay': wd},
                  {'params': [params_b], 'lr': 2 * lr, 'weight_decay': 0.0}]
    else:
        groups = [{'params': [params_w, params_b]}]
    if name == 'sgd':
        return torch.optim.SGD(groups, lr=lr, momentum=o.get('momentum', 0), dampening=o.get('dampening', 0),
                               nesterov=o.get('nesterov', False), weight_decay=wd)
    if name in ('adam', 'adamw'):
        cls = torch.optim.Adam if name == 'adam' else torch.optim.AdamW
        kw = {'weight_decay': wd} if 'weightDecay' in o or name == 'adam' else {}
        return cls(groups, lr=lr, betas=tuple(o.get('betas', [0.9, 0.999])), eps=o.get('eps', 1e-8),
                   amsgrad=o.get('amsgrad', False), **kw)
    if name == 'rmsprop':
        return torch.optim.RMSprop(groups, lr=lr, alpha=o.get('alpha', 0.99), eps=o.get('eps', 1e-8),
                                   momentum=o.get('momentum', 0), centered=o.get('centered', False),
                                   weight_decay=wd)
    if name == 'adagrad':
        return torch.optim.Adagrad(groups, lr=lr, lr_decay=o.get('lrDecay', 0),
                                   initial_accumulator_value=o.get('initialAccumulatorValue', 0),
                                   weight_decay=wd)
    raise ValueError(name)


opt_out = {'problem': {'w': flat(W0), 'b': flat(B0), 'x': flat(X), 'y': flat(Y),
                       'wShape': [3, 4], 'xShape': [6, 4], 'yShape': [6, 3]},
           'steps': STEPS, 'cases': []}
for name, o in cases:
    w = W0.clone().requires_grad_()
    b = B0.clone().requires_grad_()
    opt = torch_opt(name, o, w, b)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((torch.tanh(X @ w.T + b) - Y) ** 2).mean()
        loss.backward()
        losses.append(float(loss))
        if 'clipValue' in o:
            torch.nn.utils.clip_grad_value_([w, b], o['clipValue'])
        if 'clipNorm' in o:
            torch.nn.utils.clip_grad_norm_([w, b], o['clipNorm'])
        opt.step()
    opt_out['cases'].append({'optimizer': name, 'options': o, 'losses': losses, 'w': flat(w), 'b': flat(b)})

# ------------------------------------------------------------------ schedules


def lrs(make, n, base=0.1):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return out


S = torch.optim.lr_scheduler
sched_out = [
    {'config': {'type': 'step', 'lr': 0.1, 'stepSize': 3, 'gamma': 0.5},
     'lrs': lrs(lambda o: S.StepLR(o, 3, 0.5), 12)},
    {'config': {'type': 'piecewise', 'boundaries': [2, 5, 9], 'values': [0.1, 0.01, 0.001, 0.0001]},
     'lrs': lrs(lambda o: S.MultiStepLR(o, [2, 5, 9], 0.1), 12)},
    {'config': {'type': 'exponential', 'lr': 0.1, 'gamma': 0.8},
     'lrs': lrs(lambda o: S.ExponentialLR(o, 0.8), 12)},
    {'config': {'type': 'cosine', 'lr': 0.1, 'totalSteps': 10, 'minLr': 0.001},
     'lrs': lrs(lambda o: S.CosineAnnealingLR(o, 10, 0.001), 11)},
    {'config': {'type': 'linear', 'lr': 0.1, 'startFactor': 0.25, 'endFactor': 1, 'totalSteps': 4},
     'lrs': lrs(lambda o: S.LinearLR(o, 0.25, 1.0, 4), 8)},
    {'config': {'type': 'warmup', 'steps': 3, 'startFactor': 0.1,
                'after': {'type': 'cosine', 'lr': 0.1, 'totalSteps': 8, 'minLr': 0}},
     'lrs': lrs(lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, 1.0, 3), S.CosineAnnealingLR(o, 8)], [3]), 11)},
    {'config': {'type': 'oneCycle', 'maxLr': 0.002, 'totalSteps': 40, 'pctStart': 0.3, 'divFactor': 25,
                'finalDivFactor': 10000, 'anneal': 'cos'},
     'lrs': lrs(lambda o: S.OneCycleLR(o, 0.002, total_steps=40, cycle_momentum=False), 40)},
    {'config': {'type': 'oneCycle', 'maxLr': 0.5, 'totalSteps': 23, 'pctStart': 0.25, 'divFactor': 10,
                'finalDivFactor': 100, 'anneal': 'linear'},
     'lrs': lrs(lambda o: S.OneCycleLR(o, 0.5, total_steps=23, pct_start=0.25, div_factor=10,
                                       final_div_factor=100, anneal_strategy='linear',
                                       cycle_momentum=False), 23)},
]

metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.92, 0.93]
plateau = []
for opts in [{'mode': 'min', 'factor': 0.5, 'patience': 2},
             {'mode': 'min', 'factor': 0.1, 'patience': 1, 'cooldown': 2, 'minLr': 0.002},
             {'mode': 'max', 'factor': 0.5, 'patience': 0, 'threshold': 0.01}]:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sch = S.ReduceLROnPlateau(opt, mode=opts['mode'], factor=opts['factor'], patience=opts['patience'],
                              threshold=opts.get('threshold', 1e-4), cooldown=opts.get('cooldown', 0),
                              min_lr=opts.get('minLr', 0))
    out = []
    for m in metrics:
        sch.step(m)
        out.append(opt.param_groups[0]['lr'])
    plateau.append({'lr': 0.1, 'options': opts, 'metrics': metrics, 'lrs': out})

# ------------------------------------------------------------------ losses
F = torch.nn.functional
logits = torch.randn(5, 4)
targets = torch.tensor([0, 3, 1, 1, 2])
cw = torch.tensor([1.0, 2.0, 0.5, 1.5])
probs_bin = torch.rand(5, 3) * 0.9 + 0.05
labels_bin = (torch.rand(5, 3) > 0.5).float()
pred = torch.randn(5, 3)
target = torch.randn(5, 3)


def loss_case(name, fn, inputs, **kw):
    xs = [t.clone().requires_grad_() for t in inputs[:1]] + list(inputs[1:])
    v = fn(*xs, **kw)
    v.backward()
    return {'name': name, 'options': {k: (flat(v2) if torch.is_tensor(v2) else v2) for k, v2 in kw.items()},
            'value': float(v), 'grad': flat(xs[0].grad)}


losses = {
    'logits': flat(logits), 'logitsShape': [5, 4], 'targets': targets.tolist(),
    'probsBin': flat(probs_bin), 'labelsBin': flat(labels_bin), 'binShape': [5, 3],
    'pred': flat(pred), 'target': flat(target), 'regShape': [5, 3],
    'cases': [
        loss_case('crossEntropy', F.cross_entropy, [logits, targets]),
        loss_case('crossEntropy', F.cross_entropy, [logits, targets], label_smoothing=0.1),
        loss_case('crossEntropy', F.cross_entropy, [logits, targets], weight=cw),
        loss_case('crossEntropy', F.cross_entropy, [logits, targets], weight=cw, label_smoothing=0.2),
        loss_case('binaryCrossEntropy', F.binary_cross_entropy, [probs_bin, labels_bin]),
        loss_case('binaryCrossEntropyWithLogits', F.binary_cross_entropy_with_logits, [pred, labels_bin]),
        loss_case('mse', F.mse_loss, [pred, target]),
        loss_case('mae', F.l1_loss, [pred, target]),
        loss_case('huber', F.huber_loss, [pred, target], delta=1.0),
        loss_case('huber', F.huber_loss, [pred, target], delta=0.5),
    ],
}
# Cross-entropy from probabilities: the loss of log(softmax(logits)) through nll.
sm = logits.clone().requires_grad_()
v = F.nll_loss(torch.log(F.softmax(sm, 1)), targets)
v.backward()
losses['fromProbs'] = {'probs': flat(F.softmax(logits, 1)), 'value': float(v)}


def dump(name, obj):
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')


dump('optimizers.json', opt_out)
dump('schedules.json', {'schedules': sched_out, 'plateau': plateau})
dump('losses.json', losses)
print('wrote', OUT, 'torch', torch.__version__)
