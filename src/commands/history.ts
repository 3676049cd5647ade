import { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { configNames, findConfig, loadConfig } from '../harness/config/loader.js';
import { createProbe } from '../probes/index.js';
import type { MetricInfo } from '../probes/types.js';
import type { StoreRecord } from '../harness/store/drift-store.js';
import { cacheRoot } from '../harness/store/paths.js';
import { fmtValue, short } from '../report/format.js';
import { termText } from '../report/escape.js';
import { renderSeriesSvg } from '../report/drift.js';
import { commandErrors, openStoreFor, parseWith } from './drift.js';

/** `perfbisect history --probe <name>`: the stored series with its change points and culprits, and an SVG chart. */
export async function run(argv: string[]): Promise<number> {
  const p = commandErrors(
    new Command('history')
      .description(
        'Print the stored drift series of a probe with its change points and culprits, and write an SVG chart.',
      )
      .option('--probe <name>', 'the probe whose history to show')
      .option('--store <dir|git:branch>', 'the drift store (default: as perfbisect drift)')
      .option('--repo <dir>', 'the repository (default: the current directory)')
      .option('--config <file>', "probes config, for the metric's unit and direction (default: the repository's, if any)")
      .option('--svg <file>', 'where to write the chart (default: <cache>/history/<probe>.svg)'),
  );
  const early = parseWith(p, argv);
  if (early !== undefined) return early;
  const opts = p.opts<{ probe?: string; store?: string; repo?: string; svg?: string; config?: string }>();
  if (!opts.probe) throw new UsageError('--probe <name> is required: the probe whose stored series to show.');
  const { repo, store } = await openStoreFor(opts.store, opts.repo);
  const metric = await metricOf(opts.probe, opts.config, repo.root);
  const records = await store.load();
  const runs = records.filter(
    (r): r is Extract<StoreRecord, { type: 'run' }> => r.type === 'run' && r.probe === opts.probe,
  );
  if (!runs.length)
    throw new UsageError(
      `no drift checks of probe '${opts.probe}' in ${store.where}. Run perfbisect drift --probe ${opts.probe} first (with the same --store).`,
    );
  // The latest value of each commit, in commit-date order: a re-measured baseline replaces the older number.
  const points = new Map<string, Extract<StoreRecord, { type: 'point' }>>();
  for (const r of records) if (r.type === 'point' && r.probe === opts.probe) points.set(r.sha, r);
  const series = [...points.values()].sort((a, b) => a.date.localeCompare(b.date));
  const acked = new Set(records.flatMap((r) => (r.type === 'ack' ? [r.id] : [])));
  const changes = new Map<string, Extract<StoreRecord, { type: 'change' }>>();
  for (const r of records) if (r.type === 'change' && r.probe === opts.probe) changes.set(r.id, r);
  const out = (l: string) => process.stdout.write(termText(l) + '\n');
  out(`history of ${opts.probe} in ${store.where}: ${runs.length} check(s), ${series.length} commit(s) measured`);
  for (const s of series) out(`  ${s.date.slice(0, 10)} ${short(s.sha)} ${fmtValue(s.value, metric.unit).padStart(10)}  ${s.subject.replace(/\s+/g, ' ').slice(0, 60)}`);
  out(changes.size ? 'change points:' : 'change points: none');
  for (const c of changes.values()) {
    const status = acked.has(c.id)
      ? 'acknowledged'
      : c.confirmed
        ? c.kind === 'regression'
          ? 'open'
          : 'improvement'
        : 'not confirmed';
    out(
      `  ${c.id} ${c.kind} ${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(1)}% culprit ${c.culprit ? short(c.culprit) : '–'} (${status})`,
    );
  }
  for (const r of records) {
    if (r.type !== 'creep' || r.probe !== opts.probe) continue;
    const left = `${r.unexplained >= 0 ? '+' : ''}${(r.unexplained * 100).toFixed(1)}%`;
    const status = acked.has(r.id) ? 'acknowledged' : 'open';
    out(`  ${r.id} creep ${left} no step explains, ${short(r.from)}..${short(r.to)} (${status})`);
  }
  const svgFile = resolve(opts.svg ?? join(cacheRoot(), 'history', `${opts.probe.replace(/[^\w.-]+/g, '_')}.svg`));
  mkdirSync(dirname(svgFile), { recursive: true });
  const culpritAt = (c: Extract<StoreRecord, { type: 'change' }>) => ({
    from: c.from,
    to: c.to,
    kind: c.kind,
    confirmed: c.confirmed,
  });
  writeFileSync(
    svgFile,
    renderSeriesSvg(series, [...changes.values()].map(culpritAt), metric),
  );
  out(`chart: ${svgFile}`);
  return 0;
}

/**
 * The probe's metric from the config (--config, else the repository's own, if it has one): the series
 * is stored as numbers only. Without a config: the probe's name, no unit, lower is better.
 */
async function metricOf(probe: string, explicit: string | undefined, root: string): Promise<MetricInfo> {
  const fallback: MetricInfo = { name: probe, unit: '', better: 'lower' };
  if (!explicit && !configNames.some((n) => existsSync(join(root, n)))) return fallback;
  const config = await loadConfig(findConfig(explicit, root));
  return probe in config.probes ? createProbe(probe, config.probes[probe]).probe.metric : fallback;
}
