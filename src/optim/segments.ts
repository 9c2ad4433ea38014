// The layer-wise slices of a model's flat parameter vector that LARS and LAMB scale
// separately: per layer (all of a layer's parameters: dense/conv weights with their bias,
// BN gamma with beta) or per tensor (weights, biases, gamma and beta each on their own).
import type { Model } from '../nn/model.js';
import { OptimizerOptionError } from './optimizer.js';

export interface ParamSlice { layer: number; name: string; offset: number; length: number }
export type SliceGranularity = 'layer' | 'tensor';

export function layerSlices(model: Pick<Model, 'layers' | 'numParams'>, granularity: SliceGranularity = 'layer'): ParamSlice[] {
  if (granularity !== 'layer' && granularity !== 'tensor') throw new OptimizerOptionError('granularity', `must be 'layer' or 'tensor', got ${JSON.stringify(granularity)}`);
  const out: ParamSlice[] = [];
  let off = 0;
  model.layers.forEach((l, i) => {
    const n = l.paramCount;
    if (n === 0) return;
    const units = l.outShape[l.outShape.length - 1];
    if (granularity === 'tensor' && (l.type === 'dense' || l.type === 'conv2d')) {
      out.push({ layer: i, name: `${i}:${l.type}.weight`, offset: off, length: n - units });
      out.push({ layer: i, name: `${i}:${l.type}.bias`, offset: off + n - units, length: units });
    } else if (granularity === 'tensor' && l.type === 'batchnorm') {
      out.push({ layer: i, name: `${i}:batchnorm.gamma`, offset: off, length: units });
      out.push({ layer: i, name: `${i}:batchnorm.beta`, offset: off + units, length: units });
    } else {
      out.push({ layer: i, name: `${i}:${l.type}`, offset: off, length: n });
    }
    off += n;
  });
  if (off !== model.numParams) throw new OptimizerOptionError('model', `layer parameter counts sum to ${off}, the model has ${model.numParams}`);
  return out;
}

/** Checks slices cover [0, n) in order without gaps or overlap. */
export function checkSlices(slices: readonly ParamSlice[], n: number): ParamSlice[] {
  if (!Array.isArray(slices) || slices.length === 0) throw new OptimizerOptionError('slices', 'must be a non-empty array of parameter slices');
  let off = 0;
  slices.forEach((s, i) => {
    if (!s || s.offset !== off || !Number.isInteger(s.length) || s.length < 1) {
      throw new OptimizerOptionError(`slices[${i}]`, `must start at ${off} with a positive integer length, got ${JSON.stringify(s)}`);
    }
    off += s.length;
  });
  if (off !== n) throw new OptimizerOptionError('slices', `cover ${off} parameters, the optimizer has ${n}`);
  return slices.map((s) => ({ ...s }));
}
