// What a layer owns in the model's flat vectors, declared once per layer: each tensor's name,
// shape and role, in storage order. Trained tensors (weights, biases, BN gamma/beta) go to the
// parameter vector (and its gradient twin); running statistics go to the buffer vector (saved,
// never trained). The layer binds its pointers from this list and the model builds its
// parameter table (param_table.ts) from it, so optimizers' slices, filter normalization,
// checkpoints and error messages never re-derive a layer's layout.

/**
 * What a tensor is for. 'weight': a dense [in, out] or conv HWIO [KH][KW][C][OC] kernel whose
 * entry i belongs to output unit/filter i % out (filter normalization rescales per unit);
 * 'bias', 'gamma' (BN scale), 'beta' (BN shift): one value per unit; 'running-mean' and
 * 'running-var': BN statistics in the buffer vector.
 */
export type TensorRole = 'weight' | 'bias' | 'gamma' | 'beta' | 'running-mean' | 'running-var';

/** Roles of trained tensors (the parameter vector); the rest live in the buffer vector. */
export type ParamRole = Extract<TensorRole, 'weight' | 'bias' | 'gamma' | 'beta'>;

export interface TensorDecl {
  /** The tensor's name within its layer ('weight', 'bias', 'gamma', 'running_mean', …). */
  readonly name: string;
  /** Row-major; the last axis is the unit (output neuron, filter or channel) axis. */
  readonly shape: readonly number[];
  readonly role: TensorRole;
}

/** Which flat vector a tensor of this role lives in. */
export function storeOf(role: TensorRole): 'params' | 'buffers' {
  return role === 'running-mean' || role === 'running-var' ? 'buffers' : 'params';
}

export function tensorSize(t: TensorDecl): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** Floats the declared tensors take in one store. */
export function storeCount(tensors: readonly TensorDecl[], store: 'params' | 'buffers'): number {
  let n = 0;
  for (const t of tensors) if (storeOf(t.role) === store) n += tensorSize(t);
  return n;
}

/**
 * Byte offsets of the tensors of one store, laid out in declaration order from `base` (a
 * pointer to this layer's slice of the params, grads, direction or buffer vector).
 */
export function tensorPointers(base: number, tensors: readonly TensorDecl[], store: 'params' | 'buffers'): number[] {
  const out: number[] = [];
  let p = base;
  for (const t of tensors) {
    if (storeOf(t.role) !== store) continue;
    out.push(p);
    p += tensorSize(t) * 4;
  }
  return out;
}
