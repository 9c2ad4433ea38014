// The O(n) passes of one L-BFGS-B iteration (src/landscape/lbfgsb.ts) that were JS loops
// on the calling thread: the Cauchy breakpoints and their scan order, and the free/active
// split of the subspace minimization with its Gram matrix WᵀZZᵀW. Scalar f64 arithmetic
// in the same order as the JS it replaces (f64x2 lanes only where each lane is its own
// sum), so every result is the same bits in the simd and relaxed builds and in JS.
// Pointers are byte offsets: f32 vectors (x, g, lo, hi, d, r, xcp, Y_j, S_j), f64 keys and
// matrices, i32 index lists.

/**
 * The breakpoints of the projected steepest-descent path x(t) = P(x − t·g): for each i,
 * t_i = (x_i − hi_i)/g_i if g_i < 0 and hi_i is finite, (x_i − lo_i)/g_i if g_i > 0 and
 * lo_i is finite, else +∞; t_i ≤ 0 sets d_i = 0 (the coordinate does not move), otherwise
 * d_i = −g_i. The finite positive t_i are written compactly, in increasing i, to
 * keys[0..nb) (f64) and idx[0..nb) (i32); returns nb. stats[0] (i32) receives the number
 * of coordinates with t_i = +∞ and g_i ≠ 0 (moving without a bound).
 */
export function lbfgsb_breakpoints_f32(
  x: usize, g: usize, lo: usize, hi: usize, d: usize, n: i32, keys: usize, idx: usize, stats: usize,
): i32 {
  let nb = 0, unbounded = 0;
  let i = 0;
  // Two coordinates at a time, without branches (the signs of g are data): both quotients
  // are computed and the one the scalar code would take is selected.
  const inf = f64x2.splat(Infinity), ninf = f64x2.splat(-Infinity), zero = f64x2.splat(0);
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 2;
    const g2 = v128.load64_zero(g + o);
    const gv = f64x2.promote_low_f32x4(g2);
    const xv = f64x2.promote_low_f32x4(v128.load64_zero(x + o));
    const hv = f64x2.promote_low_f32x4(v128.load64_zero(hi + o));
    const lv = f64x2.promote_low_f32x4(v128.load64_zero(lo + o));
    const th = f64x2.div(f64x2.sub(xv, hv), gv), tl = f64x2.div(f64x2.sub(xv, lv), gv);
    let t = v128.bitselect(th, inf, v128.and(f64x2.lt(gv, zero), f64x2.lt(hv, inf)));
    t = v128.bitselect(tl, t, v128.and(f64x2.gt(gv, zero), f64x2.gt(lv, ninf)));
    const le0 = f64x2.le(t, zero);
    t = v128.andnot(t, le0); // t ≤ 0 → +0
    // d = −g where t > 0 (or NaN), else +0: the 64-bit lane masks narrowed to the two f32 lanes.
    v128.store64_lane(d + o, v128.andnot(f32x4.neg(g2), v128.shuffle<i32>(le0, le0, 0, 2, 0, 2)), 0);
    const bp = v128.and(f64x2.gt(t, zero), f64x2.lt(t, inf));
    const un = v128.and(f64x2.eq(t, inf), f64x2.ne(gv, zero));
    // Compaction without branches: write, then advance by 0 or 1 (nb ≤ i, inside keys/idx).
    store<f64>(keys + (<usize>nb << 3), f64x2.extract_lane(t, 0));
    store<i32>(idx + (<usize>nb << 2), i);
    nb += <i32>(i64x2.extract_lane(bp, 0) & 1);
    store<f64>(keys + (<usize>nb << 3), f64x2.extract_lane(t, 1));
    store<i32>(idx + (<usize>nb << 2), i + 1);
    nb += <i32>(i64x2.extract_lane(bp, 1) & 1);
    unbounded += <i32>(i64x2.extract_lane(un, 0) & 1) + <i32>(i64x2.extract_lane(un, 1) & 1);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = <f64>load<f32>(g + o);
    let ti: f64 = Infinity;
    if (gi < 0) {
      const h = <f64>load<f32>(hi + o);
      if (h < Infinity) ti = (<f64>load<f32>(x + o) - h) / gi;
    } else if (gi > 0) {
      const l = <f64>load<f32>(lo + o);
      if (l > -Infinity) ti = (<f64>load<f32>(x + o) - l) / gi;
    }
    if (ti <= 0) {
      ti = 0;
      store<f32>(d + o, 0);
    } else {
      store<f32>(d + o, <f32>-gi);
    }
    if (ti > 0 && ti < Infinity) {
      store<f64>(keys + (<usize>nb << 3), ti);
      store<i32>(idx + (<usize>nb << 2), i);
      nb++;
    } else if (ti == Infinity && gi != 0) {
      unbounded++;
    }
  }
  store<i32>(stats, unbounded);
  return nb;
}

const EPS: f64 = 2.220446049250313e-16;

// Buckets of lbfgsb_bucket_f64: the top 16 bits of a positive finite f64 are < 0x7ff0.
const LBFGSB_BUCKETS: i32 = 0x7ff0;

/** The number of buckets of lbfgsb_bucket_f64 (its start array has one more entry). */
export function lbfgsb_buckets(): i32 {
  return LBFGSB_BUCKETS;
}

/**
 * The first half of the lazy scan order: (keys, idx)[0..nb) — positive finite f64 keys,
 * whose bit patterns order as unsigned integers — scattered stably into (keys2, idx2) by
 * their top 16 bits (sign, exponent and 4 mantissa bits: 16 buckets per binade).
 * start (i32, LBFGSB_BUCKETS + 1 entries) receives each bucket's first position and
 * start[LBFGSB_BUCKETS] = nb. A bucket is put in final order by lbfgsb_sort_run_f64 when
 * the scan reaches it.
 */
export function lbfgsb_bucket_f64(keys: usize, idx: usize, nb: i32, keys2: usize, idx2: usize, start: usize): void {
  memory.fill(start, 0, (<usize>LBFGSB_BUCKETS + 1) << 2);
  for (let i = 0; i < nb; i++) {
    const b = <usize>(load<u64>(keys + (<usize>i << 3)) >>> 48);
    const p = start + (b << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
  let sum = 0;
  for (let b = 0; b <= LBFGSB_BUCKETS; b++) {
    const p = start + (<usize>b << 2);
    const c = load<i32>(p);
    store<i32>(p, sum);
    sum += c;
  }
  // start[b] is now the next free slot of bucket b; it ends as the start of bucket b + 1,
  // so the starts are restored by one shift afterwards.
  for (let i = 0; i < nb; i++) {
    const k = load<u64>(keys + (<usize>i << 3));
    const p = start + (<usize>(k >>> 48) << 2);
    const j = load<i32>(p);
    store<i32>(p, j + 1);
    store<u64>(keys2 + (<usize>j << 3), k);
    store<i32>(idx2 + (<usize>j << 2), load<i32>(idx + (<usize>i << 2)));
  }
  for (let b = LBFGSB_BUCKETS; b > 0; b--) store<i32>(start + (<usize>b << 2), load<i32>(start + (<usize>(b - 1) << 2)));
  store<i32>(start, 0);
}

/**
 * Sorts (keys, idx)[s..e) by key, stably (equal keys keep their order), in place; tmpKeys
 * and tmpIdx (same positions [s..e)) are scratch. Keys are compared by their low 48 bits
 * only (the run is one bucket of lbfgsb_bucket_f64, whose keys share the top 16).
 * Short runs: insertion sort; longer: LSD radix sort, one pass per byte that is not the
 * same for every key. count is scratch for 256 i32.
 */
export function lbfgsb_sort_run_f64(keys: usize, idx: usize, s: i32, e: i32, tmpKeys: usize, tmpIdx: usize, count: usize): void {
  const len = e - s;
  if (len < 2) return;
  if (len <= 48) {
    for (let i = s + 1; i < e; i++) {
      const k = load<u64>(keys + (<usize>i << 3));
      const v = load<i32>(idx + (<usize>i << 2));
      let j = i;
      while (j > s) {
        const kp = load<u64>(keys + (<usize>(j - 1) << 3));
        if (kp <= k) break;
        store<u64>(keys + (<usize>j << 3), kp);
        store<i32>(idx + (<usize>j << 2), load<i32>(idx + (<usize>(j - 1) << 2)));
        j--;
      }
      store<u64>(keys + (<usize>j << 3), k);
      store<i32>(idx + (<usize>j << 2), v);
    }
    return;
  }
  let srcK = keys, srcI = idx, dstK = tmpKeys, dstI = tmpIdx;
  for (let pass = 0; pass < 6; pass++) {
    const shift = <u64>(pass << 3);
    memory.fill(count, 0, 256 << 2);
    for (let i = s; i < e; i++) {
      const dgt = <usize>((load<u64>(srcK + (<usize>i << 3)) >>> shift) & 0xff);
      const p = count + (dgt << 2);
      store<i32>(p, load<i32>(p) + 1);
    }
    const first = <usize>((load<u64>(srcK + (<usize>s << 3)) >>> shift) & 0xff);
    if (load<i32>(count + (first << 2)) == len) continue;
    let sum = s;
    for (let dgt = 0; dgt < 256; dgt++) {
      const p = count + (<usize>dgt << 2);
      const c = load<i32>(p);
      store<i32>(p, sum);
      sum += c;
    }
    for (let i = s; i < e; i++) {
      const k = load<u64>(srcK + (<usize>i << 3));
      const p = count + (<usize>((k >>> shift) & 0xff) << 2);
      const j = load<i32>(p);
      store<i32>(p, j + 1);
      store<u64>(dstK + (<usize>j << 3), k);
      store<i32>(dstI + (<usize>j << 2), load<i32>(srcI + (<usize>i << 2)));
    }
    const tk = srcK; srcK = dstK; dstK = tk;
    const ti = srcI; srcI = dstI; dstI = ti;
  }
  if (srcK != keys) {
    memory.copy(keys + (<usize>s << 3), srcK + (<usize>s << 3), <usize>len << 3);
    memory.copy(idx + (<usize>s << 2), srcI + (<usize>s << 2), <usize>len << 2);
  }
}

/**
 * xcp[idx[j]] = (g[idx[j]] < 0 ? hi : lo)[idx[j]] for j < count: the coordinates the
 * Cauchy scan passed sit at the bound their direction −g runs into.
 */
export function lbfgsb_set_at_bound_f32(xcp: usize, idx: usize, count: i32, g: usize, lo: usize, hi: usize): void {
  for (let j = 0; j < count; j++) {
    const o = <usize>load<i32>(idx + (<usize>j << 2)) << 2;
    store<f32>(xcp + o, load<f32>(g + o) < 0 ? load<f32>(hi + o) : load<f32>(lo + o));
  }
}

/** The number of free coordinates, lo_i < x_i < hi_i. */
export function lbfgsb_count_free_f32(x: usize, lo: usize, hi: usize, n: i32): i32 {
  let c = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    if (v > load<f32>(lo + o) && v < load<f32>(hi + o)) c++;
  }
  return c;
}

/** r_i = 0 where x_i is not free (x_i ≤ lo_i or x_i ≥ hi_i); r may alias nothing else. */
export function lbfgsb_zero_active_f32(r: usize, x: usize, lo: usize, hi: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const free = v128.and(f32x4.gt(v, v128.load(lo + o)), f32x4.lt(v, v128.load(hi + o)));
    v128.store(r + o, v128.and(v128.load(r + o), free));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    if (!(v > load<f32>(lo + o) && v < load<f32>(hi + o))) store<f32>(r + o, 0);
  }
}

// Rows of W gathered per chunk of lbfgsb_gram_f32.
const GRAM_ROWS: i32 = 64;

/** Bytes of lbfgsb_gram_f32's workspace for c pairs: GRAM_ROWS rows of W, 2c f64 each, and a pad. */
export function lbfgsb_gram_workspace_bytes(c: i32): i32 {
  return (GRAM_ROWS * 2 * c + 8) << 3;
}

/**
 * G += sign · Σ w_i w_iᵀ over the coordinates i that are free (wantFree = 1) or not free
 * (wantFree = 0) at x, in increasing i, with w_i = (Y_0[i], …, Y_{c−1}[i], θS_0[i], …,
 * θS_{c−1}[i]) (f64; Y_j, S_j f32 vectors whose pointers are the i32 array ptrs, the c Y's
 * then the c S's). Entry by entry: G[a][b] += (sign·w_a)·w_b, rows with sign·w_a = 0
 * skipped — the same sums, in the same order, as the JS it replaces. G (2c × 2c f64,
 * row-major); work: lbfgsb_gram_workspace_bytes(c). The rows are gathered GRAM_ROWS at a
 * time and each entry block of G is summed over a chunk in registers (every entry still
 * adds its terms one by one, in increasing i).
 * tri = 1: only b ≥ a (rounded down to even) is summed and G[b][a] = G[a][b] copied after
 * — the same bits when G is symmetric on entry, no entry of G is −0 and every w_i is
 * finite: then (sign·w_a)·w_b = (sign·w_b)·w_a exactly, and the ±0 terms one order adds
 * where the other skips change no sum (a sum that starts other than −0 never becomes −0).
 * The caller checks that and passes tri = 0 otherwise.
 */
export function lbfgsb_gram_f32(
  x: usize, lo: usize, hi: usize, n: i32, wantFree: i32, ptrs: usize, c: i32, theta: f64, sign: f64, work: usize, G: usize, tri: i32,
): void {
  const k2 = c << 1;
  const stride = <usize>k2 << 3; // bytes per gathered row
  const want = wantFree != 0;
  let i = 0;
  while (i < n) {
    // Gather up to GRAM_ROWS rows w_i of the wanted set.
    let rows = 0;
    for (; i < n && rows < GRAM_ROWS; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(x + o);
      if ((v > load<f32>(lo + o) && v < load<f32>(hi + o)) != want) continue;
      const w = work + <usize>rows * stride;
      for (let j = 0; j < c; j++) {
        store<f64>(w + (<usize>j << 3), <f64>load<f32>(<usize>load<i32>(ptrs + (<usize>j << 2)) + o));
        store<f64>(w + (<usize>(c + j) << 3), theta * <f64>load<f32>(<usize>load<i32>(ptrs + (<usize>(c + j) << 2)) + o));
      }
      rows++;
    }
    if (rows == 0) break;
    const wEnd = work + <usize>rows * stride;
    for (let a = 0; a < k2; a++) {
      const row = G + (<usize>(a * k2) << 3);
      const wa0 = work + (<usize>a << 3);
      let b = tri != 0 ? a & ~1 : 0;
      // Blocks of 8 entries (4 f64x2 accumulators), then single pairs.
      for (; b + 8 <= k2; b += 8) {
        const pg = row + (<usize>b << 3);
        let c0 = v128.load(pg), c1 = v128.load(pg, 16), c2 = v128.load(pg, 32), c3 = v128.load(pg, 48);
        for (let w = work; w < wEnd; w += stride) {
          const wa = sign * load<f64>(wa0 + (w - work));
          if (wa == 0) continue;
          const va = f64x2.splat(wa);
          const pw = w + (<usize>b << 3);
          c0 = f64x2.add(c0, f64x2.mul(va, v128.load(pw)));
          c1 = f64x2.add(c1, f64x2.mul(va, v128.load(pw, 16)));
          c2 = f64x2.add(c2, f64x2.mul(va, v128.load(pw, 32)));
          c3 = f64x2.add(c3, f64x2.mul(va, v128.load(pw, 48)));
        }
        v128.store(pg, c0); v128.store(pg, c1, 16); v128.store(pg, c2, 32); v128.store(pg, c3, 48);
      }
      for (; b < k2; b += 2) {
        const pg = row + (<usize>b << 3);
        let c0 = v128.load(pg);
        for (let w = work; w < wEnd; w += stride) {
          const wa = sign * load<f64>(wa0 + (w - work));
          if (wa == 0) continue;
          c0 = f64x2.add(c0, f64x2.mul(f64x2.splat(wa), v128.load(w + (<usize>b << 3))));
        }
        v128.store(pg, c0);
      }
    }
  }
  if (tri != 0) {
    for (let a = 1; a < k2; a++) {
      for (let b = 0; b < a; b++) store<f64>(G + (<usize>(a * k2 + b) << 3), load<f64>(G + (<usize>(b * k2 + a) << 3)));
    }
  }
}

/**
 * The generalized-Cauchy-point scan: walks the breakpoints in increasing t — (keys2, idx2)
 * bucketed by lbfgsb_bucket_f64 (starts in start), each bucket put in order by
 * lbfgsb_sort_run_f64 (scratch keys, idx, count) when the scan reaches it — while the
 * model's minimizer along the path lies beyond the next breakpoint, updating the model
 * derivatives f′, f″ and the 2c-vectors p = Wᵀd, cv = Wᵀ(x(t) − x) (f64, in place) as each
 * coordinate b reaches its bound (Byrd et al. 1995, Alg. CP). M (2c × 2c f64, row-major)
 * is 0 when no pairs are stored (c = 0). st (f64): [f′, f″, f″₀, Δt_min, t_old, θ,
 * unbounded movers] in, [f′, f″, ·, Δt_min, t_old] out. wb, tmp: 2c f64 scratch.
 * Returns the number of breakpoints passed (they are idx2[0..count), in order).
 * Every f64 operation is the JS loop's, in its order.
 */
export function lbfgsb_cauchy_scan_f32(
  keys2: usize, idx2: usize, nb: i32, start: usize, keys: usize, idx: usize, count: usize,
  x: usize, g: usize, lo: usize, hi: usize, ptrs: usize, c: i32, M: usize, p: usize, cv: usize,
  wb: usize, tmp: usize, st: usize,
): i32 {
  const k2 = c << 1;
  let fp = load<f64>(st), fpp = load<f64>(st, 8);
  const fpp0 = load<f64>(st, 16);
  let dtm = load<f64>(st, 24), tOld = load<f64>(st, 32);
  const theta = load<f64>(st, 40);
  const unbounded = load<f64>(st, 48) > 0;
  const floor = EPS * fpp0;
  let next = 0, ready = 0, bucket = 0;
  while (next < nb) {
    if (next == ready) {
      // start[bucket] = ready: sort the next non-empty bucket.
      while (load<i32>(start + (<usize>(bucket + 1) << 2)) == ready) bucket++;
      bucket++;
      const end = load<i32>(start + (<usize>bucket << 2));
      lbfgsb_sort_run_f64(keys2, idx2, ready, end, keys, idx, count);
      ready = end;
    }
    const tb = load<f64>(keys2 + (<usize>next << 3));
    const dt = tb - tOld;
    if (dtm < dt) break;
    const o = <usize>load<i32>(idx2 + (<usize>next << 2)) << 2;
    next++;
    const gb = <f64>load<f32>(g + o);
    const xb = gb < 0 ? <f64>load<f32>(hi + o) : <f64>load<f32>(lo + o);
    const zb = xb - <f64>load<f32>(x + o);
    for (let j = 0; j < k2; j++) {
      const q = cv + (<usize>j << 3);
      store<f64>(q, load<f64>(q) + dt * load<f64>(p + (<usize>j << 3)));
    }
    let wMc: f64 = 0, wMp: f64 = 0, wMw: f64 = 0;
    if (c > 0) {
      for (let j = 0; j < c; j++) {
        store<f64>(wb + (<usize>j << 3), <f64>load<f32>(<usize>load<i32>(ptrs + (<usize>j << 2)) + o));
        store<f64>(wb + (<usize>(c + j) << 3), theta * <f64>load<f32>(<usize>load<i32>(ptrs + (<usize>(c + j) << 2)) + o));
      }
      for (let i = 0; i < k2; i++) { // tmp = M·w_b
        let s: f64 = 0;
        const row = M + (<usize>(i * k2) << 3);
        for (let j = 0; j < k2; j++) s += load<f64>(row + (<usize>j << 3)) * load<f64>(wb + (<usize>j << 3));
        store<f64>(tmp + (<usize>i << 3), s);
      }
      for (let j = 0; j < k2; j++) { const tj = load<f64>(tmp + (<usize>j << 3)); wMc += tj * load<f64>(cv + (<usize>j << 3)); }
      for (let j = 0; j < k2; j++) { const tj = load<f64>(tmp + (<usize>j << 3)); wMp += tj * load<f64>(p + (<usize>j << 3)); }
      for (let j = 0; j < k2; j++) { const tj = load<f64>(tmp + (<usize>j << 3)); wMw += tj * load<f64>(wb + (<usize>j << 3)); }
    }
    fp = fp + dt * fpp + gb * gb + theta * gb * zb - gb * wMc;
    fpp = fpp - theta * gb * gb - 2 * gb * wMp - gb * gb * wMw;
    fpp = max(floor, fpp);
    if (c > 0) {
      for (let j = 0; j < k2; j++) {
        const q = p + (<usize>j << 3);
        store<f64>(q, load<f64>(q) + gb * load<f64>(wb + (<usize>j << 3)));
      }
    }
    tOld = tb;
    dtm = next < nb || unbounded ? -fp / fpp : 0;
  }
  store<f64>(st, fp); store<f64>(st, fpp, 8); store<f64>(st, dtm, 24); store<f64>(st, tOld, 32);
  return next;
}
