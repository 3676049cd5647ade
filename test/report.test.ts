import { describe, expect, it } from 'vitest';
import { markdownToHtml, renderHtml } from '../src/report/html.js';
import { commitsChart, distributionChart, ticks } from '../src/report/svg.js';
import { xmlText as esc } from '../src/report/escape.js';

const ESC = '\x1b';
const hostile = `cache everything <script>alert("x")</script> & <img src=x onerror=alert(1)> ${ESC}[31mRED${ESC}[0m ${ESC}]0;pwned${ESC}\\ | \`tick\``;
const metric = { name: 'wall time', unit: 'ms', better: 'lower' as const };

describe('SVG charts and the HTML converter (pure)', () => {
  it('escapes every text and draws one mark per sample', () => {
    const svg = distributionChart({ title: hostile, metric, before: { label: 'before <a>', values: [10, 11, 12, 10.5] }, after: { label: 'after', values: [20, 21, 22] } });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain(ESC);
    expect(svg).toContain('&lt;script&gt;');
    expect(svg.match(/<circle /g)).toHaveLength(7);
    const line = commitsChart([{ sha: 'a'.repeat(40), subject: hostile, verdict: 'good-endpoint', values: [1, 2] }, { sha: 'b'.repeat(40), subject: 'x', verdict: 'bad', values: [3, 4], culprit: true }], metric, 't');
    expect(line).not.toContain('<script');
    expect(line).toContain('bad');
    expect(ticks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('renders the writeup Markdown subset, with backslash escapes, and never passes markup through', () => {
    const md = ['## Title \\<b\\>', '', '**Range:** `good`  ', 'next', '', '| A | B \\| C |', '|---|---|', '| <script> | `x` |', '', '- item **bold**', '', '```sh', 'a <b>', '```', '', '![Chart](c.svg)', '![Other](missing.svg)', '[link](javascript:alert(1))'].join('\n');
    const html = markdownToHtml(md, new Map([['c.svg', '<svg id="c"></svg>']]));
    expect(html).toContain('<h2>Title &lt;b&gt;</h2>');
    expect(html).toContain('<strong>Range:</strong> <code>good</code><br>\nnext');
    expect(html).toContain('<th>B | C</th>');
    expect(html).toContain('<td>&lt;script&gt;</td>');
    expect(html).toContain('<li>item <strong>bold</strong></li>');
    expect(html).toContain('<pre><code>a &lt;b&gt;</code></pre>');
    expect(html).toContain('<figure><svg id="c"></svg><figcaption>Chart</figcaption></figure>');
    expect(html).toContain('Other (missing.svg)');
    expect(html).not.toContain('href="javascript');
    const page = renderHtml(md, [], hostile);
    expect(page).toContain("default-src 'none'");
    expect(page).not.toMatch(/<script|<link|src="http/);
    expect(esc(hostile)).not.toContain(ESC);
  });
});
