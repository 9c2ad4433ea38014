// Per-parameter state vectors of an optimizer, allocated in Wasm memory next to the model.
import type { Kernels } from '../kernels/kernels.js';
import { OptimizerStateError, type OptimizerState } from './optimizer.js';

export class StateVectors {
  readonly ptrs: Record<string, number> = {};
  constructor(private readonly k: Kernels, readonly n: number, readonly names: string[]) {
    for (const name of names) this.ptrs[name] = k.arena.alloc(n * 4);
    this.zero();
  }

  view(name: string): Float32Array {
    return new Float32Array(this.k.memory.buffer, this.ptrs[name], this.n);
  }

  zero(): void {
    for (const name of this.names) this.view(name).fill(0);
  }

  copies(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const name of this.names) out[name] = this.view(name).slice();
    return out;
  }

  restore(s: OptimizerState): void {
    for (const name of this.names) {
      const v = s.vectors?.[name];
      if (!(v instanceof Float32Array)) throw new OptimizerStateError(`vectors.${name}`, 'missing or not a Float32Array');
      if (v.length !== this.n) throw new OptimizerStateError(`vectors.${name}`, `has ${v.length} values, the model has ${this.n} parameters`);
    }
    for (const name of this.names) this.view(name).set(s.vectors[name]);
  }

  dispose(): void {
    for (const name of this.names) this.k.arena.release(this.ptrs[name]);
  }
}
