// Output size and padding of a 2-D convolution or pooling window, TensorFlow's rules:
//   'valid': OH = ⌈(H − KH + 1)/SH⌉, no padding (the window must fit: KH ≤ H).
//   'same':  OH = ⌈H/SH⌉, total padding max((OH − 1)·SH + KH − H, 0), the smaller half
//            on top/left (padT = ⌊total/2⌋), the extra cell at the bottom/right.
import { KernelRangeError, KernelTypeError } from '../kernels/errors.js';

export type ConvPadding = 'same' | 'valid';

export interface ConvGeometry {
  OH: number; OW: number;
  padT: number; padL: number; padB: number; padR: number;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new KernelTypeError(name, `must be a number, got ${typeof v === 'number' ? 'NaN' : typeof v}`);
  if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) throw new KernelRangeError(name, `must be a positive integer below 2^31, got ${v}`);
  return v;
}

function axis(n: number, k: number, s: number, padding: ConvPadding, kName: string): [out: number, before: number, after: number] {
  if (padding === 'valid') {
    if (k > n) throw new KernelRangeError(kName, `window ${k} is larger than the input extent ${n} with 'valid' padding`);
    return [Math.ceil((n - k + 1) / s), 0, 0];
  }
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  const before = Math.floor(total / 2);
  return [out, before, total - before];
}

export function convGeometry(H: number, W: number, KH: number, KW: number, SH: number, SW: number, padding: ConvPadding): ConvGeometry {
  positiveInt('H', H); positiveInt('W', W);
  positiveInt('KH', KH); positiveInt('KW', KW);
  positiveInt('SH', SH); positiveInt('SW', SW);
  if (padding !== 'same' && padding !== 'valid') {
    throw new KernelRangeError('padding', `must be 'same' or 'valid', got ${JSON.stringify(padding)}`);
  }
  const [OH, padT, padB] = axis(H, KH, SH, padding, 'KH');
  const [OW, padL, padR] = axis(W, KW, SW, padding, 'KW');
  return { OH, OW, padT, padL, padB, padR };
}
