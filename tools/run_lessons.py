"""Execute lesson notebooks in place, so that their committed outputs come from one documented run, and say how long each took.

    python tools/run_lessons.py                      # every lesson (nbs/1*_*.ipynb), in the mode COURSE_TL_MODE gives (quick on a CPU)
    python tools/run_lessons.py nbs/11_imdb_ulmfit.ipynb

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
    except Exception as e: return time.perf_counter() - t, f"failed: {str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__}"
    for c in nb.cells:   # execution counts and timing metadata only add noise to a diff
        c.metadata.pop('execution', None)
    drop_warnings(nb)
    tmp = nb_path.with_name(f'.{nb_path.name}.tmp')
    nbformat.write(nb, tmp); tmp.replace(nb_path)
    return time.perf_counter() - t, 'ok'


def main(args:list) -> int:
    nbs = [Path(a).resolve() for a in args] or sorted((ROOT/'nbs').glob('1*_*.ipynb'))
    mode = os.environ.get('COURSE_TL_MODE') or 'default (quick on a CPU, full on a GPU)'
    rows = []
    for p in nbs:
        print(f"running {p.name} ...", flush=True)
        secs, res = run(p)
        rows.append((p.name, secs, res)); print(f"  {secs:.0f} s: {res}", flush=True)
    print(f"\nmode: {mode}\n\n| lesson | seconds | result |\n|---|---|---|")
    for name, secs, res in rows: print(f"| {name} | {secs:.0f} | {res} |")
    return 0 if all(r == 'ok' for *_, r in rows) else 1


if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
