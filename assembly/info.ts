/** First byte the host may use for its arena (after static data). */
export function heap_base(): usize {
  return __heap_base;
}

/**
 * 1 in the relaxed-SIMD build, 0 in the plain SIMD build. The relaxed build computes it
 * with a relaxed instruction, so that build always fails validation on an engine without
 * relaxed SIMD — the loader's fallback must not depend on whether a kernel happens to use one.
 */
export function relaxed_build(): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i32x4.extract_lane(i32x4.relaxed_trunc_f32x4_s(f32x4.splat(1.0)), 0);
  }
  return 0;
}
