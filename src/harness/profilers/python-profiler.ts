import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Python has no NODE_OPTIONS, but every interpreter imports `sitecustomize` from PYTHONPATH at start.
 * Ours starts cProfile in each Python process the probe runs (python bench.py, pytest-benchmark, a
 * script a shell script calls) and at exit writes the standard .pstats file (snakeviz, pstats) plus
 * the same statistics as JSON, so perfbisect need not read marshal data with a matching interpreter.
 * It then loads any sitecustomize that ours shadows, so the machine's own setup still runs. It runs
 * under Python 2.7 too: bisecting old history often needs the interpreter of its day.
 */
const sitecustomize = `import os as _pb_os
_pb_dir = _pb_os.environ.get('PERFBISECT_PY_PROF_DIR')
if _pb_dir:
    import atexit as _pb_atexit, cProfile as _pb_cProfile, json as _pb_json, pstats as _pb_pstats, time as _pb_time
    _pb_prof = _pb_cProfile.Profile()
    def _pb_write():
        _pb_prof.disable()
        base = _pb_os.path.join(_pb_dir, 'py.%d.%d' % (int(_pb_time.time() * 1000), _pb_os.getpid()))
        try:
            if not _pb_os.path.isdir(_pb_dir):
                _pb_os.makedirs(_pb_dir)
            _pb_prof.dump_stats(base + '.pstats')
            st = _pb_pstats.Stats(_pb_prof).stats
            fns = [[f[0], f[1], f[2], v[2], v[3], [[c[0], c[1], c[2], t[2], t[3]] for c, t in v[4].items()]] for f, v in st.items()]
            with open(base + '.pstats.json', 'w') as out:
                _pb_json.dump({'functions': fns}, out)
        except Exception:
            pass
    _pb_atexit.register(_pb_write)
    import sys as _pb_psys
    _pb_setprofile = _pb_psys.setprofile
    def _pb_keep(fn, _set=_pb_setprofile):
        # pytest-benchmark pauses profilers around the code it times, and hands back what
        # getprofile() gave it, which for cProfile is not callable. These runs are not measured and
        # the timed code is what the profile is for: its pause and resume are ignored.
        if str(_pb_psys._getframe(1).f_globals.get('__name__', '')).startswith('pytest_benchmark'):
            return
        _set(fn)
    _pb_psys.setprofile = _pb_keep
    _pb_prof.enable()
_pb_here = _pb_os.path.dirname(_pb_os.path.abspath(__file__))
import sys as _pb_sys
def _pb_load(path):
    try:
        import importlib.util as _pb_util
    except ImportError:
        import imp as _pb_imp
        _pb_imp.load_source('_pb_orig_sitecustomize', path)
        return
    spec = _pb_util.spec_from_file_location('_pb_orig_sitecustomize', path)
    spec.loader.exec_module(_pb_util.module_from_spec(spec))
for _pb_p in _pb_sys.path:
    _pb_f = _pb_os.path.join(_pb_p or '.', 'sitecustomize.py')
    if _pb_os.path.abspath(_pb_p or '.') != _pb_here and _pb_os.path.isfile(_pb_f):
        try:
            _pb_load(_pb_f)
        except Exception:
            pass
        break
`;

/** Write sitecustomize.py into `dir` and return the environment that profiles every Python process into `outDir`. */
export function pythonProfilerEnv(
  dir: string,
  basePythonPath: string | undefined,
): (outDir: string) => Record<string, string> {
  const site = join(dir, 'python-site');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, 'sitecustomize.py'), sitecustomize);
  const pythonPath = basePythonPath ? `${site}:${basePythonPath}` : site;
  return (outDir) => ({ PYTHONPATH: pythonPath, PERFBISECT_PY_PROF_DIR: outDir });
}
