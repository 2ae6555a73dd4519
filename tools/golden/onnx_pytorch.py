#!/usr/bin/python3
"""PyTorch → ONNX fixtures for the importer (test/onnx/import.test.ts).

Writes test/fixtures/onnx/pytorch/<name>.onnx (torch.onnx.export, batch axis dynamic) and <name>.json
(the input, PyTorch's output in eval mode, the opset and torch version) for four small networks: a LeNet,
a residual block with addition, a 3-D convolutional net and a small U-Net with transposed convolution
and concatenation — plus `shape_ops`, a network of non-catalog ops with shape arithmetic on the dynamic
batch axis. Run from the repository root with Debian's python3-torch (1.13 exports offline; it
does not need the `onnx` Python package):

    /usr/bin/python3 tools/golden/onnx_pytorch.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join('test', 'fixtures', 'onnx', 'pytorch')


class LeNet(nn.Module):
    """LeNet-5 layout (conv 6@5×5 pad 2, pool, conv 16@5×5, pool), narrower fully connected layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Residual(nn.Module):
    """A stem, one residual block (conv-bn-relu-conv-bn + identity, relu), global pooling, a classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = F.relu(x + y)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


class Conv3dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm3d(4)
        self.conv2 = nn.Conv3d(4, 8, 3)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = F.max_pool3d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.conv2(x))
        x = F.adaptive_avg_pool3d(x, 1)
        return self.fc(torch.flatten(x, 1))


class UNet(nn.Module):
    """Two encoder levels, a transposed-convolution decoder with a skip concatenation, a 1×1 head."""

    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 4, 3, padding=1)
        self.enc2 = nn.Conv2d(4, 8, 3, padding=1)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.dec = nn.Conv2d(8, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        e1 = F.relu(self.enc1(x))
        e2 = F.relu(self.enc2(F.max_pool2d(e1, 2)))
        d = torch.cat([self.up(e2), e1], dim=1)
        return self.head(F.relu(self.dec(d)))


class ShapeOps(nn.Module):
    """Not a catalog network: GELU through Erf, a strided slice, reshape(x.size(0), -1) (Shape, Gather,
    Unsqueeze, Concat, Reshape on the dynamic batch), layer norm, softmax and a mean: OnnxOp layers."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.fc = nn.Linear(3 * 4 * 4, 5)
        self.ln = nn.LayerNorm(5)

    def forward(self, x):
        y = F.gelu(self.conv(x))
        y = F.interpolate(y, scale_factor=2, mode='nearest')[:, :, ::2, ::2]
        y = self.ln(self.fc(y.reshape(y.size(0), -1)))
        return torch.softmax(y * 2 - 1, dim=-1) + y.mean(dim=1, keepdim=True)


def warm_batchnorm(model, shape):
    """A few training-mode passes so the running statistics are not the defaults."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(*shape) * 2 + 0.5)
    model.eval()


def write(name, model, shape, opset):
    torch.manual_seed(1)
    has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if has_bn:
        warm_batchnorm(model, (4,) + shape[1:])
    model.eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(OUT, name + '.onnx')
    torch.onnx.export(
        model,
        x,
        path,
        opset_version=opset,
        input_names=['input'],
        output_names=['output'],
        dynamic_axes={'input': {0: 'N'}, 'output': {0: 'N'}},
        # In eval mode the exporter folds batch normalization into the convolution before it; PRESERVE
        # (the model is in eval mode, so inference form) keeps BatchNormalization nodes for the importer.
        training=torch.onnx.TrainingMode.PRESERVE if has_bn else torch.onnx.TrainingMode.EVAL,
        do_constant_folding=not has_bn,
    )
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(
            {
                'model': name + '.onnx',
                'torch': torch.__version__,
                'opset': opset,
                'input': {'shape': list(x.shape), 'data': x.flatten().tolist()},
                'output': {'shape': list(y.shape), 'data': y.flatten().tolist()},
            },
            f,
        )
        f.write('\n')
    print(f'{name}: input {list(x.shape)} → output {list(y.shape)}, opset {opset}, {os.path.getsize(path)} bytes')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    write('lenet', LeNet(), (2, 1, 28, 28), 13)
    torch.manual_seed(0)
    write('residual', Residual(), (2, 3, 12, 12), 17)
    torch.manual_seed(0)
    write('conv3d', Conv3dNet(), (2, 1, 8, 8, 8), 13)
    torch.manual_seed(0)
    write('unet', UNet(), (2, 1, 16, 16), 17)
    torch.manual_seed(0)
    write('shape_ops', ShapeOps(), (2, 2, 6, 6), 17)


if __name__ == '__main__':
    main()
