import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from '../src/harness/notify/webhook.js';
import type { DriftResult } from '../src/report/drift.js';
import { webhookPayload } from '../src/report/webhook.js';

/**
 * The drift alert to a chat webhook. Slack cannot be reached from the test machine, so msw stands
 * in for it (the drift e2e test posts to a real local server instead).
 */
const hook = 'https://hooks.slack.com/services/T000/B000/XXXX';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const change = (id: string, culprit: string, subject: string, c: number, kind: 'regression' | 'improvement' = 'regression') => ({
  id, from: 'a'.repeat(40), to: 'b'.repeat(40), culprit, subject, kind, change: c, confirmed: true, known: false, acked: false, before: 100, after: 100 * (1 + c), p: 0.0001,
});
const result = {
  schemaVersion: 1, runId: 'run-1', probe: { name: 'api', kind: 'command', metric: { name: 'wall time', unit: 'ms', better: 'lower' } }, branch: 'main',
  window: { from: '1'.repeat(40), to: '2'.repeat(40), commits: 41 }, threshold: 0.05,
  changes: [change('api@3333333', '3'.repeat(40), 'cache everything \x1b[31m<b>', 0.12), change('api@4444444', '4'.repeat(40), 'faster parse', -0.2, 'improvement')],
  drift: { id: 'api@creep-1111-2222', total: 0.09, unexplained: 0.06, commits: 41, largestStep: 0.02, contributors: [] },
  alerts: ['api@3333333', 'api@creep-1111-2222'], exitCode: 5,
} as unknown as DriftResult;

describe('drift webhook', () => {
  it('says what got slower, Slack-compatible, naming only the new regressions, with no escape sequence', () => {
    const p = webhookPayload(result, '/tmp/report.md');
    expect(p.text.split('\n')).toEqual([
      'perfbisect drift: api on main got slower: 1 new regression(s) and gradual drift of +9.0% in 41 commits (1111111111..2222222222).',
      '• +12.0% (100 ms → 112 ms) at 3333333333 cache everything &lt;b&gt; [api@3333333]',
      '• drift +9.0% over 41 commits, no single step above the threshold accounts for +6.0% of it',
      'Report: /tmp/report.md',
    ]);
    expect(p.regressions.map((r) => r.id)).toEqual(['api@3333333']);
    expect(p).toMatchObject({ probe: 'api', branch: 'main', exitCode: 5, runId: 'run-1', report: '/tmp/report.md' });
  });

  it('posts the JSON once when the receiver answers', async () => {
    const got: unknown[] = [];
    server.use(http.post(hook, async ({ request }) => (got.push(await request.json()), HttpResponse.text('ok'))));
    expect(await postWebhook(hook, webhookPayload(result))).toBeUndefined();
    expect(got).toHaveLength(1);
    expect((got[0] as { text: string }).text).toMatch(/^perfbisect drift: api on main got slower/);
  });

  it('retries once after a 5xx, and not after a 4xx; a failure is a message, not an exception', async () => {
    let calls = 0;
    server.use(http.post(hook, () => (++calls === 1 ? new HttpResponse(null, { status: 503 }) : HttpResponse.text('ok'))));
    expect(await postWebhook(hook, webhookPayload(result), { retryDelayMs: 1 })).toBeUndefined();
    expect(calls).toBe(2);
    calls = 0;
    server.use(http.post(hook, () => (calls++, new HttpResponse('no_service', { status: 404, statusText: 'Not Found' }))));
    expect(await postWebhook(hook, webhookPayload(result), { retryDelayMs: 1 })).toBe('the webhook answered 404 Not Found');
    expect(calls).toBe(1);
    server.use(http.post(hook, () => HttpResponse.error()));
    expect(await postWebhook(hook, webhookPayload(result), { retryDelayMs: 1 })).toMatch(/^the webhook could not be reached/);
  });
});
