/** First byte the host may use for its arena (after static data). */
export function heap_base(): usize {
  return __heap_base;
}

/** 1 in the relaxed-SIMD build, 0 in the plain SIMD build. */
export function relaxed_build(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
