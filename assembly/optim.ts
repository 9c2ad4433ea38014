// Optimizer steps over the flat parameter vector (one call per step for the whole model).
import { madd } from './simd';

/**
 * Adam (L2 weight decay added to the gradient, not AdamW), elementwise:
 *   g' = g + wd·p;  m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²
 *   p −= lr·(m/bc1) / (√(v/bc2) + eps)
 * bc1 = 1 − β1ᵗ and bc2 = 1 − β2ᵗ come from the caller (t counts from 1); β1, β2, bc1, bc2 are
 * f64 so that 1 − β and 1/bc are computed before rounding to f32. grads is read-only.
 */
export function adam_step_f32(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f64, beta2: f64, eps: f32, bc1: f64, bc2: f64, weight_decay: f32,
): void {
  // 1 − β and 1/bc in f64, each rounded to f32 once: 1 − f32(0.999) would be 0.00099998713,
  // a 1.3e-5 relative error in (1 − β2) and 6.8e-6 in the first update.
  const b1s = <f32>beta1, c1s = <f32>(1 - beta1), b2s = <f32>beta2, c2s = <f32>(1 - beta2);
  const ib1s = <f32>(1 / bc1), ib2s = <f32>(1 / bc2);
  const b1 = f32x4.splat(b1s), c1 = f32x4.splat(c1s);
  const b2 = f32x4.splat(b2s), c2 = f32x4.splat(c2s);
  const wd = f32x4.splat(weight_decay), ev = f32x4.splat(eps);
  const ib1 = f32x4.splat(ib1s), ib2 = f32x4.splat(ib2s), lrv = f32x4.splat(lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(params + o);
    const g = madd(wd, p, v128.load(grads + o));
    const mi = madd(b1, v128.load(m + o), f32x4.mul(c1, g));
    const vi = madd(b2, v128.load(v + o), f32x4.mul(c2, f32x4.mul(g, g)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vi, ib2)), ev);
    v128.store(params + o, f32x4.sub(p, f32x4.div(f32x4.mul(lrv, f32x4.mul(mi, ib1)), den)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(params + o);
    const g = weight_decay * p + load<f32>(grads + o);
    const mi = b1s * load<f32>(m + o) + c1s * g;
    const vi = b2s * load<f32>(v + o) + c2s * (g * g);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(params + o, p - (lr * (mi * ib1s)) / (Mathf.sqrt(vi * ib2s) + eps));
  }
}

/**
 * SGD with momentum, PyTorch semantics (dampening 0): g' = g + wd·p; vel = μ·vel + g';
 * p −= lr·(nesterov ? g' + μ·vel : vel). grads is read-only.
 */
export function sgd_momentum_step_f32(
  params: usize, grads: usize, vel: usize, n: i32,
  lr: f32, momentum: f32, nesterov: i32, weight_decay: f32,
): void {
  const mu = f32x4.splat(momentum), wd = f32x4.splat(weight_decay), lrv = f32x4.splat(lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(params + o);
    const g = madd(wd, p, v128.load(grads + o));
    const b = madd(mu, v128.load(vel + o), g);
    v128.store(vel + o, b);
    const step = nesterov ? madd(mu, b, g) : b;
    v128.store(params + o, f32x4.sub(p, f32x4.mul(lrv, step)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(params + o);
    const g = weight_decay * p + load<f32>(grads + o);
    const b = momentum * load<f32>(vel + o) + g;
    store<f32>(vel + o, b);
    const step = nesterov ? momentum * b + g : b;
    store<f32>(params + o, p - lr * step);
  }
}
