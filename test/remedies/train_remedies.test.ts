// Each remedy's effect on a tiny problem, through the trainer and its step: identical bits with
// remedies off, dynamic-sampling steps, exact warmup LRs, ghost BN = per-chunk statistics, SAM's
// update, the proximal pull, FGSM (input gradient vs finite differences, perturbation sign and
// size, robustness), augmentation of the batch, bit-identical resume, typed option errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch } from '../../src/data/augment.js';
import { Batcher } from '../../src/data/batcher.js';
import type { Dataset } from '../../src/data/dataset.js';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { networkSharpness } from '../../src/landscape/index.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { Adam } from '../../src/optim/adam.js';
import { Sgd } from '../../src/optim/sgd.js';
import { TrainOptionError } from '../../src/train/errors.js';
import { augmentSeedAt, checkRemedies, RemedyStepper } from '../../src/train/remedies.js';
import { train, type TrainOptions } from '../../src/train/train.js';
import { Rng } from '../../src/util/rng.js';

const teacher = syntheticClassification({ n: 600, dim: 8, classes: 3, seed: 11, kind: 'teacher', hidden: 16, name: 'teacher/train' });
const images = syntheticClassification({ n: 300, shape: [6, 6, 1], classes: 3, seed: 5, name: 'img/train' });
const bits = (m: Model) => Buffer.from(m.params.view().slice().buffer);

/** Loads samples [0, n) of ds into the model's input and label buffers. */
function loadBatch(m: Model, ds: Dataset, n: number, from = 0): void {
  const d = m.inputSize;
  m.inputView(n).set(ds.x.subarray(from * d, (from + n) * d));
  m.labelsView(n).set(ds.y.subarray(from, from + n));
}

function norm(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - (b ? b[i] : 0)) ** 2;
  return Math.sqrt(s);
}

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>, floor: number): number {
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (floor + Math.abs(want[i])));
  return w;
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'lbgap-remedies-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('remedy options', () => {
  it('invalid options → TrainOptionError naming the field', async () => {
    const k = await loadKernels({ build: 'simd' });
    const m = Model.create(k, tiny(8, 3));
    const cases: [Partial<TrainOptions>, string][] = [
      [{ sam: { rho: 0 } }, 'sam.rho'],
      [{ sam: 0.05 as unknown as { rho: number } }, 'sam'],
      [{ sam: { rho: 0.05, radius: 1 } as unknown as { rho: number } }, 'sam.radius'],
      [{ conservative: { lambda: -1 } }, 'conservative.lambda'],
      [{ conservative: { lambda: 1, steps: 0 } }, 'conservative.steps'],
      [{ adversarial: { epsilon: NaN } }, 'adversarial.epsilon'],
      [{ adversarial: { epsilon: 0.1, fraction: 1.5 } }, 'adversarial.fraction'],
      [{ dynamicBatch: { from: 51 } }, 'dynamicBatch.from'],
      [{ dynamicBatch: { from: 10, over: 0 } }, 'dynamicBatch.over'],
      [{ ghostBatch: { size: 0 } }, 'ghostBatch.size'],
      [{ ghostBatch: { size: 51 } }, 'ghostBatch.size'],
      [{ lrScaling: { warmupEpochs: -1 } }, 'lrScaling.warmupEpochs'],
      [{ lrScaling: { reference: 0 } }, 'lrScaling.reference'],
      [{ augment: { shift: 1 } }, 'augment'], // the teacher data are vectors, not images
      [{ layerwise: { trust: 0.01 } }, 'layerwise'], // Adam has no trust ratios
      [{ optimizer: 'lars', layerwise: { granularity: 'row' as 'layer' } }, 'layerwise.granularity'],
      [{ optimizer: 'lion' as 'adam' }, 'optimizer'],
    ];
    for (const [o, field] of cases) {
      const err = await train(m, { train: teacher }, { epochs: 1, batchSize: 50, ...o }).catch((e) => e);
      expect(err, field).toBeInstanceOf(TrainOptionError);
      expect((err as TrainOptionError).option, JSON.stringify(o)).toBe(field);
    }
    const img = await train(Model.create(k, tiny(36, 3)), { train: images }, { epochs: 1, batchSize: 50, augment: { shift: 6 } }).catch((e) => e);
    expect((img as TrainOptionError).option).toBe('augment.shift');
    expect(checkRemedies({}, { shape: [8], batchSize: 10, epochs: 1, seed: 0 })).toBeNull();
    m.dispose();
  });
});

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`remedies in training (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('remedies off: identical bits to the plain loop (Batcher, lossAndGrad, Adam step)', async () => {
      const a = Model.create(k, tiny(8, 3), { seed: 3 });
      await train(a, { train: teacher }, { epochs: 2, batchSize: 64, seed: 9, trainEvalSamples: 100 });
      const b = Model.create(k, tiny(8, 3), { seed: 3 });
      const adam = new Adam(k, b.numParams);
      const batcher = new Batcher(teacher, 64, new Rng(9));
      b.reserve(64);
      for (let e = 0; e < 2; e++) {
        const order = batcher.epochOrder();
        for (let i = 0; i < batcher.batchesPerEpoch; i++) {
          const idx = batcher.batch(order, i);
          const x = b.inputView(idx.length), y = b.labelsView(idx.length);
          batcher.gather(idx, x, y);
          b.lossAndGrad(x, y, idx.length);
          adam.step(b.params.ptr, b.grads.ptr);
        }
      }
      expect(bits(a).equals(bits(b))).toBe(true);
      a.dispose(); b.dispose(); adam.dispose();
    });

    it('dynamic sampling: steps per epoch follow the geometric schedule 50 → 400', async () => {
      const m = Model.create(k, tiny(8, 3));
      const perEpoch = new Map<number, number>();
      const h = await train(m, { train: teacher }, {
        epochs: 5, batchSize: 400, dynamicBatch: { from: 50, over: 4 }, trainEvalSamples: 50,
        onStep: (s) => perEpoch.set(s.epoch, (perEpoch.get(s.epoch) ?? 0) + 1),
      });
      // b = 50, 100, 200, 400, 400 → ⌈600/b⌉ steps.
      expect([...perEpoch.values()]).toEqual([12, 6, 3, 2, 2]);
      expect(h.map((e) => e.steps)).toEqual([12, 18, 21, 23, 25]);
      m.dispose();
    });

    it('linear scaling with warmup: the LR of every step is exact', async () => {
      const m = Model.create(k, tiny(8, 3));
      const adam = new Adam(k, m.numParams, { lr: 1e-3 });
      const lrs: number[] = [];
      await train(m, { train: teacher }, {
        epochs: 3, batchSize: 100, optimizer: adam, lrScaling: { reference: 50, warmupEpochs: 1.5 }, trainEvalSamples: 50,
        onStep: () => lrs.push(adam.lr),
      });
      const want: number[] = [];
      for (let e = 0; e < 3; e++) for (let b = 0; b < 6; b++) want.push(1e-3 + (2e-3 - 1e-3) * Math.min(1, (e + b / 6) / 1.5));
      expect(lrs.length).toBe(18);
      lrs.forEach((v, i) => expect(v).toBeCloseTo(want[i], 15));
      expect(lrs[0]).toBe(1e-3);
      expect(lrs[17]).toBe(2e-3);
      m.dispose(); adam.dispose();
    });

    it('ghost batch norm: the gradient is the weighted mean of per-chunk gradients with per-chunk statistics', () => {
      const n = 50, g = 16;
      const a = Model.create(k, tiny(8, 3), { seed: 1 });
      const sgd = new Sgd(k, a.numParams);
      const stepper = new RemedyStepper(a, sgd, checkRemedies({ ghostBatch: { size: g } }, { shape: [8], batchSize: n, epochs: 1, seed: 0 })!, teacher);
      loadBatch(a, teacher, n);
      const loss = stepper.gradient(n, 0);
      const ghost = a.grads.view().slice();
      // Reference: each chunk through a fresh model with the same parameters, summed in f64.
      const b = Model.create(k, tiny(8, 3), { seed: 1 });
      const want = new Float64Array(b.numParams);
      let wantLoss = 0;
      for (let off = 0; off < n; off += g) {
        const c = Math.min(g, n - off);
        const l = b.lossAndGrad(teacher.x.slice(off * 8, (off + c) * 8), teacher.y.slice(off, off + c), c);
        wantLoss += l * c / n;
        b.grads.view().forEach((v, i) => { want[i] += v * c / n; });
      }
      expect(loss).toBeCloseTo(wantLoss, 5);
      expect(maxRelErr(ghost, want, 1e-4)).toBeLessThan(1e-4);
      // Full-batch statistics give a different gradient (the remedy is not a no-op).
      b.lossAndGrad(teacher.x.slice(0, n * 8), teacher.y.slice(0, n), n);
      expect(norm(b.grads.view(), ghost)).toBeGreaterThan(1e-3 * norm(ghost));
      // The input buffer still holds the whole batch afterwards.
      expect(a.inputView(n)).toEqual(teacher.x.subarray(0, n * 8));
      stepper.dispose(); sgd.dispose(); a.dispose(); b.dispose();
    });

    it('SAM: the update is x − lr·∇f(x + ρ·g/‖g‖) (SGD, first step), and differs from plain SGD', () => {
      const n = 40, rho = 0.5, lr = 0.1;
      const a = Model.create(k, tiny(8, 3), { seed: 2 });
      const sgd = new Sgd(k, a.numParams, { lr, momentum: 0 });
      const stepper = new RemedyStepper(a, sgd, checkRemedies({ sam: { rho } }, { shape: [8], batchSize: n, epochs: 1, seed: 0 })!, teacher);
      const x0 = a.params.view().slice();
      loadBatch(a, teacher, n);
      stepper.gradient(n, 0);
      stepper.update(n, 0);
      const got = a.params.view().slice();
      const b = Model.create(k, tiny(8, 3), { seed: 2 });
      const xs = teacher.x.slice(0, n * 8), ys = teacher.y.slice(0, n);
      b.lossAndGrad(xs, ys, n);
      const g0 = Float64Array.from(b.grads.view());
      const gn = norm(g0);
      b.params.view().set(Float32Array.from(x0, (v, i) => v + rho * g0[i] / gn));
      b.lossAndGrad(xs, ys, n, { updateStats: false });
      const g1 = b.grads.view().slice();
      const want = Float64Array.from(x0, (v, i) => v - lr * g1[i]);
      expect(maxRelErr(got, want, 1e-3)).toBeLessThan(1e-4);
      const plain = Float64Array.from(x0, (v, i) => v - lr * g0[i]);
      expect(norm(got, plain)).toBeGreaterThan(1e-3 * norm(x0, plain));
      stepper.dispose(); sgd.dispose(); a.dispose(); b.dispose();
    });

    it('SAM finds a flatter minimizer: sharpness φ(1e-3) falls with ρ', async () => {
      const tr = syntheticClassification({ n: 1000, dim: 8, classes: 3, seed: 11, kind: 'teacher', hidden: 16 });
      const phi = async (rho: number) => {
        const m = Model.create(k, tiny(8, 3), { seed: 1 });
        await train(m, { train: tr }, { epochs: 20, batchSize: 250, lr: 1e-2, seed: 2, trainEvalSamples: 100, ...(rho ? { sam: { rho } } : {}) });
        const v = networkSharpness(m, tr, { eps: [1e-3], sample: 500 }).results[0].phi;
        m.dispose();
        return v;
      };
      const plain = await phi(0), sam = await phi(0.2);
      // Observed ≈ 0.92 vs 0.62 on both builds.
      expect(sam).toBeLessThan(0.8 * plain);
      expect(sam).toBeGreaterThan(0);
    });

    it('conservative training: 3 Adam steps per batch, and the proximal term keeps ‖x − x_k‖ smaller', () => {
      const n = 50;
      const drift = (lambda: number) => {
        const m = Model.create(k, tiny(8, 3), { seed: 4 });
        const adam = new Adam(k, m.numParams, { lr: 0.01 });
        const st = new RemedyStepper(m, adam, checkRemedies({ conservative: { lambda, steps: 5 } }, { shape: [8], batchSize: n, epochs: 1, seed: 0 })!, teacher);
        const x0 = m.params.view().slice();
        loadBatch(m, teacher, n);
        st.gradient(n, 0);
        st.update(n, 0);
        const d = norm(m.params.view(), x0);
        expect(adam.t).toBe(5);
        st.dispose(); adam.dispose(); m.dispose();
        return d;
      };
      const loose = drift(1e-9), tight = drift(50);
      expect(tight).toBeLessThan(0.9 * loose);
      expect(tight).toBeGreaterThan(0);
    });

    it('FGSM: the input gradient matches central finite differences', () => {
      // A batch of 32: with very few samples BN's batch statistics put ReLU kinks within any usable h.
      const n = 32, m = Model.create(k, tiny(8, 3), { seed: 5 });
      const x = teacher.x.slice(0, n * 8), y = teacher.y.slice(0, n);
      const { loss, dx } = m.lossAndInputGrad(x, y, n, { updateStats: false });
      expect(loss).toBeCloseTo(m.loss(x, y, n, { train: true, dropout: false, updateStats: false }), 6);
      const h = 1e-2;
      for (const i of [0, 5, 13, 22, 31, 47, 100, 255]) {
        const xp = x.slice(), xm = x.slice();
        xp[i] += h; xm[i] -= h;
        const fd = (m.loss(xp, y, n, { train: true, updateStats: false }) - m.loss(xm, y, n, { train: true, updateStats: false })) / (2 * h);
        expect(Math.abs(dx[i] - fd), `input ${i}`).toBeLessThan(2e-5 + 0.02 * Math.abs(fd));
      }
      m.dispose();
    });

    it('FGSM: the first round(f·B) samples move by exactly ε·sign(∇x), the rest not', () => {
      const n = 20, eps = 0.25;
      const m = Model.create(k, tiny(8, 3), { seed: 6 });
      const opt = new Adam(k, m.numParams);
      const st = new RemedyStepper(m, opt, checkRemedies({ adversarial: { epsilon: eps, fraction: 0.5 } }, { shape: [8], batchSize: n, epochs: 1, seed: 0 })!, teacher);
      const x = teacher.x.slice(0, n * 8), y = teacher.y.slice(0, n);
      const ref = Model.create(k, tiny(8, 3), { seed: 6 });
      const { dx } = ref.lossAndInputGrad(x, y, n, { updateStats: false });
      loadBatch(m, teacher, n);
      st.gradient(n, 0);
      const adv = m.inputView(n);
      for (let i = 0; i < n * 8; i++) {
        const want = i < 10 * 8 ? Math.fround(x[i] + eps * Math.sign(dx[i])) : x[i];
        expect(adv[i]).toBe(want);
      }
      expect(dx.some((v) => v !== 0)).toBe(true);
      st.dispose(); opt.dispose(); m.dispose(); ref.dispose();
    });

    it('FGSM training raises accuracy under an FGSM attack', async () => {
      // The nonlinear teacher problem: plain training leaves inputs near its boundary that FGSM flips.
      const tr = syntheticClassification({ n: 900, dim: 8, classes: 3, seed: 21, kind: 'teacher', hidden: 16 });
      const te = syntheticClassification({ n: 300, dim: 8, classes: 3, seed: 21, sampleSeed: 77, kind: 'teacher', hidden: 16 });
      const eps = 0.2;
      const attacked = (m: Model) => {
        const { dx } = m.lossAndInputGrad(te.x, te.y, te.n, { updateStats: false });
        const xa = Float32Array.from(te.x, (v, i) => v + eps * Math.sign(dx[i]));
        return m.evaluate({ ...te, x: xa }).accuracy;
      };
      const run = async (adversarial?: { epsilon: number; fraction: number }) => {
        const m = Model.create(k, tiny(8, 3), { seed: 7 });
        await train(m, { train: tr }, { epochs: 8, batchSize: 30, lr: 3e-3, seed: 1, adversarial, trainEvalSamples: 50 });
        const r = { clean: m.evaluate(te).accuracy, adv: attacked(m) };
        m.dispose();
        return r;
      };
      const plain = await run(), robust = await run({ epsilon: eps, fraction: 0.5 });
      expect(robust.adv).toBeGreaterThan(plain.adv + 0.03);
      expect(robust.clean).toBeGreaterThan(0.75);
    });

    it('augmentation: the batch the model sees is the seeded shift of the gathered one', () => {
      const n = 10;
      const m = Model.create(k, tiny(36, 3));
      const opt = new Adam(k, m.numParams);
      const r = checkRemedies({ augment: { shift: 2, seed: 17 } }, { shape: [6, 6, 1], batchSize: n, epochs: 1, seed: 0 })!;
      const st = new RemedyStepper(m, opt, r, images);
      loadBatch(m, images, n);
      st.gradient(n, 3);
      const want = images.x.slice(0, n * 36);
      augmentBatch(want, n, [6, 6, 1], { shift: 2 }, new Rng(augmentSeedAt(17, 3)));
      expect(m.inputView(n)).toEqual(want);
      expect(want).not.toEqual(images.x.subarray(0, n * 36));
      st.dispose(); opt.dispose(); m.dispose();
    });

    it('resume with remedies on is bit-identical to an uninterrupted run (Adam + 5 remedies; LAMB + 2; LARS)', async () => {
      const configs: Partial<TrainOptions>[] = [
        { augment: { shift: 1, flip: true }, dynamicBatch: { from: 20, over: 3 }, sam: { rho: 0.05 }, ghostBatch: { size: 16 }, lrScaling: { reference: 32, warmupEpochs: 1 } },
        { optimizer: 'lamb', lr: 0.01, conservative: { lambda: 1, steps: 2 }, adversarial: { epsilon: 0.1, fraction: 0.5 } },
        { optimizer: 'lars', lr: 1, layerwise: { granularity: 'tensor', trust: 0.001, weightDecay: 1e-4 } },
      ];
      for (const [ci, c] of configs.entries()) {
        const base = { ...c, batchSize: 60, seed: 2, trainEvalSamples: 50 } as TrainOptions;
        const full = Model.create(k, tiny(36, 3), { seed: 8 });
        const hFull = await train(full, { train: images }, { ...base, epochs: 3 });
        const path = join(dir, `remedies-${build}-${ci}.ckpt`);
        const part = Model.create(k, tiny(36, 3), { seed: 8 });
        await train(part, { train: images }, { ...base, epochs: 2, checkpoint: { path } });
        const resumed = Model.create(k, tiny(36, 3), { seed: 8 });
        const hRes = await train(resumed, { train: images }, { ...base, epochs: 3, resume: path });
        expect(bits(resumed).equals(bits(full)), `config ${ci}`).toBe(true);
        expect(hRes.map((e) => e.trainLoss)).toEqual(hFull.map((e) => e.trainLoss));
        expect(hFull[2].trainLoss).toBeLessThan(hFull[0].trainLoss * 1.5);
        expect(Number.isFinite(hFull[2].trainLoss)).toBe(true);
        full.dispose(); part.dispose(); resumed.dispose();
      }
    });
  });
}
