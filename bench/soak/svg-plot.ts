// A small SVG plotter for the soak's samples: one panel per quantity, one line per process, time on the x axis,
// each panel's own y scale from 0 (so a flat line looks flat), its ticks and legend. Plain SVG 1.1 text: GitHub
// and browsers show it in docs/ as an image.

export interface Series {
  label: string;
  points: Array<{ t: number; value: number }>;
}

export interface Panel {
  title: string;
  /** Formats a y value for the axis ("120 MiB"). */
  format(value: number): string;
  series: Series[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 170;
const MARGIN = { left: 80, right: 160, top: 28, bottom: 28 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** A "nice" axis maximum at or above `value` (1, 2 or 5 times a power of ten). */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function renderSvg(title: string, panels: readonly Panel[]): string {
  const height = 30 + panels.length * PANEL_HEIGHT;
  const tMax = Math.max(1, ...panels.flatMap((panel) => panel.series.flatMap((s) => s.points.map((p) => p.t))));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const top = 30 + index * PANEL_HEIGHT + MARGIN.top;
    const yMax = niceCeiling(Math.max(0, ...panel.series.flatMap((s) => s.points.map((p) => p.value))));
    const x = (t: number) => MARGIN.left + (t / tMax) * plotWidth;
    const y = (value: number) => top + plotHeight - (value / yMax) * plotHeight;
    parts.push(
      `<text x="${MARGIN.left}" y="${top - 8}" font-size="12" font-weight="bold">${escapeXml(panel.title)}</text>`,
    );
    parts.push(
      `<rect x="${MARGIN.left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    );
    for (const fraction of [0, 0.5, 1]) {
      const value = yMax * fraction;
      parts.push(
        `<text x="${MARGIN.left - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end">${escapeXml(panel.format(value))}</text>`,
      );
      if (fraction > 0 && fraction < 1)
        parts.push(
          `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#ddd"/>`,
        );
    }
    for (const fraction of [0, 0.25, 0.5, 0.75, 1])
      parts.push(
        `<text x="${x(tMax * fraction).toFixed(1)}" y="${top + plotHeight + 14}" text-anchor="middle">${formatMinutes(tMax * fraction)}</text>`,
      );
    panel.series.forEach((series, seriesIndex) => {
      const colour = COLOURS[seriesIndex % COLOURS.length]!;
      const path = series.points.map((p) => `${x(p.t).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
      if (series.points.length > 0)
        parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${path}"/>`);
      const legendY = top + 12 + seriesIndex * 16;
      parts.push(
        `<line x1="${WIDTH - MARGIN.right + 10}" x2="${WIDTH - MARGIN.right + 30}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${colour}" stroke-width="2"/>`,
        `<text x="${WIDTH - MARGIN.right + 36}" y="${legendY}">${escapeXml(series.label)}</text>`,
      );
    });
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

function formatMinutes(seconds: number): string {
  return `${Math.round(seconds / 60)} min`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
