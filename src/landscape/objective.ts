// The one interface every landscape tool is generic over: a differentiable loss of a
// flat parameter vector (the network's parameters, or an analytic test function).
import { KernelTypeError, KernelRangeError } from '../kernels/errors.js';

export interface Objective {
  /** Number of parameters. */
  n: number;
  /**
   * Returns f(x) and writes ∇f(x) into g (both of length n). x and g may be views of
   * Wasm memory, valid for this call only: an implementation that allocates (and may grow
   * the memory, detaching views) must note x.byteOffset/g.byteOffset first and re-derive
   * the views afterwards. Every entry of g must be written (it arrives filled with NaN).
   */
  evalGrad(x: Float32Array, g: Float32Array): number;
  /** Optional exact Hessian-vector product: out = ∇²f(x)·v. */
  hvp?(x: Float32Array, v: Float32Array, out: Float32Array): void;
}

/** −f, for maximizing f with a minimizer. */
export function negate(obj: Objective): Objective {
  const neg: Objective = {
    n: obj.n,
    evalGrad(x, g) {
      const f = obj.evalGrad(x, g);
      for (let i = 0; i < g.length; i++) g[i] = -g[i];
      return -f;
    },
  };
  if (obj.hvp) {
    const hvp = obj.hvp.bind(obj);
    neg.hvp = (x, v, out) => { hvp(x, v, out); for (let i = 0; i < out.length; i++) out[i] = -out[i]; };
  }
  return neg;
}

export function checkObjective(obj: unknown): Objective {
  const o = obj as Objective;
  if (typeof o !== 'object' || o === null || typeof o.evalGrad !== 'function')
    throw new KernelTypeError('obj', 'must be an Objective { n, evalGrad(x, g) }');
  if (!Number.isInteger(o.n) || o.n < 1) throw new KernelRangeError('obj.n', `must be an integer ≥ 1, got ${o.n}`);
  return o;
}

/** x must be a Float32Array of length n with no NaN/Infinity. */
export function checkPoint(name: string, x: unknown, n: number): Float32Array {
  if (!(x instanceof Float32Array)) throw new KernelTypeError(name, 'must be a Float32Array');
  if (x.length !== n) throw new KernelRangeError(name, `must have length n = ${n}, got ${x.length}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i])) throw new KernelRangeError(name, `entry ${i} is ${x[i]} (must be finite)`);
  }
  return x;
}
