#!/usr/bin/python3
"""Computes the PyTorch goldens of the op database in float64 and writes test/fixtures/golden/<family>.json.

Run by hand from the repository root (CI never runs Python; the fixtures are committed):

    npx tsx tools/golden/export-inputs.ts [family ...]   # writes tools/golden/inputs.json
    /usr/bin/python3 tools/golden/gen.py [family ...]     # writes the fixtures

For every case it reads the inputs, the attributes and the output weights w from inputs.json, computes
the outputs with torch and the gradient of sum(output * w) with respect to each input that requires
one, and writes them with a fingerprint of the inputs (the golden test refuses stale fixtures).

The mapping from a case to torch is pluggable per family: tools/golden/families/<family>.py (the
family is the name of the entry file test/opdb/<family>.ts) defines

    OPS = {'<op>': fn, '<op>/<case name>': fn, ...}   # fn(xs: list[Tensor], attrs: dict) -> Tensor | list

looked up by '<op>/<case name>' first, then by '<op>'. Helpers shared by the families live in
families/_common.py (files starting with '_' are not families).
"""
import argparse
import importlib.util
import json
import math
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / 'test' / 'fixtures' / 'golden'
FAMILIES = HERE / 'families'

# Differences to Strata's own results above these are reported (the tolerance of test/ops/golden.test.ts).
REPORT_ATOL = 1e-13
REPORT_RTOL = 1e-12


def load_families():
    sys.path.insert(0, str(FAMILIES))
    mods = {}
    for p in sorted(FAMILIES.glob('*.py')):
        if p.name.startswith('_'):
            continue
        spec = importlib.util.spec_from_file_location(f'golden_family_{p.stem}', p)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if not isinstance(getattr(mod, 'OPS', None), dict):
            raise SystemExit(f'{p}: must define OPS = {{op name: fn(xs, attrs)}}')
        mods[p.stem] = mod
    return mods


def make_input(spec):
    if spec['dtype'] == 'int32':
        t = torch.tensor([int(v) for v in spec['values']], dtype=torch.int32)
    else:
        t = torch.tensor(spec['values'], dtype=torch.float64)
    t = t.reshape(spec['shape'])
    if spec['requiresGrad']:
        t.requires_grad_(True)
    return t


def as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def flat(t):
    t = t.detach()
    if t.dtype == torch.bool:
        t = t.to(torch.float64)
    vals = t.reshape(-1).tolist()
    if t.dtype.is_floating_point:
        for v in vals:
            if not math.isfinite(v):
                raise ValueError(f'non-finite value {v} (JSON cannot hold it)')
    return vals


def worst(a, b):
    """Largest excess of |a - b| over REPORT_ATOL + REPORT_RTOL * |b|, and the largest |a - b|."""
    excess, err = 0.0, 0.0
    for x, y in zip(a, b):
        d = abs(x - y)
        err = max(err, d)
        excess = max(excess, d - (REPORT_ATOL + REPORT_RTOL * abs(y)))
    return excess, err


def run_case(fn, case):
    xs = [make_input(s) for s in case['inputs']]
    outs = as_list(fn(xs, case['attrs']))
    exp = case['outputs']
    if len(outs) != len(exp):
        raise ValueError(f'torch gives {len(outs)} outputs, Strata {len(exp)}')
    for k, (o, e) in enumerate(zip(outs, exp)):
        if list(o.shape) != e['shape']:
            raise ValueError(f'output {k}: torch shape {list(o.shape)}, Strata {e["shape"]}')
    res = {
        'inputs': case['fingerprint'],
        'outputs': [{'shape': list(o.shape), 'values': flat(o)} for o in outs],
        'grads': None,
    }
    diff_in = [x for x in xs if x.requires_grad]
    diff_out = [(o, e) for o, e in zip(outs, exp) if o.requires_grad and o.dtype.is_floating_point]
    if diff_in and diff_out:
        s = sum((o * torch.tensor(e['weights'], dtype=o.dtype).reshape(o.shape)).sum() for o, e in diff_out)
        gs = torch.autograd.grad(s, diff_in, allow_unused=True)
        by_id = {id(x): g for x, g in zip(diff_in, gs)}
        res['grads'] = [
            None if not x.requires_grad
            else {'shape': list(x.shape), 'values': flat(by_id[id(x)] if by_id[id(x)] is not None else torch.zeros_like(x))}
            for x in xs
        ]
    return res


def compare_with_strata(case, res):
    msgs = []
    for k, (o, e) in enumerate(zip(res['outputs'], case['outputs'])):
        ex, err = worst(e['strata'], o['values'])
        if ex > 0:
            msgs.append(f'output {k} differs by {err:.3g}')
    sg = case.get('strataGrads')
    if (sg is None) != (res['grads'] is None):
        msgs.append('gradient present on one side only')
    elif sg is not None:
        for i, (a, b) in enumerate(zip(sg, res['grads'])):
            if a is not None and b is not None:
                ex, err = worst(a, b['values'])
                if ex > 0:
                    msgs.append(f'gradient {i} differs by {err:.3g}')
    return msgs


def dump(family, cases):
    lines = [f'{json.dumps(k)}: {json.dumps(v, separators=(",", ":"))}' for k, v in sorted(cases.items())]
    head = json.dumps({'family': family, 'torch': torch.__version__})[:-1]
    return head + ', "cases": {\n' + ',\n'.join(lines) + '\n}}\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('families', nargs='*', help='only these families (default: every family in inputs.json)')
    ap.add_argument('--inputs', default=str(HERE / 'inputs.json'))
    args = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    data = json.loads(pathlib.Path(args.inputs).read_text())
    mods = load_families()
    OUT.mkdir(parents=True, exist_ok=True)
    failed = 0
    for family, cases in data['families'].items():
        if args.families and family not in args.families:
            continue
        mod = mods.get(family)
        if mod is None:
            print(f'{family}: no tools/golden/families/{family}.py; skipped ({len(cases)} cases)')
            failed += len(cases)
            continue
        out, disagree = {}, []
        for case in cases:
            fn = mod.OPS.get(f'{case["op"]}/{case["case"]}') or mod.OPS.get(case['op'])
            if fn is None:
                print(f'  {case["key"]}: no mapping in families/{family}.py')
                failed += 1
                continue
            try:
                res = run_case(fn, case)
            except Exception as err:  # report every failing case, then go on
                print(f'  {case["key"]}: {type(err).__name__}: {err}')
                failed += 1
                continue
            out[case['key']] = res
            msgs = compare_with_strata(case, res)
            if msgs:
                disagree.append(f'  {case["key"]}: {"; ".join(msgs)}')
        path = OUT / f'{family}.json'
        path.write_text(dump(family, out))
        print(f'{family}: {len(out)} cases -> {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)')
        if disagree:
            print(f'  Strata disagrees with torch (atol {REPORT_ATOL}, rtol {REPORT_RTOL}) on {len(disagree)} cases:')
            print('\n'.join(disagree))
    if failed:
        print(f'{failed} cases failed or have no mapping: they get no fixture')
        sys.exit(1)


if __name__ == '__main__':
    main()
