// The slices of a model's flat parameter vector that LARS and LAMB scale separately, read
// from the model's parameter table (nn/param_table.ts): per layer (all of a layer's trained
// tensors: dense/conv weights with their bias, BN gamma with beta) or per tensor (each on its own).
import type { Model } from '../nn/model.js';
import { OptimizerOptionError } from './optimizer.js';

export interface ParamSlice { layer: number; name: string; offset: number; length: number }
export type SliceGranularity = 'layer' | 'tensor';

/** Slices named "3:dense" (per layer) or "3:dense.weight" (per tensor), in vector order. */
export function layerSlices(model: Pick<Model, 'paramTensors' | 'numParams'>, granularity: SliceGranularity = 'layer'): ParamSlice[] {
  if (granularity !== 'layer' && granularity !== 'tensor') throw new OptimizerOptionError('granularity', `must be 'layer' or 'tensor', got ${JSON.stringify(granularity)}`);
  const out: ParamSlice[] = [];
  for (const t of model.paramTensors) {
    const last = out[out.length - 1];
    if (granularity === 'layer' && last?.layer === t.layer) last.length += t.length;
    else out.push({ layer: t.layer, name: granularity === 'layer' ? `${t.layer}:${t.layerType}` : `${t.layer}:${t.layerType}.${t.name}`, offset: t.offset, length: t.length });
  }
  return checkSlices(out, model.numParams);
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
