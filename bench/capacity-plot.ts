// The capacity run's plot (docs/capacity.svg): p99 latency against fleet size, one line per database and kind
// (OCPP round trip, API request), the goals as dashed lines, a log scale for latency (a step that breaks is often
// ten times the one before). Plain SVG written by hand: no plotting dependency for one chart.

import { CAPACITY_GOALS, type CapacityResult } from './measurements/capacity.js';

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 70, right: 190, top: 40, bottom: 55 };
const COLOURS: Record<string, string> = { sqlite: '#1f77b4', postgres: '#d62728' };

export interface PlotSeries {
  label: string;
  colour: string;
  dashed: boolean;
  points: Array<{ chargers: number; ms: number }>;
}

/** The series of the plot: for each run, OCPP p99 (solid) and API p99 (dotted). */
export function capacitySeries(results: CapacityResult[]): PlotSeries[] {
  return results.flatMap((result) => [
    {
      label: `${result.database}: OCPP round trip p99`,
      colour: COLOURS[result.database] ?? '#333',
      dashed: false,
      points: result.steps.map((step) => ({ chargers: step.chargers, ms: step.ocppP99Ms })),
    },
    {
      label: `${result.database}: API request p99`,
      colour: COLOURS[result.database] ?? '#333',
      dashed: true,
      points: result.steps.map((step) => ({ chargers: step.chargers, ms: step.apiP99Ms })),
    },
  ]);
}

export function capacitySvg(results: CapacityResult[], title: string): string {
  const series = capacitySeries(results);
  const all = series.flatMap((s) => s.points);
  const maxChargers = Math.max(1, ...all.map((p) => p.chargers));
  const minMs = Math.min(1, ...all.map((p) => Math.max(p.ms, 0.1)));
  const maxMs = Math.max(CAPACITY_GOALS.ocppP99Ms * 2, ...all.map((p) => p.ms));
  const [logMin, logMax] = [Math.floor(Math.log10(minMs)), Math.ceil(Math.log10(maxMs))];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (chargers: number) => MARGIN.left + (chargers / maxChargers) * plotW;
  const y = (ms: number) =>
    MARGIN.top + plotH - ((Math.log10(Math.max(ms, 10 ** logMin)) - logMin) / (logMax - logMin)) * plotH;
  const f = (value: number) => value.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="black"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 15}" text-anchor="middle">chargers connected</text>`,
    `<text x="18" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${MARGIN.top + plotH / 2})">p99 latency (ms, log scale)</text>`,
  ];
  for (let power = logMin; power <= logMax; power++) {
    const ms = 10 ** power;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${f(y(ms))}" x2="${MARGIN.left + plotW}" y2="${f(y(ms))}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${f(y(ms) + 4)}" text-anchor="end">${ms >= 1 ? ms.toLocaleString('en-US') : ms}</text>`,
    );
  }
  for (const chargers of ticks(maxChargers)) {
    parts.push(
      `<text x="${f(x(chargers))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${chargers.toLocaleString('en-US')}</text>`,
    );
  }
  for (const [label, ms] of [
    ['OCPP goal 200 ms', CAPACITY_GOALS.ocppP99Ms],
    ['API goal 100 ms', CAPACITY_GOALS.apiP99Ms],
  ] as const) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${f(y(ms))}" x2="${MARGIN.left + plotW}" y2="${f(y(ms))}" stroke="#888" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + plotW - 4}" y="${f(y(ms) - 4)}" text-anchor="end" fill="#666">${label}</text>`,
    );
  }
  series.forEach((s, index) => {
    const points = s.points.map((p) => `${f(x(p.chargers))},${f(y(p.ms))}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="2 3"' : '';
    parts.push(
      `<polyline data-series="${escapeXml(s.label)}" points="${points}" fill="none" stroke="${s.colour}" stroke-width="2"${dash}/>`,
      ...s.points.map((p) => `<circle cx="${f(x(p.chargers))}" cy="${f(y(p.ms))}" r="3" fill="${s.colour}"/>`),
    );
    const legendY = MARGIN.top + 10 + index * 18;
    parts.push(
      `<line x1="${WIDTH - MARGIN.right + 12}" y1="${legendY}" x2="${WIDTH - MARGIN.right + 36}" y2="${legendY}" stroke="${s.colour}" stroke-width="2"${dash}/>`,
      `<text x="${WIDTH - MARGIN.right + 42}" y="${legendY + 4}">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** About five round tick values from 0 to max. */
function ticks(max: number): number[] {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw) ?? raw;
  const values: number[] = [];
  for (let value = 0; value <= max + step / 2; value += step) values.push(value);
  return values;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
