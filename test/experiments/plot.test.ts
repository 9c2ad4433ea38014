import { describe, expect, it } from 'vitest';
import { lineChart, renderSvg } from '../../src/experiments/plot.js';

describe('plots', () => {
  it('renders a Vega-Lite line chart to SVG headless', async () => {
    const spec = lineChart({
      title: 'samples/s vs batch', x: 'batch size', y: 'samples/s', logX: true,
      data: [32, 64, 128].flatMap((b, i) => [{ name: '1 worker', x: b, y: 100 + i }, { name: '2 workers', x: b, y: 180 + i }]),
    });
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('samples/s vs batch');
    expect(svg).toContain('2 workers');
    expect((svg.match(/<path/g) ?? []).length).toBeGreaterThan(2);
  });
  it('an invalid spec is an error, not an empty SVG', async () => {
    await expect(renderSvg({ mark: 'nonsense' } as never)).rejects.toThrow();
  });
});
