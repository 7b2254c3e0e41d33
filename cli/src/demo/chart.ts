import type { TopLevelSpec } from 'vega-lite';
import type { DemoReport } from './report';

/**
 * The learning curve as a Vega-Lite spec: time to recover for each occurrence of each fault kind,
 * one line per kind; a cross where the loop's first action was not the best one.
 */
export function learningCurveSpec(report: DemoReport, title = 'Homeostat demo: time to recover by occurrence'): TopLevelSpec {
  const values = report.rows.map((r) => ({
    fault: r.fault,
    occurrence: r.occurrence,
    incident: r.index,
    timeToRecoverS: r.timeToRecoverS,
    firstAction: r.firstAction ?? 'none',
    firstActionBest: r.firstActionIsBest === true ? 'yes' : 'no',
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 520,
    height: 280,
    data: { values },
    encoding: {
      x: { field: 'occurrence', type: 'ordinal', title: 'occurrence of the fault kind', axis: { labelAngle: 0 } },
      y: { field: 'timeToRecoverS', type: 'quantitative', title: 'time to recover (s, from the fault)' },
      color: { field: 'fault', type: 'nominal', title: 'fault' },
    },
    layer: [
      { mark: { type: 'line' } },
      {
        mark: { type: 'point', size: 70 },
        encoding: {
          shape: {
            field: 'firstActionBest',
            type: 'nominal',
            title: 'first action best',
            scale: { domain: ['yes', 'no'], range: ['circle', 'cross'] },
          },
          tooltip: [{ field: 'incident' }, { field: 'fault' }, { field: 'firstAction' }, { field: 'timeToRecoverS' }],
        },
      },
    ],
  };
}

/** Renders the chart to an SVG document (Vega's headless renderer; no browser, no canvas). */
export async function renderLearningCurveSvg(report: DemoReport): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec } = vegaLite.compile(learningCurveSpec(report));
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
