// Checkpoints: everything needed to resume a run bit for bit (parameters, BN running stats,
// optimizer state, RNG state, dropout counter, epoch/step, the spec and the history so far)
// in one binary file:
//
//   0  "LBGAPCKP"         magic (8 bytes)
//   8  u32 version        (1)
//   12 u32 headerBytes    UTF-8 JSON header length
//   16 u32 payloadBytes   f32 payload length (little-endian floats)
//   20 u32 crc32          of every byte from 24 to the end
//   24 header JSON, zero-padded to a multiple of 4, then the payload
//
// The header lists the payload sections by name, offset and length (in floats), and where
// each tensor of the model's table (nn/param_table.ts) sits in the params and buffers sections,
// so a reader finds a tensor by name and a resume refuses a layout this build does not share.
// Files are written atomically (temporary file, fsync, rename), so a crash leaves the old checkpoint.
import type { ModelSpec } from '../nn/spec.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { RngState } from '../util/rng.js';
import { crc32 } from './crc32.js';
import { CheckpointError } from './errors.js';
import type { EpochMetrics } from './metrics.js';
import type { Store } from './store.js';

export const CHECKPOINT_MAGIC = 'LBGAPCKP';
export const CHECKPOINT_VERSION = 1;
const FIXED = 24;

export interface Checkpoint {
  spec: ModelSpec;
  /** Epochs completed and optimizer steps taken. */
  epoch: number;
  step: number;
  /** State of the trainer's shuffling RNG after `epoch` epochs. */
  rng: RngState;
  dropoutBase: number;
  trainForwards: number;
  params: Float32Array;
  buffers: Float32Array;
  optimizer: OptimizerState;
  history: EpochMetrics[];
  /** The options of the run (batch size, seed, optimizer, lr…), for reference and checks. */
  run: Record<string, unknown>;
  /** Where each tensor sits in params/buffers (snapshot.ts checkpointTensors); absent in checkpoints written before it was recorded. */
  tensors?: CheckpointTensor[];
}

interface Section { name: string; offset: number; length: number }

/** One tensor of the model's table in the params or buffers section ("3:dense.weight", offsets in floats). */
export interface CheckpointTensor { name: string; role: string; shape: number[]; section: 'params' | 'buffers'; offset: number; length: number }

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const arrays: [string, Float32Array][] = [['params', c.params], ['buffers', c.buffers]];
  for (const [name, v] of Object.entries(c.optimizer.vectors)) arrays.push([`optimizer.${name}`, v]);
  const sections: Section[] = [];
  let floats = 0;
  for (const [name, v] of arrays) { sections.push({ name, offset: floats, length: v.length }); floats += v.length; }
  const header = {
    spec: c.spec, epoch: c.epoch, step: c.step, rng: c.rng, dropoutBase: c.dropoutBase, trainForwards: c.trainForwards,
    optimizer: { type: c.optimizer.type, t: c.optimizer.t, hyper: c.optimizer.hyper, vectors: Object.keys(c.optimizer.vectors) },
    history: c.history, run: c.run, sections, tensors: c.tensors,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 4) * 4;
  const payloadBytes = floats * 4;
  const out = new Uint8Array(FIXED + headerBytes + payloadBytes);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = CHECKPOINT_MAGIC.charCodeAt(i);
  dv.setUint32(8, CHECKPOINT_VERSION, true);
  dv.setUint32(12, headerBytes, true);
  dv.setUint32(16, payloadBytes, true);
  out.set(json, FIXED);
  out.fill(0x20, FIXED + json.length, FIXED + headerBytes); // pad with spaces: still valid JSON
  const payload = new Float32Array(out.buffer, FIXED + headerBytes, floats);
  for (const [i, [, v]] of arrays.entries()) payload.set(v, sections[i].offset);
  if (!littleEndian()) throw new Error('checkpoints are little-endian; big-endian hosts are not supported');
  dv.setUint32(20, crc32(out.subarray(FIXED)), true);
  return out;
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

/** Parses and verifies a checkpoint; `path` names it in errors. */
export function decodeCheckpoint(bytes: Uint8Array, path = '<buffer>'): Checkpoint {
  if (bytes.length < FIXED) throw new CheckpointError(path, `truncated: ${bytes.length} bytes is shorter than the ${FIXED}-byte preamble`);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== CHECKPOINT_MAGIC.charCodeAt(i)) throw new CheckpointError(path, `not an lbgap checkpoint (bad magic; expected "${CHECKPOINT_MAGIC}")`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw new CheckpointError(path, `unsupported version ${version} (this build reads version ${CHECKPOINT_VERSION})`);
  const headerBytes = dv.getUint32(12, true), payloadBytes = dv.getUint32(16, true);
  const expected = FIXED + headerBytes + payloadBytes;
  if (headerBytes % 4 || payloadBytes % 4) throw new CheckpointError(path, `corrupt preamble: section sizes ${headerBytes}/${payloadBytes} are not multiples of 4`);
  if (bytes.length < expected) throw new CheckpointError(path, `truncated: ${bytes.length} bytes, the preamble announces ${expected}`);
  if (bytes.length > expected) throw new CheckpointError(path, `corrupt: ${bytes.length - expected} unexpected trailing bytes after ${expected}`);
  const stored = dv.getUint32(20, true), actual = crc32(bytes.subarray(FIXED));
  if (stored !== actual) throw new CheckpointError(path, `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupt`);
  let h: Record<string, any>;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED, FIXED + headerBytes)));
  } catch (e) {
    throw new CheckpointError(path, `corrupt header: ${(e as Error).message}`, { cause: e });
  }
  const floats = payloadBytes / 4;
  // Copy the payload out so the arrays are aligned and independent of `bytes`.
  const payload = new Float32Array(floats);
  new Uint8Array(payload.buffer).set(bytes.subarray(FIXED + headerBytes, expected));
  const sections = new Map<string, Float32Array>();
  if (!Array.isArray(h.sections)) throw new CheckpointError(path, 'corrupt header: no sections list');
  for (const s of h.sections as Section[]) {
    if (typeof s?.name !== 'string' || !Number.isInteger(s.offset) || !Number.isInteger(s.length) || s.offset < 0 || s.length < 0 || s.offset + s.length > floats) {
      throw new CheckpointError(path, `corrupt header: bad section ${JSON.stringify(s)}`);
    }
    sections.set(s.name, payload.subarray(s.offset, s.offset + s.length));
  }
  const need = (name: string) => {
    const v = sections.get(name);
    if (!v) throw new CheckpointError(path, `corrupt header: section "${name}" missing`);
    return v;
  };
  for (const f of ['epoch', 'step', 'dropoutBase', 'trainForwards'] as const) {
    if (!Number.isInteger(h[f]) || h[f] < 0) throw new CheckpointError(path, `corrupt header: ${f} must be a non-negative integer, got ${JSON.stringify(h[f])}`);
  }
  if (!Array.isArray(h.rng) || h.rng.length !== 4 || !h.rng.every((v: unknown) => Number.isInteger(v))) throw new CheckpointError(path, 'corrupt header: rng must be four integers');
  if (typeof h.spec !== 'object' || h.spec === null) throw new CheckpointError(path, 'corrupt header: spec missing');
  const o = h.optimizer;
  if (typeof o?.type !== 'string' || !Array.isArray(o.vectors)) throw new CheckpointError(path, 'corrupt header: optimizer state missing');
  const vectors: Record<string, Float32Array> = {};
  for (const name of o.vectors as string[]) vectors[name] = need(`optimizer.${name}`);
  const tensors = h.tensors === undefined ? undefined : checkTensors(h.tensors, { params: need('params').length, buffers: need('buffers').length }, path);
  return {
    spec: h.spec, epoch: h.epoch, step: h.step, rng: h.rng as RngState, dropoutBase: h.dropoutBase, trainForwards: h.trainForwards,
    params: need('params'), buffers: need('buffers'),
    optimizer: { type: o.type, t: o.t, hyper: o.hyper, vectors },
    history: Array.isArray(h.history) ? h.history : [], run: h.run ?? {},
    ...(tensors ? { tensors } : {}),
  };
}

/** The header's tensor list, each entry inside its section with a shape that matches its length. */
function checkTensors(list: unknown, sizes: Record<'params' | 'buffers', number>, path: string): CheckpointTensor[] {
  if (!Array.isArray(list)) throw new CheckpointError(path, 'corrupt header: tensors must be a list');
  for (const t of list as CheckpointTensor[]) {
    const ok = typeof t?.name === 'string' && typeof t.role === 'string' && (t.section === 'params' || t.section === 'buffers')
      && Number.isInteger(t.offset) && Number.isInteger(t.length) && t.offset >= 0 && t.length >= 0 && t.offset + t.length <= sizes[t.section]
      && Array.isArray(t.shape) && t.shape.every((d) => Number.isInteger(d) && d > 0) && t.shape.reduce((a, b) => a * b, 1) === t.length;
    if (!ok) throw new CheckpointError(path, `corrupt header: bad tensor entry ${JSON.stringify(t)}`);
  }
  return list as CheckpointTensor[];
}

function hex(v: number): string {
  return '0x' + v.toString(16).padStart(8, '0');
}

/** Writes a checkpoint atomically: a temporary file in the same directory, fsync, rename. */
export async function saveCheckpoint(path: string, c: Checkpoint): Promise<void> {
  const fs = await import('node:fs/promises');
  const bytes = encodeCheckpoint(c);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new CheckpointError(path, `cannot write: ${(e as Error).message}`, { cause: e });
  }
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const fs = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    throw new CheckpointError(path, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  return decodeCheckpoint(bytes, path);
}

/** Writes a checkpoint atomically into a store (store.ts) under `name`. */
export async function writeCheckpoint(store: Store, name: string, c: Checkpoint): Promise<void> {
  const bytes = encodeCheckpoint(c);
  try {
    await store.write(name, bytes);
  } catch (e) {
    throw new CheckpointError(store.where(name), `cannot write: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads and verifies the checkpoint `name` of a store (a missing one is a CheckpointError). */
export async function readCheckpoint(store: Store, name: string): Promise<Checkpoint> {
  let bytes: Uint8Array | null;
  try {
    bytes = await store.read(name);
  } catch (e) {
    throw new CheckpointError(store.where(name), `cannot read: ${(e as Error).message}`, { cause: e });
  }
  if (!bytes) throw new CheckpointError(store.where(name), 'cannot read: no such file or folder');
  return decodeCheckpoint(bytes, store.where(name));
}
