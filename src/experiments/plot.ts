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
