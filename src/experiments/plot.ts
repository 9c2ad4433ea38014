// Plots are Vega-Lite specs (plain JSON). The same spec renders to SVG headless in Node
// (vega's View.toSVG, no canvas needed) and live in the page.
import type { TopLevelSpec } from 'vega-lite';

export type PlotSpec = TopLevelSpec;

/** Renders a Vega-Lite spec to an SVG string (Node or browser). */
export async function renderSvg(spec: PlotSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface Series { name: string; x: number; y: number }

/** A multi-series line chart: one line per `name`. */
export function lineChart(opts: {
  title: string; data: Series[]; x: string; y: string; logX?: boolean; logY?: boolean; width?: number; height?: number;
  colorTitle?: string; points?: boolean;
}): PlotSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    width: opts.width ?? 480,
    height: opts.height ?? 300,
    data: { values: opts.data },
    mark: { type: 'line', point: opts.points ?? true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.x, scale: opts.logX ? { type: 'log', base: 2 } : { zero: false } },
      y: { field: 'y', type: 'quantitative', title: opts.y, scale: opts.logY ? { type: 'log' } : { zero: false } },
      color: { field: 'name', type: 'nominal', title: opts.colorTitle ?? '' },
    },
  } as PlotSpec;
}

/**
 * Eigenvalue densities (e.g. of the loss Hessian, by stochastic Lanczos quadrature) on shared
 * axes, log density as PyHessian plots them; each curve thinned to ≤ 400 points and floored
 * at 1e-8 of the largest density so the log scale stays finite.
 */
export function densityChart(opts: { title: string; curves: { name: string; grid: ArrayLike<number>; density: ArrayLike<number> }[]; x?: string }): PlotSpec {
  let top = 0;
  for (const c of opts.curves) for (let i = 0; i < c.density.length; i++) top = Math.max(top, c.density[i]);
  const floor = 1e-8 * (top || 1);
  const data: Series[] = [];
  for (const c of opts.curves) {
    const stride = Math.max(1, Math.ceil(c.grid.length / 400));
    for (let i = 0; i < c.grid.length; i += stride) data.push({ name: c.name, x: c.grid[i], y: Math.max(floor, c.density[i]) });
  }
  return lineChart({ title: opts.title, data, x: opts.x ?? 'eigenvalue', y: 'density (log)', logY: true, points: false, colorTitle: 'checkpoint' });
}
