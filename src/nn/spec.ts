// The JSON-able description of a network and its validation. A spec is plain data so
// experiments can store it in their results and checkpoints can rebuild the model.
import { convGeometry } from './conv_geometry.js';
import { ModelSpecError } from './errors.js';

export type Padding = 'same' | 'valid';

export interface DenseSpec { type: 'dense'; units: number }
export interface Conv2dSpec {
  type: 'conv2d';
  filters: number;
  /** Kernel size: one number for square, or [KH, KW]. */
  kernel: number | [number, number];
  stride?: number | [number, number];
  padding?: Padding;
}
/**
 * Batch normalization over the last (feature / channel) axis. `momentum` uses the PyTorch
 * convention (running = (1 − m)·running + m·batch); the defaults 0.01 and eps 1e-3 equal
 * Keras' BatchNormalization(momentum=0.99, epsilon=1e-3), which the paper's code used.
 */
export interface BatchNormSpec { type: 'batchnorm'; momentum?: number; eps?: number }
export interface ReluSpec { type: 'relu' }
export interface MaxPoolSpec {
  type: 'maxpool';
  size: number | [number, number];
  /** Defaults to the pool size (non-overlapping windows), as in Keras. */
  stride?: number | [number, number];
  padding?: Padding;
}
/** Inverted dropout: kept units are scaled by 1/(1 − rate); identity at evaluation. */
export interface DropoutSpec { type: 'dropout'; rate: number }
export interface FlattenSpec { type: 'flatten' }

export type LayerSpec = DenseSpec | Conv2dSpec | BatchNormSpec | ReluSpec | MaxPoolSpec | DropoutSpec | FlattenSpec;

/**
 * A network: per-sample input shape ([d] for features, [H, W, C] for NHWC images) and its
 * layers. The last layer must produce a 1-D output: the logits of a softmax cross-entropy.
 */
export interface ModelSpec {
  name?: string;
  input: number[];
  layers: LayerSpec[];
}

const LAYER_TYPES = ['dense', 'conv2d', 'batchnorm', 'relu', 'maxpool', 'dropout', 'flatten'];

const ALLOWED_KEYS: Record<string, string[]> = {
  dense: ['units'],
  conv2d: ['filters', 'kernel', 'stride', 'padding'],
  batchnorm: ['momentum', 'eps'],
  relu: [],
  maxpool: ['size', 'stride', 'padding'],
  dropout: ['rate'],
  flatten: [],
};

function isPosInt(v: unknown, max = 1 << 24): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
}

function pair(field: string, v: unknown, what: string): [number, number] {
  if (isPosInt(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && isPosInt(v[0]) && isPosInt(v[1])) return [v[0], v[1]];
  throw new ModelSpecError(field, `${what} must be a positive integer or a pair [h, w] of them, got ${JSON.stringify(v)}`);
}

function padding(field: string, v: unknown): Padding {
  if (v === undefined) return 'valid';
  if (v === 'same' || v === 'valid') return v;
  throw new ModelSpecError(field, `must be 'same' or 'valid', got ${JSON.stringify(v)}`);
}

/** A layer spec with every default filled in, plus the shapes it maps between. */
export type ResolvedLayer =
  | { type: 'dense'; inShape: number[]; outShape: number[]; units: number }
  | { type: 'conv2d'; inShape: number[]; outShape: number[]; filters: number; KH: number; KW: number; SH: number; SW: number; padT: number; padL: number }
  | { type: 'batchnorm'; inShape: number[]; outShape: number[]; momentum: number; eps: number }
  | { type: 'relu'; inShape: number[]; outShape: number[] }
  | { type: 'maxpool'; inShape: number[]; outShape: number[]; KH: number; KW: number; SH: number; SW: number; padT: number; padL: number }
  | { type: 'dropout'; inShape: number[]; outShape: number[]; rate: number }
  | { type: 'flatten'; inShape: number[]; outShape: number[] };

/**
 * Checks a spec and infers every layer's shapes. Throws ModelSpecError naming the first
 * bad field (`input`, `layers[2].units`, …).
 */
export function resolveSpec(spec: unknown): ResolvedLayer[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new ModelSpecError('spec', `must be an object, got ${JSON.stringify(spec)}`);
  const s = spec as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!['name', 'input', 'layers'].includes(key)) throw new ModelSpecError(key, `unknown field (expected name, input, layers)`);
  if (s.name !== undefined && typeof s.name !== 'string') throw new ModelSpecError('name', `must be a string, got ${JSON.stringify(s.name)}`);
  const input = s.input;
  if (!Array.isArray(input) || input.length === 0 || input.length > 3 || !input.every((d) => isPosInt(d))) {
    throw new ModelSpecError('input', `must be [d] or [H, W, C] with positive integers, got ${JSON.stringify(input)}`);
  }
  if (!Array.isArray(s.layers) || s.layers.length === 0) throw new ModelSpecError('layers', `must be a non-empty array, got ${JSON.stringify(s.layers)}`);
  let shape = (input as number[]).slice();
  const out: ResolvedLayer[] = [];
  s.layers.forEach((raw: unknown, i: number) => {
    const f = `layers[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelSpecError(f, `must be an object, got ${JSON.stringify(raw)}`);
    const l = raw as Record<string, unknown>;
    if (typeof l.type !== 'string' || !LAYER_TYPES.includes(l.type)) {
      throw new ModelSpecError(`${f}.type`, `must be one of ${LAYER_TYPES.join(', ')}, got ${JSON.stringify(l.type)}`);
    }
    const type = l.type;
    for (const key of Object.keys(l)) {
      if (key !== 'type' && !ALLOWED_KEYS[type].includes(key)) throw new ModelSpecError(`${f}.${key}`, `unknown field for a ${type} layer (allowed: ${ALLOWED_KEYS[type].join(', ') || 'none'})`);
    }
    const inShape = shape;
    const needImage = (): [number, number, number] => {
      if (inShape.length !== 3) throw new ModelSpecError(f, `${type} needs an [H, W, C] input, got shape [${inShape}]`);
      return inShape as [number, number, number];
    };
    switch (type) {
      case 'dense': {
        if (!isPosInt(l.units)) throw new ModelSpecError(`${f}.units`, `must be a positive integer, got ${JSON.stringify(l.units)}`);
        if (inShape.length !== 1) throw new ModelSpecError(f, `dense needs a 1-D input, got shape [${inShape}]; insert {"type":"flatten"} before it`);
        shape = [l.units];
        out.push({ type, inShape, outShape: shape, units: l.units });
        break;
      }
      case 'conv2d': {
        const [H, W] = needImage();
        if (!isPosInt(l.filters)) throw new ModelSpecError(`${f}.filters`, `must be a positive integer, got ${JSON.stringify(l.filters)}`);
        const [KH, KW] = pair(`${f}.kernel`, l.kernel, 'kernel');
        const [SH, SW] = l.stride === undefined ? [1, 1] : pair(`${f}.stride`, l.stride, 'stride');
        const pad = padding(`${f}.padding`, l.padding);
        if (pad === 'valid' && (KH > H || KW > W)) throw new ModelSpecError(`${f}.kernel`, `${KH}×${KW} is larger than the ${H}×${W} input with 'valid' padding`);
        const g = convGeometry(H, W, KH, KW, SH, SW, pad);
        shape = [g.OH, g.OW, l.filters];
        out.push({ type, inShape, outShape: shape, filters: l.filters, KH, KW, SH, SW, padT: g.padT, padL: g.padL });
        break;
      }
      case 'maxpool': {
        const [H, W, C] = needImage();
        const [KH, KW] = pair(`${f}.size`, l.size, 'size');
        const [SH, SW] = l.stride === undefined ? [KH, KW] : pair(`${f}.stride`, l.stride, 'stride');
        const pad = padding(`${f}.padding`, l.padding);
        if (pad === 'valid' && (KH > H || KW > W)) throw new ModelSpecError(`${f}.size`, `${KH}×${KW} is larger than the ${H}×${W} input with 'valid' padding`);
        const g = convGeometry(H, W, KH, KW, SH, SW, pad);
        shape = [g.OH, g.OW, C];
        out.push({ type, inShape, outShape: shape, KH, KW, SH, SW, padT: g.padT, padL: g.padL });
        break;
      }
      case 'batchnorm': {
        const momentum = l.momentum ?? 0.01, eps = l.eps ?? 1e-3;
        if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new ModelSpecError(`${f}.momentum`, `must be a number in [0, 1], got ${JSON.stringify(l.momentum)}`);
        if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) throw new ModelSpecError(`${f}.eps`, `must be a number in (0, 1), got ${JSON.stringify(l.eps)}`);
        if (inShape.length === 2) throw new ModelSpecError(f, `batchnorm needs a [d] or [H, W, C] input, got shape [${inShape}]`);
        out.push({ type, inShape, outShape: shape, momentum, eps });
        break;
      }
      case 'dropout': {
        if (typeof l.rate !== 'number' || !(l.rate >= 0 && l.rate < 1)) throw new ModelSpecError(`${f}.rate`, `must be a number in [0, 1), got ${JSON.stringify(l.rate)}`);
        out.push({ type, inShape, outShape: shape, rate: l.rate });
        break;
      }
      case 'relu':
        out.push({ type, inShape, outShape: shape });
        break;
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        out.push({ type, inShape, outShape: shape });
        break;
    }
  });
  if (shape.length !== 1) throw new ModelSpecError(`layers[${out.length - 1}]`, `the last layer must output 1-D logits, got shape [${shape}]`);
  if (shape[0] < 2) throw new ModelSpecError(`layers[${out.length - 1}]`, `the logits need at least 2 classes, got ${shape[0]}`);
  return out;
}

/** Element count of a shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
