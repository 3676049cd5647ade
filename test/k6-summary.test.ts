/**
 * k6 cannot be installed on these machines (no Debian or npm package ships the binary): its summary
 * parsing is tested on summaries in the two shapes k6 documents. The process handling is in
 * load-k6.e2e.test.ts, with a stand-in k6 executable.
 */
import { describe, expect, it } from 'vitest';
import { parseK6Metric, readK6Summary } from '../src/probes/k6/summary.js';

/** `k6 run --summary-export=…` output (the legacy export format; thresholds true = failed). */
const exported = {
  root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: {}, checks: {} },
  metrics: {
    http_req_duration: { avg: 12.5, min: 1.1, med: 9.8, max: 250.3, 'p(90)': 20.1, 'p(95)': 31.4, 'p(99)': 201.7, 'p(99.9)': 249.8, thresholds: { 'p(95)<500': false, 'p(99)<100': true } },
    'http_req_duration{expected_response:true}': { avg: 12.4, min: 1.1, med: 9.7, max: 250.3, 'p(90)': 20, 'p(95)': 31, 'p(99)': 200 },
    http_reqs: { count: 400, rate: 195.3 },
    http_req_failed: { passes: 2, fails: 398, value: 0.005, thresholds: { 'rate<0.01': false } },
    vus: { value: 4, min: 4, max: 4 },
    checkout_time: { avg: 3, min: 1, med: 2.5, max: 9, 'p(90)': 7, 'p(95)': 8, 'p(99)': 8.9 },
    orders: { count: 17, rate: 8.5 },
  },
};

/** The same run as handleSummary() gets it (`values`, thresholds `{ ok }`). */
const handleSummaryData = {
  metrics: {
    http_req_duration: { type: 'trend', contains: 'time', values: { avg: 12.5, min: 1.1, med: 9.8, max: 250.3, 'p(90)': 20.1, 'p(95)': 31.4, 'p(99)': 201.7 }, thresholds: { 'p(99)<100': { ok: false } } },
    http_reqs: { type: 'counter', contains: 'default', values: { count: 400, rate: 195.3 } },
    http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0.005, passes: 2, fails: 398 } },
  },
};

describe('k6 summary parsing (documented formats)', () => {
  it('splits a metric spec into metric and stat', () => {
    expect(parseK6Metric('http_req_duration.p(99)')).toEqual({ metric: 'http_req_duration', stat: 'p(99)' });
    expect(parseK6Metric('http_req_duration.p(99.9)')).toEqual({ metric: 'http_req_duration', stat: 'p(99.9)' });
    expect(parseK6Metric('http_req_duration{expected_response:true}.p(95)')).toEqual({ metric: 'http_req_duration{expected_response:true}', stat: 'p(95)' });
    expect(parseK6Metric('http_reqs.rate')).toEqual({ metric: 'http_reqs', stat: 'rate' });
    expect(parseK6Metric('orders')).toEqual({ metric: 'orders' });
  });

  it.each([
    ['http_req_duration.p(99)', 201.7],
    ['http_req_duration.p(99.9)', 249.8],
    ['http_req_duration.med', 9.8],
    ['http_req_duration.p(50)', 9.8],
    ['http_req_duration{expected_response:true}.p(95)', 31],
    ['http_reqs.rate', 195.3],
    ['http_reqs', 400],
    ['http_req_failed.rate', 0.005],
    ['http_req_failed', 0.005],
    ['vus.max', 4],
    ['checkout_time.avg', 3],
    ['orders.count', 17],
  ])('reads %s from a --summary-export file', (spec, value) => {
    expect(readK6Summary(exported, parseK6Metric(spec)).value).toBe(value);
  });

  it('reads the handleSummary shape and the writeup figures', () => {
    const f = readK6Summary(handleSummaryData, parseK6Metric('http_req_duration.p(99)'));
    expect(f.value).toBe(201.7);
    expect(f.details).toMatchObject({ p50: 9.8, p95: 31.4, p99: 201.7, rps: 195.3, errorRate: 0.005 });
    expect(readK6Summary(handleSummaryData, parseK6Metric('http_req_failed.rate')).value).toBe(0.005);
  });

  it('reports failed thresholds in both shapes (the export writes true for a failed one)', () => {
    expect(readK6Summary(exported, parseK6Metric('http_reqs.rate')).failedThresholds).toEqual(['http_req_duration: p(99)<100']);
    expect(readK6Summary(handleSummaryData, parseK6Metric('http_reqs.rate')).failedThresholds).toEqual(['http_req_duration: p(99)<100']);
  });

  it('names what is missing', () => {
    expect(() => readK6Summary(exported, parseK6Metric('nope.p(99)'))).toThrow(/k6 reported no metric "nope" \(it has: http_req_duration/);
    expect(() => readK6Summary(exported, parseK6Metric('http_reqs.p(99)'))).toThrow(`k6's metric "http_reqs" has no "p(99)" (it has: count, rate)`);
    expect(() => readK6Summary({}, parseK6Metric('http_reqs'))).toThrow('no "metrics" object');
  });
});
