"""Every test of the project, on two lanes: each notebook in quick mode (what `nbdev-test` does, with nbdev's own
`test_nb`) and the pytest suite in `tests/`. `make test` runs it; CI runs `make test`.

    python tools/run_tests.py              # all notebooks and pytest
    python tools/run_tests.py --no-pytest  # notebooks only (`make test-notebooks`)

Why not plain `nbdev-test --n-workers 2`: it hands out notebooks in file order, so the longest one (lesson 4, several
minutes) starts last and the suite waits for it, while pytest waits for all of them. Here the order is fixed in
`LONGEST_FIRST` (the lessons, longest first, then pytest, then the library notebooks), and two worker processes take
the next job as they free up. Each worker runs torch on one thread (`OMP_NUM_THREADS=1`): two jobs with two threads
each on a 2-core machine fight over the cores. The order and the thread count are fixed, never chosen from timings,
so a run on a busy machine computes exactly what a run on an idle one does.
"""
import os, sys, subprocess, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from fastcore.script import call_parse

ROOT = Path(__file__).resolve().parent.parent
LONGEST_FIRST = ('14_imdb_ulmfit', '11_railway', '12_dogs_cats', 'pytest', '13_what_layers_learn')   # the rest follow in file order
WORKERS = 2


def jobs(nbs:Path=ROOT/'nbs', pytest:bool=True) -> list:
    "The jobs in the order workers take them: notebook paths, and 'pytest'"
    files = sorted(p for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    rank = {k: i for i, k in enumerate(LONGEST_FIRST)}
    todo = [*files, 'pytest'] if pytest else files
    return sorted(todo, key=lambda j: rank.get(j if j == 'pytest' else j.stem, len(rank)))


def _run(job):
    "(in a worker) one notebook with nbdev's `test_nb`, or the pytest suite in a subprocess; (job, passed, seconds)"
    t = time.perf_counter()
    if job == 'pytest':
        ok = subprocess.run([sys.executable, '-m', 'pytest', '-q', 'tests'], cwd=ROOT).returncode == 0
        return job, ok, time.perf_counter() - t
    from nbdev.config import get_config
    from nbdev.test import test_nb
    cfg = get_config(ROOT)
    flags = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags or [])
    os.chdir(cfg.nbs_path)
    ok, _ = test_nb(job, skip_flags=flags, force_flags=[], basepath=cfg.config_path, cell_timeout=cfg.cell_timeout or None)
    return job.name, ok, time.perf_counter() - t


@call_parse
def main(pytest:bool=True, # also run the pytest suite (--no-pytest: notebooks only)
         workers:int=WORKERS # worker processes (each runs torch on one thread)
        ):
    "Run every notebook (quick mode) and the pytest suite on `workers` lanes, longest jobs first; exit 1 if any fails"
    os.environ.setdefault('OMP_NUM_THREADS', '1')   # before torch is imported: in every worker (forked below) and subprocess
    os.environ.setdefault('COURSE_TL_MODE', 'quick')
    t0 = time.perf_counter()
    # the workers find `_run` by its module's name: not `__main__`, which a notebook's IPython shell replaces in a worker
    sys.path.insert(0, str(Path(__file__).parent))
    from run_tests import _run as run
    with ProcessPoolExecutor(workers) as ex: results = list(ex.map(run, jobs(pytest=pytest)))
    print(f"\n{'job':<34}{'result':>8}{'seconds':>9}")
    for name, ok, secs in sorted(results, key=lambda r: -r[2]): print(f"{name:<34}{'ok' if ok else 'FAILED':>8}{secs:>9.0f}")
    print(f"{'all, on ' + str(workers) + ' lanes':<34}{'':>8}{time.perf_counter() - t0:>9.0f}")
    failed = [n for n, ok, _ in results if not ok]
    if failed: sys.exit(f"failed: {', '.join(failed)}")
