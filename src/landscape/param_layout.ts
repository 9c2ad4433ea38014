// Where each layer's tensors sit in a Model's flat parameter vector, and what they are:
// weights (dense [in, out] or conv HWIO [KH][KW][C][OC]: in both the output unit/filter of
// entry i is i % out), biases, and batch-norm gamma/beta. Used to name a bad entry in
// errors and to filter-normalize directions (Li et al. 2018).
import type { Model } from '../nn/model.js';
import { KernelRangeError } from '../kernels/errors.js';

export type ParamRole = 'weight' | 'bias' | 'gamma' | 'beta';

export interface ParamSegment {
  /** Index of the layer in model.layers. */
  layer: number;
  layerType: string;
  role: ParamRole;
  /** First float in the flat vector, and how many. */
  offset: number;
  length: number;
  /** Output units / filters / channels: entry offset + i belongs to unit i % units. */
  units: number;
}

export function paramLayout(model: Model): ParamSegment[] {
  const segs: ParamSegment[] = [];
  let off = 0;
  model.layers.forEach((l, i) => {
    if (l.paramCount === 0) return;
    const out = l.outShape[l.outShape.length - 1];
    if (l.type === 'dense' || l.type === 'conv2d') {
      const w = l.paramCount - out;
      segs.push({ layer: i, layerType: l.type, role: 'weight', offset: off, length: w, units: out });
      segs.push({ layer: i, layerType: l.type, role: 'bias', offset: off + w, length: out, units: out });
    } else if (l.type === 'batchnorm') {
      segs.push({ layer: i, layerType: l.type, role: 'gamma', offset: off, length: out, units: out });
      segs.push({ layer: i, layerType: l.type, role: 'beta', offset: off + out, length: out, units: out });
    } else {
      throw new KernelRangeError('model', `layer ${i} (${l.type}) has ${l.paramCount} parameters of an unknown layout`);
    }
    off += l.paramCount;
  });
  if (off !== model.numParams) throw new KernelRangeError('model', `layer parameter counts sum to ${off}, the model has ${model.numParams}`);
  return segs;
}

/** "layer 3 (dense) weight, entry 17" for flat index i. */
export function describeParam(segs: ParamSegment[], i: number): string {
  for (const s of segs) {
    if (i >= s.offset && i < s.offset + s.length) return `layer ${s.layer} (${s.layerType}) ${s.role}, entry ${i - s.offset}`;
  }
  return `flat index ${i}`;
}

/** Throws KernelRangeError naming the first non-finite entry of a model parameter vector. */
export function checkFiniteParams(model: Model, x: Float32Array, name = 'params'): void {
  if (!(x instanceof Float32Array)) throw new KernelRangeError(name, 'must be a Float32Array');
  if (x.length !== model.numParams) throw new KernelRangeError(name, `must have length ${model.numParams} (the model's parameter count), got ${x.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new KernelRangeError(name, `entry ${i} is ${x[i]} (${describeParam(paramLayout(model), i)}); parameters must be finite`);
    }
  }
}
