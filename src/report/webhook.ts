import { fmtSignedPct as pct, fmtValue, short } from './format.js';
import { slackText } from './escape.js';
import type { DriftResult } from './drift.js';

/** What `perfbisect drift --webhook` posts: Slack-compatible `text`, plus the facts for other receivers. */
export interface WebhookPayload {
  text: string;
  probe: string;
  branch: string;
  exitCode: number;
  regressions: { id: string; culprit: string | null; subject: string; change: number; before: number; after: number }[];
  drift: DriftResult['drift'];
  runId: string;
  report?: string;
}

/**
 * The alert of a drift check that found something: one line per new regression, and the drift. Pure.
 * `text` is Slack markup: every value in it goes through slackText; the other fields are plain data.
 */
export function webhookPayload(r: DriftResult, report?: string): WebhookPayload {
  const unit = r.probe.metric.unit;
  const alerted = r.changes.filter((c) => r.alerts.includes(c.id));
  // Creep reported by an earlier check (or acknowledged) is not news.
  const creep = r.drift && r.alerts.includes(r.drift.id) ? r.drift : null;
  const lines = [
    `perfbisect drift: ${slackText(r.probe.name)} on ${slackText(r.branch)} got slower: ${alerted.length} new regression(s)${creep ? ` and gradual drift of ${pct(creep.total)}` : ''} in ${r.window.commits} commits (${short(r.window.from)}..${short(r.window.to)}).`,
    ...alerted.map(
      (c) =>
        `• ${pct(c.change)} (${slackText(fmtValue(c.before, unit))} → ${slackText(fmtValue(c.after, unit))}) at ${c.culprit ? `${short(c.culprit)} ${slackText(c.subject.slice(0, 80))}` : 'an unresolved commit'} [${slackText(c.id)}]`,
    ),
    ...(creep
      ? [
          `• drift ${pct(creep.total)} over ${creep.commits} commits, no single step above the threshold accounts for ${pct(creep.unexplained)} of it`,
        ]
      : []),
    ...(report ? [`Report: ${slackText(report)}`] : []),
  ];
  return {
    text: lines.join('\n'),
    probe: r.probe.name,
    branch: r.branch,
    exitCode: r.exitCode,
    regressions: alerted.map((c) => ({
      id: c.id,
      culprit: c.culprit,
      subject: c.subject,
      change: c.change,
      before: c.before,
      after: c.after,
    })),
    drift: r.drift,
    runId: r.runId,
    ...(report ? { report } : {}),
  };
}
