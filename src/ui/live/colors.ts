/** The colour of a verdict, the same in every view of the live UI. */
export function verdictColor(verdict: string | undefined): string {
  return verdictColors[verdict ?? ''] ?? 'white';
}

const verdictColors: Record<string, string> = {
  good: 'green',
  'good-endpoint': 'green',
  bad: 'red',
  'bad-endpoint': 'red',
  skipped: 'yellow',
  inconclusive: 'magenta',
  between: 'cyan',
};
