// A run's state ↔ a model and optimizer: what checkpoints hold and how a resume puts it back.
import type { Kernels } from '../kernels/index.js';
import { Model } from '../nn/model.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Rng } from '../util/rng.js';
import type { Checkpoint, CheckpointTensor } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import type { EpochMetrics } from './metrics.js';

/** The model's tensor table as a checkpoint records it: each tensor's name, role, shape and place in params/buffers. */
export function checkpointTensors(model: Model): CheckpointTensor[] {
  return [...model.paramTensors, ...model.bufferTensors].map((t) => ({
    name: `${t.layer}:${t.layerType}.${t.name}`, role: t.role, shape: t.shape.slice(), section: t.store, offset: t.offset, length: t.length,
  }));
}

/**
 * Throws a CheckpointError naming the first tensor a checkpoint stores elsewhere or otherwise
 * than this build's model (a layer's tensor layout changed), instead of loading floats into
 * the wrong tensors. Checkpoints that predate the recorded layout pass.
 */
function checkTensorLayout(model: Model, c: Checkpoint, where: string): void {
  if (!c.tensors) return;
  const want = checkpointTensors(model);
  const at = want.findIndex((t, i) => JSON.stringify(t) !== JSON.stringify(c.tensors![i]));
  if (at >= 0) throw new CheckpointError(where, `stores tensor ${JSON.stringify(c.tensors[at] ?? null)} where this model has ${JSON.stringify(want[at])}: its tensor layout differs from this build's`);
  if (c.tensors.length !== want.length) throw new CheckpointError(where, `lists ${c.tensors.length} tensors, this model has ${want.length}`);
}

/** Captures a run's complete state after `epoch` epochs. */
export function snapshot(model: Model, optimizer: Optimizer, rng: Rng, epoch: number, step: number, history: EpochMetrics[], run: Record<string, unknown>): Checkpoint {
  return {
    spec: model.toJSON(), epoch, step, rng: rng.state(),
    dropoutBase: model.dropoutBase, trainForwards: model.trainForwards,
    params: model.params.view().slice(), buffers: model.buffers.view().slice(),
    optimizer: optimizer.state(), history: history.slice(), run, tensors: checkpointTensors(model),
  };
}

/** Throws a CheckpointError unless `c` was saved for this model's network and sizes. */
export function checkCheckpointFits(model: Model, c: Checkpoint, where: string): void {
  if (JSON.stringify(c.spec) !== JSON.stringify(model.toJSON())) {
    throw new CheckpointError(where, `was saved for a different network (${c.spec?.name ?? 'unnamed'}: ${JSON.stringify(c.spec).slice(0, 120)}…) than this model (${model.spec.name ?? 'unnamed'})`);
  }
  if (c.params.length !== model.numParams) throw new CheckpointError(where, `holds ${c.params.length} parameters, the model has ${model.numParams}`);
  if (c.buffers.length !== model.numBuffers) throw new CheckpointError(where, `holds ${c.buffers.length} buffer values, the model has ${model.numBuffers}`);
  checkTensorLayout(model, c, where);
}

/** Puts a checkpoint's parameters, running statistics and dropout state into the model. */
export function restoreModel(model: Model, c: Checkpoint): void {
  model.params.view().set(c.params);
  model.buffers.view().set(c.buffers);
  model.dropoutBase = c.dropoutBase;
  model.trainForwards = c.trainForwards;
}

/** Loads a checkpoint into a model and optimizer built for the same spec (the model is untouched if the optimizer state does not fit). */
export function restore(model: Model, optimizer: Optimizer, c: Checkpoint, where = '<checkpoint>'): void {
  checkCheckpointFits(model, c, where);
  try {
    optimizer.setState(c.optimizer);
  } catch (e) {
    throw new CheckpointError(where, `optimizer state does not fit: ${(e as Error).message}`, { cause: e });
  }
  restoreModel(model, c);
}

/** A new model holding a checkpoint's parameters, running statistics and dropout state (`path` names it in errors). */
export function modelFromCheckpoint(k: Kernels, c: Checkpoint, path: string): Model {
  const model = Model.create(k, c.spec);
  try {
    if (c.params.length !== model.numParams) throw new CheckpointError(path, `holds ${c.params.length} parameters but its network spec has ${model.numParams}`);
    if (c.buffers.length !== model.numBuffers) throw new CheckpointError(path, `holds ${c.buffers.length} batch-norm statistics but its network spec has ${model.numBuffers}`);
    checkTensorLayout(model, c, path);
    restoreModel(model, c);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}
