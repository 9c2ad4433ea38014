// Sharpness-aware minimization (Foret et al. 2021): with g the batch gradient at x, move to
// x + ε̂, ε̂ = ρ·g/‖g‖ (the first-order worst case in the ρ-ball), take the gradient there,
// come back to x exactly (a saved copy, not x + ε̂ − ε̂, which rounds), and let the base
// optimizer step at x with that gradient. Flat vectors, a few kernel calls.
import type { Kernels } from '../kernels/kernels.js';
import { checkHyper } from './optimizer.js';

export class SamPerturbation {
  readonly rho: number;
  private readonly saved: number;
  private disposed = false;

  constructor(private readonly k: Kernels, readonly n: number, rho: number) {
    this.rho = checkHyper('rho', rho, 0, Infinity, true);
    this.saved = k.arena.alloc(n * 4);
  }

  /**
   * Saves params, then params += ρ·g/‖g‖. Returns ‖g‖ (0: no move, a zero gradient has no
   * ascent direction). `norm` given: these n values are a slice of a longer gradient whose
   * norm it is (data-parallel workers each move their slice).
   */
  perturb(params: number, grads: number, norm = Math.sqrt(this.k.exports.sumsq_f32(grads, this.n))): number {
    const e = this.k.exports;
    e.copy_f32(this.n, params, this.saved);
    if (norm > 0) e.axpy_f32(this.n, this.rho / norm, grads, params);
    return norm;
  }

  /** params = the copy saved by the last perturb. */
  restore(params: number): void {
    this.k.exports.copy_f32(this.n, this.saved, params);
  }

  dispose(): void {
    if (this.disposed) return;
    this.k.arena.release(this.saved);
    this.disposed = true;
  }
}
