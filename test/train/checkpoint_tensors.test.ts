// Checkpoints record the model's tensor table: each tensor's name, role, shape and place in
// the params/buffers sections; a resume refuses a layout that differs from this build's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { Adam } from '../../src/optim/adam.js';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint } from '../../src/train/checkpoint.js';
import { CheckpointError } from '../../src/train/errors.js';
import { checkpointTensors, modelFromCheckpoint, restore, snapshot } from '../../src/train/snapshot.js';
import { train } from '../../src/train/train.js';
import { Rng } from '../../src/util/rng.js';

const trainSet = syntheticClassification({ n: 200, dim: 8, classes: 3, seed: 11, kind: 'teacher', hidden: 16, name: 'teacher/train' });

describe('checkpoint tensor layout', () => {
  let k: Kernels;
  let dir: string;
  beforeAll(async () => { k = await loadKernels({ build: 'simd' }); dir = mkdtempSync(join(tmpdir(), 'lbgap-ckpt-tensors-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('train() writes the table: names, roles, shapes and offsets of every parameter and buffer tensor', async () => {
    const path = join(dir, 'run.ckpt');
    const m = Model.create(k, tiny(8, 3), { seed: 1 });
    await train(m, { train: trainSet }, { epochs: 1, batchSize: 50, checkpoint: { path }, trainEvalSamples: 50 });
    const c = await loadCheckpoint(path);
    expect(c.tensors).toEqual(checkpointTensors(m));
    expect(c.tensors!.slice(0, 4).map((t) => [t.name, t.role, t.shape, t.section, t.offset])).toEqual([
      ['0:dense.weight', 'weight', [8, 32], 'params', 0], ['0:dense.bias', 'bias', [32], 'params', 256],
      ['1:batchnorm.gamma', 'gamma', [32], 'params', 288], ['1:batchnorm.beta', 'beta', [32], 'params', 320],
    ]);
    expect(c.tensors!.filter((t) => t.section === 'buffers').map((t) => [t.name, t.offset, t.length])).toEqual([
      ['1:batchnorm.running_mean', 0, 32], ['1:batchnorm.running_var', 32, 32],
    ]);
    const bias = c.tensors!.find((t) => t.name === '5:dense.bias')!;
    expect(c.params.subarray(bias.offset, bias.offset + bias.length)).toEqual(m.params.view().subarray(bias.offset, bias.offset + bias.length));
    m.dispose();
  });

  it('a checkpoint whose layout differs is refused naming the tensor; one without a layout (older) still loads', () => {
    const m = Model.create(k, tiny(8, 3), { seed: 2 });
    const opt = new Adam(k, m.numParams);
    const good = encodeCheckpoint(snapshot(m, opt, new Rng(1), 0, 0, [], {}));
    const c = decodeCheckpoint(good);
    // Weight and bias of layer 0 swapped: same sizes overall, floats would land in the wrong tensors.
    const [w, b] = c.tensors!;
    const swapped = { ...c, tensors: [{ ...b, offset: 0 }, { ...w, offset: 32 }, ...c.tensors!.slice(2)] };
    const reread = decodeCheckpoint(encodeCheckpoint(swapped), 'swapped.ckpt');
    expect(() => restore(m, opt, reread, 'swapped.ckpt')).toThrow(CheckpointError);
    expect(() => restore(m, opt, reread, 'swapped.ckpt')).toThrow(/swapped\.ckpt.*stores tensor \{"name":"0:dense\.bias".*its tensor layout differs/);
    expect(() => modelFromCheckpoint(k, reread, 'swapped.ckpt')).toThrow(/0:dense\.bias/);
    const old = decodeCheckpoint(encodeCheckpoint({ ...c, tensors: undefined }));
    expect(old.tensors).toBeUndefined();
    expect(() => restore(m, opt, old)).not.toThrow();
    opt.dispose(); m.dispose();
  });

  it('decoding rejects a tensor entry outside its section or with a shape that does not match its length', () => {
    const m = Model.create(k, tiny(8, 3), { seed: 3 });
    const opt = new Adam(k, m.numParams);
    const c = snapshot(m, opt, new Rng(1), 0, 0, [], {});
    const last = c.tensors!.length - 1;
    const outside = { ...c, tensors: c.tensors!.map((t, i) => (i === last ? { ...t, offset: t.offset + 1 } : t)) };
    expect(() => decodeCheckpoint(encodeCheckpoint(outside), 'f')).toThrow(/corrupt header: bad tensor entry .*running_var/);
    const shape = { ...c, tensors: c.tensors!.map((t, i) => (i === 0 ? { ...t, shape: [8, 31] } : t)) };
    expect(() => decodeCheckpoint(encodeCheckpoint(shape), 'f')).toThrow(/bad tensor entry .*0:dense\.weight/);
    opt.dispose(); m.dispose();
  });
});
