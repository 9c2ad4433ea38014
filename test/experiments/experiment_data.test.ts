// The runner's data sets: CIFAR-10/100 from the user's binary files (the real record format),
// with the spec's limits; a missing data.dir names the field.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentError, loadExperimentData } from '../../src/experiments/runner.js';
import { resolveSpec } from '../../src/experiments/spec.js';

const root = mkdtempSync(join(tmpdir(), 'lbgap-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** CIFAR-10 records: one label byte, then 3 × 32 × 32 channel-planar pixels. */
function records(labels: number[]): Uint8Array {
  const rec = 1 + 3072, out = new Uint8Array(labels.length * rec);
  labels.forEach((l, i) => { out[i * rec] = l; out.fill((i * 37) % 256, i * rec + 1, (i + 1) * rec); });
  return out;
}

describe('experiment data', () => {
  it('cifar10: the five training batches and the test batch, cut to the spec limits', async () => {
    const dir = join(root, 'cifar-10-batches-bin');
    mkdirSync(dir);
    for (let k = 1; k <= 5; k++) writeFileSync(join(dir, `data_batch_${k}.bin`), records([k, k + 1]));
    writeFileSync(join(dir, 'test_batch.bin'), records([7, 8, 9]));
    const spec = resolveSpec({ net: 'C1', data: { name: 'cifar10', dir, trainLimit: 7, testLimit: 2 } });
    const { train, test } = await loadExperimentData(spec);
    expect([train.n, test.n]).toEqual([7, 2]);
    expect(train.shape).toEqual([32, 32, 3]);
    expect(Array.from(train.y)).toEqual([1, 2, 2, 3, 3, 4, 4]);
    expect(Array.from(test.y)).toEqual([7, 8]);
  });

  it('cifar without data.dir is an error naming the field', async () => {
    await expect(loadExperimentData(resolveSpec({ net: 'C1', data: { name: 'cifar100' } }))).rejects.toThrow(ExperimentError);
    await expect(loadExperimentData(resolveSpec({ net: 'C1', data: { name: 'cifar100' } }))).rejects.toThrow(/^data\.dir: cifar100 needs the directory/);
  });
});
