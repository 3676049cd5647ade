import jstatPkg from 'jstat';
const { jStat } = jstatPkg;

export interface MannWhitneyResult {
  u: number;
  /** Two-sided p-value (normal approximation with tie and continuity correction). */
  p: number;
}

/** Mann-Whitney U test of a against b: are their distributions shifted? */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, p: 1 };
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[k] = r;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let r1 = 0;
  for (let i = 0; i < all.length; i++) if (all[i].g === 0) r1 += ranks[i];
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u: u1, p: u1 === mu ? 1 : 0 };
  const z = (Math.abs(u1 - mu) - 0.5) / Math.sqrt(variance);
  const p = Math.min(1, 2 * (1 - jStat.normal.cdf(Math.max(z, 0), 0, 1)));
  return { u: u1, p };
}

/** The z value whose two-sided tail has probability alpha. */
export function zFor(alpha: number): number {
  return jStat.normal.inv(1 - alpha / 2, 0, 1);
}
