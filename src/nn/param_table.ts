// A model's tensor table: every tensor its layers declare (tensors.ts), with where it sits in
// the flat parameter or buffer vector. Everything that walks a model's parameters reads this
// one table: LARS/LAMB slices (optim/slices.ts), filter normalization (landscape/surface.ts),
// BN statistics re-estimation, and the error messages that name a bad entry.
import { KernelRangeError } from '../kernels/errors.js';
import type { Layer } from './layer.js';
import { storeOf, tensorSize, type ParamRole, type TensorRole } from './tensors.js';

export interface TableTensor {
  /** Index of the layer in model.layers, and its type. */
  layer: number;
  layerType: string;
  name: string;
  role: TensorRole;
  shape: readonly number[];
  store: 'params' | 'buffers';
  /** First float in its flat vector, and how many. */
  offset: number;
  length: number;
  /** Size of the last axis: entry offset + i belongs to unit (neuron, filter, channel) i % units. */
  units: number;
}

/** A row of the parameter table (a trained tensor). */
export interface ParamTensor extends TableTensor { role: ParamRole; store: 'params' }

/** Rows of one store, in vector order; checks that they add up to the layers' counts. */
export function tensorTable(layers: readonly Layer[], store: 'params' | 'buffers'): TableTensor[] {
  const rows: TableTensor[] = [];
  let off = 0;
  layers.forEach((l, i) => {
    const start = off;
    for (const t of l.tensors) {
      if (storeOf(t.role) !== store) continue;
      const length = tensorSize(t);
      rows.push({ layer: i, layerType: l.type, name: t.name, role: t.role, shape: t.shape.slice(), store, offset: off, length, units: t.shape[t.shape.length - 1] });
      off += length;
    }
    const declared = store === 'params' ? l.paramCount : l.bufferCount;
    if (off - start !== declared) throw new KernelRangeError('model', `layer ${i} (${l.type}) declares tensors of ${off - start} ${store} floats but owns ${declared}`);
  });
  return rows;
}

/** "layer 3 (dense) weight, entry 17" for flat index i of a vector laid out like `rows`. */
export function describeParam(rows: readonly TableTensor[], i: number): string {
  for (const s of rows) {
    if (i >= s.offset && i < s.offset + s.length) return `layer ${s.layer} (${s.layerType}) ${s.name}, entry ${i - s.offset}`;
  }
  return `flat index ${i}`;
}

/** Throws KernelRangeError naming the first non-finite entry (by its tensor) of a model parameter vector. */
export function checkFiniteParams(model: { numParams: number; paramTensors: readonly ParamTensor[] }, x: Float32Array, name = 'params'): void {
  if (!(x instanceof Float32Array)) throw new KernelRangeError(name, 'must be a Float32Array');
  if (x.length !== model.numParams) throw new KernelRangeError(name, `must have length ${model.numParams} (the model's parameter count), got ${x.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new KernelRangeError(name, `entry ${i} is ${x[i]} (${describeParam(model.paramTensors, i)}); parameters must be finite`);
    }
  }
}

/** @deprecated Read `model.paramTensors` (this returns a copy of it). Kept for the landscape API. */
export function paramLayout(model: { paramTensors: readonly ParamTensor[] }): ParamTensor[] {
  return model.paramTensors.slice();
}

/** @deprecated The rows of `model.paramTensors` are ParamTensor. */
export type ParamSegment = ParamTensor;
