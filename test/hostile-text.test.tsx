/**
 * Repository text is untrusted in every output: one escaper per output kind (src/report/escape.ts),
 * checked here on every renderer with hostile text in every field that reaches it.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { EventStream } from '../src/events.js';
import { renderDiffFlameGraph } from '../src/evidence/flamegraph.js';
import { emptyAggregate, fnKey } from '../src/evidence/types.js';
import { md, mdCode, mdFence, slackText, termText, xmlText } from '../src/report/escape.js';
import { renderDriftReport, renderSeriesSvg } from '../src/report/drift.js';
import { markdownToHtml, renderHtml } from '../src/report/html.js';
import { reportCharts } from '../src/report/svg.js';
import { webhookPayload } from '../src/report/webhook.js';
import { renderBisectComment } from '../src/report/github-comment.js';
import { renderDriftIssue } from '../src/report/github-issue.js';
import { renderWriteup } from '../src/report/writeup.js';
import { renderProbeEvidence } from '../src/report/evidence/probe.js';
import { App } from '../src/ui/live/App.js';
import { plainReporter } from '../src/ui/plain.js';
import { foldEvents } from '../src/ui/state.js';
import { ESC, HOSTILE, hostileDrift, hostileEvents, hostileMeta, hostileResult } from './fixtures/hostile.js';

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** Terminal text: no escape sequence, no control character but tab and newline, no bidi override. */
function expectTerminalSafe(text: string): void {
  expect(text).not.toContain(ESC);
  expect(text).not.toMatch(CONTROL);
}

/** The cells of a Markdown table row, split on unescaped pipes. */
function cells(row: string): number {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).length;
}

/** Markdown: tables keep their columns, no raw tag or link outside code, no line forged by a newline. */
function expectMarkdownSafe(text: string): void {
  expectTerminalSafe(text);
  const lines = text.split('\n');
  // Lines outside fenced blocks; a block ends at a line of backticks at least as long as its opening fence.
  const outsideFences: string[] = [];
  let fence = '';
  for (const l of lines) {
    if (fence) {
      if (l.startsWith(fence) && /^`+\s*$/.test(l)) fence = '';
    } else if (/^`{3,}/.test(l)) fence = /^`+/.exec(l)![0];
    else outsideFences.push(l);
  }
  for (let i = 0; i < outsideFences.length; i++) {
    if (!outsideFences[i].startsWith('|') || outsideFences[i - 1]?.startsWith('|')) continue;
    const width = cells(outsideFences[i]);
    for (let k = i; k < outsideFences.length && outsideFences[k].startsWith('|'); k++) expect(cells(outsideFences[k]), outsideFences[k]).toBe(width);
  }
  for (const line of outsideFences) {
    // Code spans (a run of backticks to the next run of the same length) show their text literally.
    const prose = line.replace(/(?<![`\\])(`+)(?!`).*?(?<!`)\1(?!`)/g, '');
    expect(prose, line).not.toMatch(/(?<!\\)<[a-zA-Z!/?@]/);
    expect(prose, line).not.toMatch(/(?<!\\)\[/);
    // Nobody is mentioned outside code (GitHub links @names and #numbers after rendering).
    expect(prose, line).not.toMatch(/@[A-Za-z]|(?<!&)#\d/);
    expect(line.startsWith('lines'), line).toBe(false);
  }
  expectHtmlSafe(markdownToHtml(text));
}

const ALLOWED_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'h1', 'h2', 'h3', 'h4', 'p', 'br', 'strong', 'code', 'pre', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'ul', 'li', 'a', 'figure', 'figcaption']);
const SVG_TAGS = new Set(['svg', 'title', 'rect', 'text', 'g', 'line', 'circle', 'path', 'polyline', 'tspan']);

function expectHtmlSafe(html: string, allowed = ALLOWED_TAGS): void {
  expectTerminalSafe(html.replace(/\n/g, ''));
  for (const [, name] of html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)) expect(allowed.has(name.toLowerCase()) || SVG_TAGS.has(name), name).toBe(true);
  expect(html).not.toMatch(/href="(?!https?:|\.{0,2}\/|[\w.-]+")/);
}

describe('one escaper per output kind', () => {
  it('terminal text loses escape sequences and control characters, keeps the words', () => {
    const t = termText(HOSTILE);
    expectTerminalSafe(t.replace(/\n/g, ''));
    expect(t).toContain('red');
    expect(t).toContain('<!channel>');
    expect(t).not.toContain('pwned');
  });

  it('Markdown text, code spans and fenced code cannot break out of their context', () => {
    const fence = mdFence(`${HOSTILE}\n\`\`\`\n${HOSTILE}`);
    expectMarkdownSafe([`| a | b |`, '|---|---|', `| ${md(HOSTILE)} | ${mdCode(HOSTILE, { inTable: true })} |`, '', md(HOSTILE), '', ...fence, ''].join('\n'));
    // The fence outgrows the backticks inside, so the block cannot be closed from within.
    expect(fence[0]).toBe('````');
    expect(fence.at(-1)).toBe('````');
    // Nobody is mentioned, nothing is referenced: GitHub links those after rendering.
    expect(md('@octocat fixed #12')).toBe('@\u200boctocat fixed \\#\u200b12');
  });

  it('Slack text escapes &, < and > as Slack requires', () => {
    const s = slackText(HOSTILE);
    expect(s).not.toMatch(/[<>]/);
    expect(s).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(s).toContain('&lt;!channel&gt;');
    expect(s).toContain('&lt;@U123&gt;');
    expect(s).toContain('&lt;https://evil.example/slack|click here&gt;');
    expectTerminalSafe(s);
  });

  it('XML text is markup-free and has no character XML 1.0 forbids', () => {
    const x = xmlText(`${HOSTILE} \ud800 \uffff`);
    expect(x).not.toMatch(/[<>"']/);
    expect(x).not.toMatch(/[\ud800-\udfff\ufffe\uffff]/);
    expectTerminalSafe(x.replace(/\n/g, ''));
  });
});

describe('every renderer, fed hostile text in every field', () => {
  it('the writeup (Markdown) and its HTML', () => {
    const r = hostileResult();
    const x = { meta: hostileMeta(), samples: () => [1, 2, 3] };
    const markdown = renderWriteup(r, x);
    expectMarkdownSafe(markdown);
    expect(markdown).toContain('\\<script>');
    expectHtmlSafe(renderHtml(markdown, reportCharts(r, x), HOSTILE));
    const probe = renderProbeEvidence([{ culprit: 'c'.repeat(40), baseline: 'b'.repeat(40), before: { bundle: { compression: 'gzip', files: [{ file: HOSTILE, raw: 1, gzip: 1, brotli: 1 }] } }, after: { bundle: { compression: 'gzip', files: [{ file: HOSTILE, raw: 9, gzip: 9, brotli: 9 }] } } }] as never);
    expectMarkdownSafe(probe.join('\n'));
  });

  it('the drift report ($GITHUB_STEP_SUMMARY gets the same text) and its series chart', () => {
    const d = hostileDrift();
    expectMarkdownSafe(renderDriftReport(d, { svgFile: 'series.svg' }).replace('![series](series.svg)', ''));
    expectHtmlSafe(renderSeriesSvg(d.series, d.changes, d.probe.metric), SVG_TAGS);
  });

  it('GitHub comments and issues (the same Markdown escaper)', () => {
    const links = { serverUrl: 'https://github.com', owner: 'o', repo: 'r' };
    const r = hostileResult();
    // Their own HTML (a hidden marker, a details block) is perfbisect's; repository text adds none.
    const own = (text: string) => text.replace(/<!-- perfbisect:[^>]*-->|<\/?(details|summary|sub)>/g, '');
    expectMarkdownSafe(own(renderBisectComment(r, r.culprit!, links)).replace(/\[`[0-9a-f]+`\]\(https:\/\/github\.com\/[^)]*\)/g, ''));
    const d = hostileDrift();
    const issue = renderDriftIssue(d, d.changes[0], links, { name: HOSTILE }, '2026-01-01T00:00:00Z');
    expectMarkdownSafe(own(issue.body).replace(/\[`[0-9a-f]+`\]\(https:\/\/github\.com\/[^)]*\)/g, ''));
    expectTerminalSafe(issue.title);
  });

  it('the Slack-compatible webhook payload', () => {
    const p = webhookPayload(hostileDrift(), `/tmp/${HOSTILE}`);
    expect(p.text).not.toMatch(/[<>]/);
    expect(p.text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expectTerminalSafe(p.text.replace(/\n/g, ''));
    // One line per regression and one for the creep: a newline in a subject cannot add a line of its own.
    expect(p.text.split('\n')).toHaveLength(4);
    const known = webhookPayload({ ...hostileDrift(), alerts: hostileDrift().alerts.slice(0, 1) });
    expect(known.text).not.toMatch(/gradual drift|• drift/); // creep reported before is not news
  });

  it('SVG charts and the differential flame graph', () => {
    const r = hostileResult();
    for (const c of reportCharts(r, { meta: hostileMeta(), samples: () => [1, 2, 3] })) expectHtmlSafe(c.svg, SVG_TAGS);
    const agg = emptyAggregate('v8');
    const key = fnKey({ function: HOSTILE, file: HOSTILE, line: 1 });
    agg.tree = { key: '(root)', name: '(root)', self: 0, total: 10, children: [{ key, name: HOSTILE, self: 10, total: 10, children: [] }] };
    agg.runs = 1;
    expectHtmlSafe(renderDiffFlameGraph(emptyAggregate('v8'), agg, { title: HOSTILE }), SVG_TAGS);
  });

  it('plain lines: one line per write, no escape sequence', () => {
    const events = new EventStream();
    const lines: string[] = [];
    plainReporter(events, (l) => lines.push(l));
    for (const e of hostileEvents()) events.emit(e);
    expect(lines.length).toBeGreaterThan(8);
    for (const l of lines) {
      expect(l).not.toContain('\n');
      expectTerminalSafe(l);
    }
  });

  it('the live terminal UI', () => {
    const s = foldEvents(hostileEvents());
    expect(JSON.stringify(s)).not.toContain(ESC);
    const r = render(<App s={s} />);
    const frame = (r.lastFrame() ?? '').replace(/\x1b\[[0-9;]*m/g, '');
    r.unmount();
    expectTerminalSafe(frame.replace(/\n/g, ''));
    expect(frame).not.toContain('pwned');
  });
});
