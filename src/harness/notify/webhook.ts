import type { WebhookPayload } from '../../report/webhook.js';

/**
 * POST the alert as JSON. One retry after a network error or a 5xx (receivers such as Slack answer
 * 5xx when briefly unavailable); a failure is returned as a message, never thrown: the check's
 * result and exit code stand whether or not the alert got through.
 */
export async function postWebhook(
  url: string,
  payload: WebhookPayload,
  options: { timeoutMs?: number; retryDelayMs?: number } = {},
): Promise<string | undefined> {
  let last = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 1000));
    try {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (r.ok) return undefined;
      last = `the webhook answered ${r.status} ${r.statusText}`.trim();
      if (r.status < 500) break;
    } catch (e) {
      last = `the webhook could not be reached: ${(e as Error).message}`;
    }
  }
  return last;
}
