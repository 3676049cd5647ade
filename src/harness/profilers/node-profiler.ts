import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILER_PRELOAD } from '../../evidence/cpuprofile.js';

/**
 * Node 20 refuses --cpu-prof in NODE_OPTIONS, but allows --require. This preload starts V8's sampling
 * profiler through the inspector's Profiler domain in every Node process the probe starts, and
 * writes a standard .cpuprofile (DevTools, speedscope) into PERFBISECT_CPU_PROF_DIR when the process
 * exits. The inspector session of the process itself is synchronous, so this works in 'exit'.
 */
const preload = `'use strict';
const dir = process.env.PERFBISECT_CPU_PROF_DIR;
if (dir) {
  // TurboFan inlines small hot helpers into their callers and the profiler then bills the caller:
  // exactly the helper we are looking for would vanish. Profiled runs are slower without inlining;
  // the evidence compares shares of time between two runs profiled the same way.
  require('node:v8').setFlagsFromString('--no-turbo-inlining');
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const path = require('node:path');
  const s = new inspector.Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.setSamplingInterval', { interval: Number(process.env.PERFBISECT_CPU_PROF_INTERVAL) || 250 });
  s.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    s.post('Profiler.stop', (err, r) => {
      if (err || !r) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'CPU.' + Date.now() + '.' + process.pid + '.cpuprofile'), JSON.stringify(r.profile));
    });
  };
  process.on('exit', write);
  // A server stopped with SIGTERM/SIGINT must still write its profile; only when nobody else handles the signal.
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.once(sig, () => {
      write();
      if (process.listenerCount(sig) === 0) process.exit(128 + (sig === 'SIGTERM' ? 15 : 2));
    });
  }
}
`;

/** Write the preload into `dir` and return the environment that profiles every Node process into `outDir`. */
export function nodeProfilerEnv(
  dir: string,
  baseNodeOptions: string | undefined,
): (outDir: string) => Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, PROFILER_PRELOAD);
  writeFileSync(file, preload);
  const nodeOptions = `${baseNodeOptions ? baseNodeOptions + ' ' : ''}--require "${file.replace(/(["\\])/g, '\\$1')}"`;
  return (outDir) => ({ NODE_OPTIONS: nodeOptions, PERFBISECT_CPU_PROF_DIR: outDir });
}
