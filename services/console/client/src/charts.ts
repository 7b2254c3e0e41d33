import type { TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec into an element; vega-embed is its own chunk, loaded with the first chart. */
export async function drawChart(el: HTMLElement, spec: TopLevelSpec): Promise<void> {
  const { default: embed } = await import('vega-embed');
  await embed(el, spec, { actions: false, renderer: 'svg' });
  el.dataset['rendered'] = 'true';
}
