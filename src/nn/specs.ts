// The paper's networks as specs (PAPER.md; C1/C2 as in the authors' Keras code), plus a tiny
// MLP for tests. F2 (TIMIT) is not shipped: its data is licensed.
import { ModelSpecError } from './errors.js';
import type { LayerSpec, ModelSpec } from './spec.js';

/** F1 — MNIST MLP: 784 → 5 × [dense 512, batch norm, ReLU] → 10. */
export function f1(): ModelSpec {
  const layers: LayerSpec[] = [{ type: 'flatten' }];
  for (let i = 0; i < 5; i++) layers.push({ type: 'dense', units: 512 }, { type: 'batchnorm' }, { type: 'relu' });
  layers.push({ type: 'dense', units: 10 });
  return { name: 'F1', input: [28, 28, 1], layers };
}

/**
 * C1 — shallow conv net (AlexNet-like): 2 × [conv 5×5×64 same, BN, ReLU, max-pool 3×3/2 same],
 * dense 384 → BN → ReLU → dropout 0.5 → dense 192 → BN → ReLU → dropout 0.5 → dense classes.
 * input [32, 32, 3] for CIFAR (C1, or C3 with 100 classes); [28, 28, 1] gives C1-mnist.
 */
export function c1(input: number[] = [32, 32, 3], classes = 10): ModelSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < 2; i++) {
    layers.push(
      { type: 'conv2d', filters: 64, kernel: 5, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' },
      { type: 'maxpool', size: 3, stride: 2, padding: 'same' },
    );
  }
  layers.push(
    { type: 'flatten' },
    { type: 'dense', units: 384 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 192 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: classes },
  );
  return { name: classes === 100 ? 'C3' : input[2] === 1 ? 'C1-mnist' : 'C1', input, layers };
}

/**
 * C2 — VGG-16-shaped: blocks of 3×3 same convs 64,64 | 128,128 | 256×3 | 512×3 | 512×3, each
 * conv followed by BN and ReLU; dropout (0.3 in the first block, 0.4 after) after every conv
 * but a block's last; 2×2 max-pool after each block; then dropout 0.5 → dense 512 → BN →
 * ReLU → dropout 0.5 → dense classes.
 */
export function c2(input: number[] = [32, 32, 3], classes = 10): ModelSpec {
  const blocks = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];
  const layers: LayerSpec[] = [];
  blocks.forEach((block, b) => {
    block.forEach((filters, i) => {
      layers.push({ type: 'conv2d', filters, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' });
      if (i < block.length - 1) layers.push({ type: 'dropout', rate: b === 0 ? 0.3 : 0.4 });
    });
    layers.push({ type: 'maxpool', size: 2, stride: 2 });
  });
  layers.push(
    { type: 'dropout', rate: 0.5 }, { type: 'flatten' },
    { type: 'dense', units: 512 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: classes },
  );
  return { name: classes === 100 ? 'C4' : 'C2', input, layers };
}

/** A small MLP for tests: d → 32 → BN → ReLU → 32 → ReLU → classes. */
export function tiny(inputDim = 8, classes = 3): ModelSpec {
  return {
    name: 'tiny',
    input: [inputDim],
    layers: [
      { type: 'dense', units: 32 }, { type: 'batchnorm' }, { type: 'relu' },
      { type: 'dense', units: 32 }, { type: 'relu' },
      { type: 'dense', units: classes },
    ],
  };
}

export const NET_NAMES = ['F1', 'C1', 'C1-mnist', 'C2', 'C3', 'C4', 'tiny'] as const;
export type NetName = (typeof NET_NAMES)[number];

/** The named spec (`F1`, `C1`, `C1-mnist`, `C2`, `C3`, `C4`, `tiny`). */
export function namedSpec(name: string): ModelSpec {
  switch (name) {
    case 'F1': return f1();
    case 'C1': return c1();
    case 'C1-mnist': return c1([28, 28, 1], 10);
    case 'C2': return c2();
    case 'C3': return c1([32, 32, 3], 100);
    case 'C4': return c2([32, 32, 3], 100);
    case 'tiny': return tiny();
    default: throw new ModelSpecError('net', `unknown network ${JSON.stringify(name)}; expected one of ${NET_NAMES.join(', ')}`);
  }
}
