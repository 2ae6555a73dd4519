// Resize (nearest / linear over 1 to 3 spatial axes, padded to three) and its adjoint, from per-axis
// maps computed by the glue: for each output position along an axis two input indices and two f64
// weights (a zero weight is skipped, as the reference does). Planes of (n, c) split across threads.
// p = [planes, S0,S1,S2, O0,O1,O2, idxOff0..2, wtOff0..2, x, y] (offsets in int32 slots from p;
// weight offsets 8-byte aligned).
import { pi, share } from './common';

/** y[plane, o] = Σ w·x[plane, i] (backward = false); dx[plane, i] += w·dy[plane, o] (true; dx zeroed). */
function resizeImpl(p: usize, tid: i32, nt: i32, backward: bool): void {
  const planes = pi(p, 0);
  const S0 = pi(p, 1), S1 = pi(p, 2), S2 = pi(p, 3);
  const O0 = pi(p, 4), O1 = pi(p, 5), O2 = pi(p, 6);
  const i0m = p + (<usize>pi(p, 7) << 2);
  const i1m = p + (<usize>pi(p, 8) << 2);
  const i2m = p + (<usize>pi(p, 9) << 2);
  const w0m = p + (<usize>pi(p, 10) << 2);
  const w1m = p + (<usize>pi(p, 11) << 2);
  const w2m = p + (<usize>pi(p, 12) << 2);
  const src = <usize>pi(p, 13);
  const dst = <usize>pi(p, 14);
  const Sp = S0 * S1 * S2;
  const Op = O0 * O1 * O2;
  const q0 = share(planes, tid, nt, 1);
  const q1 = share(planes, tid + 1, nt, 1);
  for (let q = q0; q < q1; q++) {
    const xp = (backward ? dst : src) + (<usize>(q * Sp) << 2);
    let yo = (backward ? src : dst) + (<usize>(q * Op) << 2);
    for (let o0 = 0; o0 < O0; o0++)
      for (let o1 = 0; o1 < O1; o1++)
        for (let o2 = 0; o2 < O2; o2++) {
          let acc: f64 = 0;
          const g: f64 = backward ? <f64>load<f32>(yo) : 0;
          for (let t0 = 0; t0 < 2; t0++) {
            const w0 = load<f64>(w0m + (<usize>(2 * o0 + t0) << 3));
            if (w0 == 0) continue;
            const a0 = load<i32>(i0m + (<usize>(2 * o0 + t0) << 2)) * S1;
            for (let t1 = 0; t1 < 2; t1++) {
              const w1 = load<f64>(w1m + (<usize>(2 * o1 + t1) << 3));
              if (w1 == 0) continue;
              const a1 = (a0 + load<i32>(i1m + (<usize>(2 * o1 + t1) << 2))) * S2;
              for (let t2 = 0; t2 < 2; t2++) {
                const w2 = load<f64>(w2m + (<usize>(2 * o2 + t2) << 3));
                if (w2 == 0) continue;
                const a = xp + (<usize>(a1 + load<i32>(i2m + (<usize>(2 * o2 + t2) << 2))) << 2);
                const w = w0 * w1 * w2;
                if (backward) store<f32>(a, <f32>(<f64>load<f32>(a) + w * g));
                else acc += w * <f64>load<f32>(a);
              }
            }
          }
          if (!backward) store<f32>(yo, <f32>acc);
          yo += 4;
        }
  }
}

export function resize(p: usize, tid: i32, nt: i32): void {
  resizeImpl(p, tid, nt, false);
}

export function resizeBackward(p: usize, tid: i32, nt: i32): void {
  resizeImpl(p, tid, nt, true);
}
