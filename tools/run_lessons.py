"""Execute lesson notebooks in place, so that their committed outputs come from one documented run, and say how long each took.

    python tools/run_lessons.py                      # every lesson (nbs/1*_*.ipynb), each in its mode from LESSON_MODES
    python tools/run_lessons.py nbs/14_imdb_ulmfit.ipynb
    COURSE_TL_MODE=quick python tools/run_lessons.py # every lesson in the mode COURSE_TL_MODE says

The committed outputs come from the biggest run a 2-core CPU does in a lesson's budget: full mode for the lessons whose
full mode takes minutes on a CPU, quick mode (and the measured full-size runs the lesson ships) for the others.

`make lessons` runs it. Each notebook runs in a fresh kernel from the `nbs/` folder; fastai's progress bars render as HTML
there, not as console text. A notebook that fails is left as it was (its new outputs are not written) and the run goes on.
Prints one table: notebook, mode, seconds, result.
"""
import os, re, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


_WARNING = re.compile(r'^\S+:\d+: \w*Warning: ')

def drop_warnings(nb) -> int:
    "Remove the stderr outputs that are only library warnings (`path:line: SomeWarning: ...` and the line of code under it); how many"
    n = 0
    for c in nb.cells:
        if c.cell_type != 'code': continue
        keep = [o for o in c.get('outputs', []) if not (o.get('name') == 'stderr' and _WARNING.match(o.get('text', '')))]
        n += len(c.get('outputs', [])) - len(keep); c.outputs = keep
    return n


def run(nb_path:Path, timeout:int=3600) -> tuple:
    "Execute `nb_path` in place; (seconds, 'ok' or the error's first line)"
    nb = nbformat.read(nb_path, as_version=4)
    t = time.perf_counter()
    try: NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(nb_path.parent)}}).execute()
    except Exception as e:   # the failing cell and the last lines of its error
        lines = [l for l in str(e).strip().splitlines() if l.strip()]
        return time.perf_counter() - t, "failed: " + (" | ".join(lines[:3] + ["..."] + lines[-4:])[:1500] if lines else type(e).__name__)
    for c in nb.cells:   # execution counts and timing metadata only add noise to a diff
        c.metadata.pop('execution', None)
    drop_warnings(nb)
    tmp = nb_path.with_name(f'.{nb_path.name}.tmp')
    nbformat.write(nb, tmp); tmp.replace(nb_path)
    return time.perf_counter() - t, 'ok'


# The mode each lesson's committed outputs come from, measured on a 2-core CPU with an empty cache:
# full mode where it runs in minutes there (functions 8 s, railway 229 s, layers 92 s); quick mode where full mode needs a GPU.
LESSON_MODES = {'10': 'full', '11': 'full', '12': 'quick', '13': 'full', '14': 'quick'}

def lesson_mode(nb_path:Path) -> str:
    "COURSE_TL_MODE when it is set, else the lesson's entry in LESSON_MODES (quick for a lesson it doesn't name)"
    return os.environ.get('COURSE_TL_MODE') or LESSON_MODES.get(nb_path.name[:2], 'quick')


def main(args:list) -> int:
    nbs = [Path(a).resolve() for a in args] or sorted((ROOT/'nbs').glob('1*_*.ipynb'))
    rows, env = [], dict(os.environ)
    for p in nbs:
        mode = lesson_mode(p)
        print(f"running {p.name} in {mode} mode ...", flush=True)
        os.environ['COURSE_TL_MODE'] = mode   # the kernel inherits it
        try: secs, res = run(p)
        finally: os.environ.clear(); os.environ.update(env)
        rows.append((p.name, mode, secs, res)); print(f"  {secs:.0f} s: {res}", flush=True)
    print("\n| lesson | mode | seconds | result |\n|---|---|---|---|")
    for name, mode, secs, res in rows: print(f"| {name} | {mode} | {secs:.0f} | {res} |")
    return 0 if all(r == 'ok' for *_, r in rows) else 1


if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
