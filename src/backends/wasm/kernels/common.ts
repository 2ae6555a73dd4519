// Shared helpers of the AssemblyScript kernels: parameter blocks, per-thread scratch, thread ranges.

/** This instance's (this thread's) scratch region, set once by the loader. */
let scratchBase: usize = 0;
let scratchBytes: usize = 0;

export function setScratch(ptr: usize, bytes: usize): void {
  scratchBase = ptr;
  scratchBytes = bytes;
}

@inline export function scratch(): usize {
  return scratchBase;
}

/** Integer parameter `i` of the block at `p`. */
@inline export function pi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Float parameter `i` of the block at `p`. */
@inline export function pf(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

/** Start of thread `tid`'s share of `n` units split into `nt` contiguous ranges, in multiples of `align`. */
@inline export function share(n: i32, tid: i32, nt: i32, align: i32): i32 {
  const units = (n + align - 1) / align;
  const s = <i32>((<i64>units * tid) / nt) * align;
  return s < n ? s : n;
}

@inline export function addr(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/**
 * c + a·b per lane. In the relaxed-SIMD build (strata-fma.wasm) a fused multiply-add: one
 * instruction instead of two, which the GEMM microkernel needs — with separate vmulps/vaddps it is
 * bound by the six instructions per cycle the core can issue, not by its arithmetic (see DESIGN.md).
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
