// The engine's own arithmetic ceiling, for the benchmarks' "fraction of the limit" column:
// a bare loop of `madd` (f32x4.relaxed_madd in the relaxed build, f32x4.mul + f32x4.add in the
// plain SIMD build — the same instruction the GEMM micro-kernel uses) over 12 independent
// accumulator chains, enough to cover the FMA latency (4–5 cycles) on 2 ports, with no loads
// or stores. What the engine's code generator and the CPU can sustain, not a paper peak.
import { madd } from './simd';

/** Runs `iters` iterations of 12 chained madds (96 flops each); returns a checksum so the loop stays. */
export function engine_madd_ceiling_f32(iters: i32, b: f32, c: f32): f32 {
  const vb = f32x4.splat(b), vc = f32x4.splat(c);
  let a0 = f32x4.splat(0.1), a1 = f32x4.splat(0.2), a2 = f32x4.splat(0.3), a3 = f32x4.splat(0.4);
  let a4 = f32x4.splat(0.5), a5 = f32x4.splat(0.6), a6 = f32x4.splat(0.7), a7 = f32x4.splat(0.8);
  let a8 = f32x4.splat(0.9), a9 = f32x4.splat(1.0), a10 = f32x4.splat(1.1), a11 = f32x4.splat(1.2);
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, vb, vc); a1 = madd(a1, vb, vc); a2 = madd(a2, vb, vc); a3 = madd(a3, vb, vc);
    a4 = madd(a4, vb, vc); a5 = madd(a5, vb, vc); a6 = madd(a6, vb, vc); a7 = madd(a7, vb, vc);
    a8 = madd(a8, vb, vc); a9 = madd(a9, vb, vc); a10 = madd(a10, vb, vc); a11 = madd(a11, vb, vc);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11));
  const u = f32x4.add(s, t);
  return f32x4.extract_lane(u, 0) + f32x4.extract_lane(u, 1) + f32x4.extract_lane(u, 2) + f32x4.extract_lane(u, 3);
}

/** Flops of one engine_madd_ceiling_f32 call (12 chains × 4 lanes × 2). */
export function engine_madd_ceiling_flops(iters: i32): f64 {
  return <f64>iters * 96;
}
