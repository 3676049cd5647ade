/**
 * Reading a metric out of a k6 end-of-test summary (pure). Two documented shapes exist:
 *
 * - `--summary-export` (what the probe asks for): `metrics.<name>` holds the stats directly —
 *   trends `{ avg, min, med, max, "p(90)", … }`, counters `{ count, rate }`, rates
 *   `{ passes, fails, value }`, gauges `{ value, min, max }` — and `thresholds` maps each
 *   expression to a boolean that is `true` when the threshold FAILED (k6 kept this inverted
 *   meaning for compatibility, grafana/k6#1498).
 * - `handleSummary()`'s data (a user script may write it): `metrics.<name>` is
 *   `{ type, values: { … }, thresholds: { expr: { ok } } }`, rates under `values.rate`.
 */
import { isObject } from '../../config/schema.js';

const statRe = /^(.*)\.(avg|min|med|max|count|rate|value|passes|fails|p\(\d+(?:\.\d+)?\))$/;

export interface K6MetricRef {
  metric: string;
  /** Stat of the metric; undefined: the natural one for its type (trend: med, counter: count, rate/gauge: value). */
  stat?: string;
}

/** 'http_req_duration.p(99)' → { metric: 'http_req_duration', stat: 'p(99)' }; a bare name keeps stat undefined. */
export function parseK6Metric(spec: string): K6MetricRef {
  const m = statRe.exec(spec);
  return m ? { metric: m[1], stat: m[2] } : { metric: spec };
}

/** The trend stats to ask k6 for, so that any requested percentile is in the export. */
export function trendStats(ref: K6MetricRef): string[] {
  const base = ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)'];
  if (ref.stat && /^p\(/.test(ref.stat) && !base.includes(ref.stat)) base.push(ref.stat);
  return base;
}

export interface K6Figures {
  value: number;
  /** Latency percentiles and rates of the standard HTTP metrics, for the writeup table. */
  details: Record<string, number>;
  /** Threshold expressions that failed, like 'http_req_duration: p(95)<500'. */
  failedThresholds: string[];
}

/** Throws an Error whose message names what is missing (the caller turns it into a probe failure). */
export function readK6Summary(summary: unknown, ref: K6MetricRef): K6Figures {
  if (!isObject(summary) || !isObject(summary.metrics)) throw new Error('the k6 summary has no "metrics" object');
  const metrics = summary.metrics;
  const value = statOf(metrics, ref);
  if (value === undefined) {
    const m = metrics[ref.metric];
    if (!m)
      throw new Error(
        `k6 reported no metric "${ref.metric}" (it has: ${Object.keys(metrics).slice(0, 12).join(', ')})`,
      );
    throw new Error(
      `k6's metric "${ref.metric}" has no "${ref.stat}" (it has: ${Object.keys(statsObject(m)).join(', ')})`,
    );
  }
  const details: Record<string, number> = {};
  const put = (key: string, r: K6MetricRef, scale = 1) => {
    const v = statOf(metrics, r);
    if (v !== undefined) details[key] = v * scale;
  };
  put('p50', { metric: 'http_req_duration', stat: 'med' });
  put('p90', { metric: 'http_req_duration', stat: 'p(90)' });
  put('p95', { metric: 'http_req_duration', stat: 'p(95)' });
  put('p99', { metric: 'http_req_duration', stat: 'p(99)' });
  put('mean', { metric: 'http_req_duration', stat: 'avg' });
  put('rps', { metric: 'http_reqs', stat: 'rate' });
  put('errorRate', { metric: 'http_req_failed', stat: 'rate' });
  return { value, details, failedThresholds: failedThresholds(metrics) };
}

function statsObject(m: unknown): Record<string, unknown> {
  if (!isObject(m)) return {};
  return isObject(m.values) ? m.values : m;
}

function statOf(metrics: Record<string, unknown>, ref: K6MetricRef): number | undefined {
  const stats = statsObject(metrics[ref.metric]);
  const names = ref.stat ? [ref.stat] : ['med', 'count', 'rate', 'value'];
  // The export writes a Rate's fraction as `value`, handleSummary as `rate`; `med` is also p(50).
  const aliases: Record<string, string[]> = {
    rate: ['rate', 'value'],
    value: ['value', 'rate'],
    med: ['med', 'p(50)'],
    'p(50)': ['p(50)', 'med'],
  };
  const isRate = 'passes' in stats || 'fails' in stats;
  for (const n of names) {
    for (const k of aliases[n] ?? [n]) {
      if (!ref.stat && n === 'rate' && !isRate) continue; // a counter's natural stat is its count
      const v = stats[k];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
    }
  }
  return undefined;
}

function failedThresholds(metrics: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, m] of Object.entries(metrics)) {
    if (!isObject(m) || !isObject(m.thresholds)) continue;
    for (const [expr, t] of Object.entries(m.thresholds)) {
      const failed = typeof t === 'boolean' ? t : isObject(t) && t.ok === false;
      if (failed) out.push(`${name}: ${expr}`);
    }
  }
  return out;
}
