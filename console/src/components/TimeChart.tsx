// A time-series chart (uPlot): one x axis of times, one or more series on their own scales.

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import type { Series } from '../meter-chart';

export function TimeChart({
  times,
  series,
  height = 220,
  xRange,
}: {
  times: number[];
  series: Series[];
  height?: number;
  /** Fixed time window (Unix seconds), e.g. the last hour; default: the samples' own span. */
  xRange?: [number, number];
}) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const container = element.current;
    if (!container || times.length === 0) return;
    const chart = new uPlot(
      {
        width: container.clientWidth || 600,
        height,
        scales: xRange ? { x: { time: true, range: () => xRange } } : undefined,
        series: [
          {},
          ...series.map((entry, index) => ({
            label: `${entry.label} (${entry.unit})`,
            stroke: entry.color,
            width: 2,
            scale: `s${index}`,
          })),
        ],
        axes: [
          {},
          ...series.map((entry, index) => ({
            scale: `s${index}`,
            label: entry.unit,
            side: index === 0 ? 3 : 1,
            grid: { show: index === 0 },
          })),
        ],
      },
      [times, ...series.map((entry) => entry.values)],
      container,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: container.clientWidth, height }));
    resize.observe(container);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [times, series, height, xRange]);
  if (times.length === 0) return <p className="empty">No samples yet.</p>;
  return <div className="chart" ref={element} data-testid="chart" />;
}
