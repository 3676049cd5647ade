/**
 * Reading a metric out of an Artillery 2 JSON report (`artillery run --output report.json`), pure.
 * The report's `aggregate` holds `counters` ('http.requests', 'http.codes.200', 'errors.ETIMEDOUT'),
 * `rates` ('http.request_rate') and `summaries` ('http.response_time' → min, max, mean, median,
 * p50, p75, p90, p95, p99, p999 in ms). A metric is named as Artillery prints it:
 * 'http.response_time.p99', 'http.request_rate', 'http.codes.500'.
 */
import { isObject } from '../../config/schema.js';

export interface ArtilleryFigures {
  value: number;
  details: Record<string, number>;
}

function section(agg: Record<string, unknown>, key: string): Record<string, unknown> {
  return isObject(agg[key]) ? agg[key] : {};
}

export function readArtilleryReport(report: unknown, metric: string): ArtilleryFigures {
  if (!isObject(report) || !isObject(report.aggregate))
    throw new Error('the Artillery report has no "aggregate" object');
  const agg = report.aggregate;
  const counters = section(agg, 'counters');
  const rates = section(agg, 'rates');
  const summaries = section(agg, 'summaries');
  const value = lookup(counters, rates, summaries, metric);
  if (value === undefined) {
    const known = [...Object.keys(summaries).map((k) => `${k}.p99`), ...Object.keys(rates), ...Object.keys(counters)];
    throw new Error(`Artillery reported no metric "${metric}" (it has: ${known.slice(0, 15).join(', ')})`);
  }
  const details: Record<string, number> = {};
  const rt = isObject(summaries['http.response_time']) ? summaries['http.response_time'] : {};
  const take = (key: string, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) details[key] = v;
  };
  take('p50', rt.median ?? rt.p50);
  take('p90', rt.p90);
  take('p95', rt.p95);
  take('p99', rt.p99);
  take('p99.9', rt.p999);
  take('mean', rt.mean);
  take('rps', rates['http.request_rate']);
  const requests = num(counters['http.requests']);
  if (requests) {
    const errors = Object.entries(counters)
      .filter(([k]) => k.startsWith('errors.'))
      .reduce((s, [, v]) => s + num(v), 0);
    const non2xx = Object.entries(counters).filter(([k]) => /^http\.codes\.\d+$/.test(k) && !/^http\.codes\.2\d\d$/.test(k)).reduce((s, [, v]) => s + num(v), 0);
    details.errorRate = errors / requests;
    details.non2xxRate = non2xx / requests;
  }
  return { value, details };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function lookup(
  counters: Record<string, unknown>,
  rates: Record<string, unknown>,
  summaries: Record<string, unknown>,
  metric: string,
): number | undefined {
  for (const src of [counters, rates]) if (typeof src[metric] === 'number') return src[metric] as number;
  const m = /^(.*?)\.(p99\.9|\w+)$/.exec(metric);
  if (!m) return undefined;
  const s = summaries[m[1]];
  let stat = m[2];
  if (stat === 'p50' || stat === 'median') stat = isObject(s) && 'median' in s ? 'median' : 'p50';
  if (stat === 'p99.9') stat = 'p999';
  const v = isObject(s) ? s[stat] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
