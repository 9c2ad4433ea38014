// f64 reference batch normalization over a row-major [rows][C] matrix (tests only).

export interface BnTrainRef {
  y: Float64Array; mean: Float64Array; invstd: Float64Array;
  /** Biased (normalizing) and unbiased (running-stat) batch variances. */
  varB: Float64Array; varU: Float64Array;
}

export function bnFwdTrainRef(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, rows: number, C: number, eps: number): BnTrainRef {
  const mean = new Float64Array(C), varB = new Float64Array(C), varU = new Float64Array(C), invstd = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * C + c];
    const m = s / rows;
    let q = 0;
    for (let r = 0; r < rows; r++) q += (x[r * C + c] - m) ** 2;
    mean[c] = m; varB[c] = q / rows; varU[c] = rows > 1 ? q / (rows - 1) : q / rows;
    invstd[c] = 1 / Math.sqrt(varB[c] + eps);
  }
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) {
    y[r * C + c] = (x[r * C + c] - mean[c]) * invstd[c] * gamma[c] + beta[c];
  }
  return { y, mean, invstd, varB, varU };
}

/** running ← (1 − momentum)·running + momentum·batch (PyTorch convention). */
export function bnRunningRef(running: ArrayLike<number>, batch: ArrayLike<number>, momentum: number): Float64Array {
  return Float64Array.from(running, (v, i) => (1 - momentum) * v + momentum * batch[i]);
}

export function bnInferRef(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, rm: ArrayLike<number>, rv: ArrayLike<number>, rows: number, C: number, eps: number): Float64Array {
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) {
    y[r * C + c] = (x[r * C + c] - rm[c]) / Math.sqrt(rv[c] + eps) * gamma[c] + beta[c];
  }
  return y;
}

/** Analytic training-mode backward through the batch statistics, from x itself. */
export function bnBwdRef(x: ArrayLike<number>, dy: ArrayLike<number>, gamma: ArrayLike<number>, rows: number, C: number, eps: number) {
  const { mean, invstd } = bnFwdTrainRef(x, gamma, new Float64Array(C), rows, C, eps);
  const dgamma = new Float64Array(C), dbeta = new Float64Array(C), dx = new Float64Array(rows * C);
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < rows; r++) {
      const xh = (x[r * C + c] - mean[c]) * invstd[c];
      dbeta[c] += dy[r * C + c];
      dgamma[c] += dy[r * C + c] * xh;
    }
    for (let r = 0; r < rows; r++) {
      const xh = (x[r * C + c] - mean[c]) * invstd[c];
      dx[r * C + c] = gamma[c] * invstd[c] * (dy[r * C + c] - dbeta[c] / rows - xh * dgamma[c] / rows);
    }
  }
  return { dx, dgamma, dbeta };
}
