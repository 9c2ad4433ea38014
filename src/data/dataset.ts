// The in-memory dataset every reader produces and every trainer consumes.

export interface Dataset {
  /** Human-readable origin, used in error messages and results ("mnist/train", a path…). */
  name: string;
  /** n samples, row-major, each `shape` (HWC for images: [28, 28, 1], [32, 32, 3]; [d] for features). */
  x: Float32Array;
  /** Integer class labels in [0, classes). */
  y: Int32Array;
  n: number;
  shape: number[];
  classes: number;
}

export function sampleSize(ds: Pick<Dataset, 'shape'>): number {
  return ds.shape.reduce((a, b) => a * b, 1);
}
