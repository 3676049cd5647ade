/**
 * Quoting for `sh -c` command lines (probes' `ctx.exec`, the reproduce line of a writeup): a word that
 * needs no quoting stays readable; anything else goes in single quotes.
 */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line of several arguments, each quoted. */
export function quoteArgs(args: string[]): string {
  return args.map(quoteArg).join(' ');
}
