"""The student's run, rehearsed: every lesson in full mode (and in original mode where its code differs), every cell, on
this CPU, from a fresh environment like a Colab GPU runtime's, with `course_tl` installed by the lesson's own install cell.

    python tools/rehearse.py                  # every lesson; `make rehearse`
    python tools/rehearse.py 14 --modes full  # lessons whose file name starts with 14, full mode only
    python tools/rehearse.py --fresh          # rebuild the environment and the staged data first
    python tools/rehearse.py --install-only   # only the Colab install, measured

What it does, all of it outside the checkout (in `--work`, default /tmp/course_tl_rehearse; nothing is written into nbs/):
1. builds a wheel of the checkout as it is (tracked and new files, with uncommitted changes);
2. keeps a Python 3.13 virtual environment (pyenv's 3.13.0, as Colab's) with Colab's versions of the packages the course
   needs (`../shared/colab/pip-freeze.gpu.txt`, its pins as constraints, `+cu128` dropped), built once and reused while
   its inputs are unchanged; before each run it is put back as it was built (course_tl and whatever its install added,
   removed), so that each run measures the install cell from the same start;
3. stages every download full mode makes: IMDB from `../shared/data/imdb.tgz` where `untar_data` finds it (cut to 300 real
   reviews per folder, the first 40 words of each: see `IMDB_CUT`; `--gpu-check` stages all of it),
   the dogs-vs-cats photos (`COURSE_TL_DATA=../shared/data`), and STAND-IN weights with random values, of the exact
   architecture, file names and format, for fastai's WikiText-103 AWD-LSTM and torchvision's ImageNet ResNet-18/34
   (the real ones can't be had here). They live in the work folder only and are never shipped;
4. copies each lesson into the work folder and runs it in a fresh kernel of that environment: the install cell first,
   with `git+<repo>` replaced by the wheel, under a stand-in `google.colab` module (it makes `'google.colab' in
   sys.modules` true, nothing else), then every other cell in full mode with `COURSE_TL_MAX_BATCHES` (the batch cap that
   `course_tl.callbacks.MaxBatches` honours) and a kernel that refuses any connection off this machine;
5. prints the table `lesson | mode | cells run | seconds | assertions skipped | result`, and writes it (and the install
   measurements) to `report.md` and `report.json` in the work folder.

Skipped assertions. A lesson cell tagged `rehearsal-skip` holds assertions about results that stand-in weights or the
batch cap make meaningless (accuracies, "pretrained beats scratch"). Under the rehearsal only, an AssertionError in such
a cell is recorded (cell, line, message) and listed instead of failing the run; any other error, or an AssertionError in
an untagged cell, fails the lesson. Everywhere else (nbdev-test, run_lessons.py, Colab) the tag changes nothing, so quick
mode's CI runs every assertion.
"""
from __future__ import annotations
import argparse, hashlib, json, os, re, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent/'shared'
COLAB_FREEZE = SHARED/'colab'/'pip-freeze.gpu.txt'
IMDB_TGZ = SHARED/'data'/'imdb.tgz'
WORK = Path(os.environ.get('COURSE_TL_REHEARSE_DIR', '/tmp/course_tl_rehearse'))
PYTHON = dict(version='3.13.0', exe='python3.13')   # Colab's Python (pyenv)
SKIP_TAG = 'rehearsal-skip'
MAX_BATCHES = 2
# Run in the environment to execute notebooks: Colab has these (at the versions of its freeze)
RUNNER_PKGS = ('ipykernel', 'ipython', 'nbclient', 'nbformat', 'jupyter-client', 'jupyter-core')
WT103 = dict(folder='wt103-fwd', weights='lstm_fwd.pth', vocab='itos_wt103.pkl', n_vocab=60_000)
RESNETS = ('resnet18', 'resnet34')


def canon(name:str) -> str:
    "A package name as pip compares them"
    return re.sub(r'[-_.]+', '-', name).lower()


LOCK = os.environ.get('COURSE_TL_HEAVY_LOCK', '/tmp/course_tl_heavy.lock')   # shared with the other heavy jobs; '' for none

class heavy_lock:
    "Hold the shared lock of heavy jobs (executing notebooks, training) for a block; a no-op when `LOCK` is ''"
    def __enter__(self):
        self.f = None
        if LOCK:
            import fcntl
            self.f = open(LOCK, 'a'); fcntl.flock(self.f, fcntl.LOCK_EX)
        return self
    def __exit__(self, *exc):
        if self.f: self.f.close()


def pip_env(**extra) -> dict:
    "The environment pip runs in: no pip configuration, no find-links (the package index only, as in Colab)"
    env = {k: v for k, v in os.environ.items() if k != 'PIP_FIND_LINKS'}
    return dict(env, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK='1', **extra)


def sh(cmd, **kw) -> subprocess.CompletedProcess:
    "Run `cmd`, raising with its output's tail when it fails"
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if r.returncode: raise RuntimeError(f"{' '.join(map(str, cmd))[:300]} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-3000:]}")
    return r


# ---------------------------------------------------------------------------------------------------- the environment
def colab_pins(text:str|None=None) -> dict:
    "Colab's pinned versions {canonical name: version}, `+cu128`-style local suffixes dropped, CUDA/NVIDIA wheels and URL installs left out"
    text = COLAB_FREEZE.read_text() if text is None else text
    pins = {}
    for line in text.splitlines():
        m = re.match(r'^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)', line.strip())
        if not m: continue
        name = canon(m.group(1))
        if name.startswith(('nvidia-', 'cuda-')): continue
        pins[name] = m.group(2).split('+')[0]
    return pins


def course_closure(dist:str='course_tl') -> set:
    "Canonical names of `dist` and everything it needs (its extras left out), as installed in this environment"
    import importlib.metadata as md
    from packaging.requirements import Requirement
    seen, todo = set(), [(dist, ())]
    while todo:
        name, extras = todo.pop()
        key = (canon(name), tuple(sorted(extras)))
        if key in seen: continue
        seen.add(key)
        try: reqs = md.requires(name) or []
        except md.PackageNotFoundError: continue
        for r in map(Requirement, reqs):
            envs = [{'extra': e} for e in (extras or ('',))]
            if r.marker is not None and not any(r.marker.evaluate(e) for e in envs): continue
            todo.append((r.name, tuple(r.extras)))
    return {n for n, _ in seen}


def preinstall(pins:dict, closure:set) -> list:
    "`name==version` of each package Colab has that the course (or the notebook runner) needs"
    want = sorted((closure | {canon(p) for p in RUNNER_PKGS}) & set(pins))
    return [f'{n}=={pins[n]}' for n in want if n != 'course-tl']


def venv_python(venv:Path) -> Path: return venv/'bin'/'python'


def freeze(venv:Path) -> dict:
    "{canonical name: version} of what is installed in `venv`"
    out = sh([venv_python(venv), '-m', 'pip', 'list', '--format=json'], env=pip_env()).stdout
    return {canon(d['name']): d['version'] for d in json.loads(out)}


def build_venv(work:Path, fresh:bool=False, log=print) -> tuple:
    "The Colab-like environment: (venv folder, its freeze as built), reused when its inputs are unchanged"
    venv, pins = work/'venv', colab_pins()
    reqs = preinstall(pins, course_closure())
    key = hashlib.sha1(json.dumps([PYTHON, reqs, COLAB_FREEZE.read_text()]).encode()).hexdigest()[:12]
    stamp = venv/'.rehearse.json'
    if not fresh and stamp.is_file() and json.loads(stamp.read_text()).get('key') == key:
        return venv, json.loads(stamp.read_text())['base']
    log(f"building {venv}: Python {PYTHON['version']}, {len(reqs)} packages at Colab's versions (torch, fastai, ... from PyPI)")
    shutil.rmtree(venv, ignore_errors=True)
    t = time.perf_counter()
    sh([PYTHON['exe'], '-m', 'venv', venv], env=dict(os.environ, PYENV_VERSION=PYTHON['version']))
    cons = work/'colab-constraints.txt'
    cons.write_text(''.join(f'{n}=={v}\n' for n, v in sorted(pins.items())))
    sh([venv_python(venv), '-m', 'pip', 'install', '-q', f'pip=={pins.get("pip", "24.1.2")}'], env=pip_env())
    sh([venv_python(venv), '-m', 'pip', 'install', '-q', '-c', cons, *reqs], env=pip_env(), timeout=3600)
    base = freeze(venv)
    stamp.write_text(json.dumps(dict(key=key, base=base, requirements=reqs, seconds=round(time.perf_counter() - t))))
    log(f"built in {time.perf_counter() - t:.0f} s")
    return venv, base


def restore(venv:Path, base:dict, log=print) -> dict:
    "Put `venv` back as it was built: remove what was added since (course_tl, what its install pulled in), re-pin what changed"
    now = freeze(venv)
    added = sorted(set(now) - set(base))
    changed = sorted(n for n in base if n in now and now[n] != base[n])
    missing = sorted(set(base) - set(now))
    if added: sh([venv_python(venv), '-m', 'pip', 'uninstall', '-y', '-q', *added], env=pip_env())
    if changed or missing:
        sh([venv_python(venv), '-m', 'pip', 'install', '-q', '--no-deps', *[f'{n}=={base[n]}' for n in changed + missing]], env=pip_env())
    if added or changed or missing: log(f"environment restored: removed {added}, re-pinned {changed + missing}")
    return freeze(venv)


def freeze_diff(before:dict, after:dict) -> dict:
    "What an install did: added {name: version}, changed {name: (old, new)}, removed {name: version}"
    return dict(added={n: after[n] for n in sorted(set(after) - set(before))},
                changed={n: (before[n], after[n]) for n in sorted(before) if n in after and after[n] != before[n]},
                removed={n: before[n] for n in sorted(set(before) - set(after))})


# ---------------------------------------------------------------------------------------------------- the wheel
def build_wheel(work:Path) -> Path:
    "A wheel of the checkout as it is now (its tracked and new, not ignored, files), built outside it"
    src, dist = work/'src', work/'dist'
    shutil.rmtree(src, ignore_errors=True); shutil.rmtree(dist, ignore_errors=True)
    files = sh(['git', '-C', ROOT, 'ls-files', '-co', '--exclude-standard', '-z']).stdout.split('\0')
    for f in filter(None, files):
        p = ROOT/f
        if p.is_file(): (src/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(p, src/f)
    sh([sys.executable, '-m', 'build', '--wheel', '--no-isolation', '--outdir', dist, src], timeout=900)
    return next(dist.glob('course_tl-*.whl'))


# ---------------------------------------------------------------------------------------------------- staging
IMDB_FOLDERS = ('train/pos', 'train/neg', 'test/pos', 'test/neg', 'unsup')
# The capped rehearsal's IMDB: the archive's layout and real reviews, the first IMDB_CUT['per_folder'] files of each folder
# in the archive's order, each cut to its first IMDB_CUT['words'] words. Why: one batch of 128 whole reviews through the
# full-size AWD-LSTM (about 20 M LSTM weights, some 40 MFLOP per token forwards) is some 20 TFLOP forwards and backwards,
# minutes per batch on a 2-core CPU, and lesson 4 trains about 20 batches even capped at 2 per pass. The uncapped GPU
# check (`tools/gpu_check.sh`) stages the whole archive.
IMDB_CUT = dict(per_folder=300, words=40)
STAGED = 'staged.json'   # inside the staged IMDB folder: which archive and which cut it holds

def stage_imdb(cache:Path, tgz:Path=IMDB_TGZ, log=print, cut:dict|None=None) -> Path:
    "IMDB extracted where `core.download(URLs.IMDB)` (fastai's `untar_data`, base `cache/downloads`) finds it: all of it, or `cut` (see `IMDB_CUT`)"
    from course_tl.core import atomic_folder, is_done
    dest = cache/'downloads'/'data'/'imdb'   # the folder name is fastai's, so what was staged is written inside it (`STAGED`)
    sig = json.dumps(dict(archive=str(tgz), size=tgz.stat().st_size, mtime_ns=tgz.stat().st_mtime_ns, cut=cut), sort_keys=True)
    if is_done(dest) and (dest/STAGED).is_file() and (dest/STAGED).read_text() == sig: return dest
    shutil.rmtree(dest.parent/'imdb_tok', ignore_errors=True)   # fastai's tokens of an earlier staging
    (dest.parent/'.imdb.staged').unlink(missing_ok=True)        # the completion mark of earlier versions of this script
    t = time.perf_counter()
    with atomic_folder(dest) as tmp:   # the project's one cached-folder helper: complete (marked done) or absent
        if cut is None:
            from course_tl.data import safe_extract
            rep = safe_extract(tgz, tmp)
            if not (tmp/'imdb'/'train'/'pos').is_dir(): raise RuntimeError(f"{tgz} did not give imdb/train/pos: {rep}")
            for p in (tmp/'imdb').iterdir(): p.rename(tmp/p.name)
            (tmp/'imdb').rmdir()
            what = 'the full IMDB'
        else:
            import tarfile
            n = dict.fromkeys(IMDB_FOLDERS, 0)
            with tarfile.open(tgz) as tf:
                for m in tf:
                    folder, name = m.name.rpartition('/')[0].removeprefix('imdb/'), m.name.rpartition('/')[2]
                    if not m.isfile() or folder not in n or n[folder] >= cut['per_folder'] or not re.fullmatch(r'[\w.-]+\.txt', name): continue
                    words = tf.extractfile(m).read().decode('utf-8', 'replace').split()[:cut['words']]
                    (tmp/folder).mkdir(parents=True, exist_ok=True)
                    (tmp/folder/name).write_text(' '.join(words))
                    n[folder] += 1
                    if all(v >= cut['per_folder'] for v in n.values()): break
            if min(n.values()) == 0: raise RuntimeError(f"{tgz} lacks some of IMDB's folders: {n}")
            what = f"IMDB cut for the capped rehearsal ({cut['per_folder']} reviews per folder, the first {cut['words']} words of each)"
        (tmp/STAGED).write_text(sig)
    log(f"staged {what} from {tgz} in {time.perf_counter() - t:.0f} s: {dest}")
    return dest


def standin_vocab(n:int, words=()) -> list:
    "A stand-in vocabulary of `n` tokens: fastai's special tokens, `words`, then `xxstandin<i>` fillers"
    from fastai.text.core import defaults
    out = list(dict.fromkeys([*defaults.text_spec_tok, *words]))[:n]
    return out + [f'xxstandin{i}' for i in range(n - len(out))]


def make_wt103_standin(fastai_home:Path, words=(), seed:int=0) -> Path:
    "STAND-IN for fastai's WikiText-103 AWD-LSTM (`URLs.WT103_FWD`): random weights, the real file names, format and sizes"
    import pickle, torch
    from fastai.text.all import get_language_model, AWD_LSTM, awd_lstm_lm_config
    d = Path(fastai_home)/'models'/WT103['folder']
    if (d/WT103['weights']).is_file() and (d/WT103['vocab']).is_file(): return d
    d.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = get_language_model(AWD_LSTM, WT103['n_vocab'], config=awd_lstm_lm_config.copy())
    sd = {}
    for k, v in model.state_dict().items():   # WeightDropout's hidden-to-hidden weights, saved twice as fastai's `clean_raw_keys` expects
        sd[k] = v
        if k.endswith('_raw'): sd[k.replace('weight_hh_l0_raw', 'module.weight_hh_l0')] = v.clone()
    torch.save(sd, d/WT103['weights'])
    with open(d/WT103['vocab'], 'wb') as f: pickle.dump(standin_vocab(WT103['n_vocab'], words), f)
    (d/'STAND-IN.txt').write_text("STAND-IN made by course_tl's tools/rehearse.py: random weights in the shape and format of fastai's "
                                  "WikiText-103 AWD-LSTM (URLs.WT103_FWD). Not the real model; never ship it.\n")
    return d


def resnet_file(name:str) -> str:
    "The file name torchvision caches the ImageNet weights of `name` under"
    import torchvision.models as tvm
    return Path(getattr(tvm, {'resnet18': 'ResNet18_Weights', 'resnet34': 'ResNet34_Weights'}[name]).IMAGENET1K_V1.url).name


def make_resnet_standins(torch_home:Path, names=RESNETS, seed:int=0) -> list:
    "STAND-INs for torchvision's ImageNet ResNets: random weights under the exact file names of `$TORCH_HOME/hub/checkpoints`"
    import torch, torchvision.models as tvm
    d = Path(torch_home)/'hub'/'checkpoints'
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        f = d/resnet_file(name)
        if not f.is_file():
            torch.manual_seed(seed)
            torch.save(getattr(tvm, name)(weights=None).state_dict(), f)
        out.append(f)
    (d/'STAND-IN.txt').write_text("STAND-INs made by course_tl's tools/rehearse.py: random weights under torchvision's ImageNet "
                                  f"file names ({', '.join(f.name for f in out)}). Not the real models; never ship them.\n")
    return out


_COLAB_STANDIN = '''"""STAND-IN for Colab's `google.colab`, made by course_tl's tools/rehearse.py (not Google's code).
It exists so that `'google.colab' in sys.modules` is true, as in a Colab runtime, and the lessons' install cell runs."""
STAND_IN = True
'''

_KERNEL_STARTUP = '''# made by course_tl's tools/rehearse.py: run at the start of each rehearsal kernel
import os, socket, sys
if os.environ.get('COURSE_TL_REHEARSE_COLAB'):
    import google.colab   # the STAND-IN (see its docstring): in Colab the runtime has imported the real one
_LOG = os.environ.get('COURSE_TL_REHEARSE_NETLOG')
_LOCAL = ('127.0.0.1', '::1', 'localhost', '0.0.0.0')
_connect = socket.socket.connect
def _guarded(self, address, *a, **k):
    "Refuse at once any connection off this machine: an unexpected download fails fast, and is logged"
    if self.family in (socket.AF_INET, socket.AF_INET6) and str(address[0]) not in _LOCAL:
        with open(_LOG, 'a') as f: f.write(f"{address}\\n")
        raise OSError(f"rehearsal: no network (connection to {address} refused)")
    return _connect(self, address, *a, **k)
if _LOG: socket.socket.connect = _guarded
'''


def stage(work:Path, python:Path, log=print, imdb:Path=IMDB_TGZ, data:Path=SHARED/'data', cut:dict|None=None) -> dict:
    "Stage every full-mode download (IMDB whole, or `cut`) and the kernel's stand-ins; the environment variables the kernels run with"
    cache, fastai_home, torch_home = work/('cache' if cut is None else 'cache_cut'), work/'fastai_home', work/'torch_home'
    stage_imdb(cache, imdb, log=log, cut=cut)
    # the stand-in weights are made by the environment's own fastai and torchvision, in their format
    sh([python, __file__, '_standins', '--fastai-home', fastai_home, '--torch-home', torch_home], timeout=900)
    standin = work/'standin'
    (standin/'google'/'colab').mkdir(parents=True, exist_ok=True)
    (standin/'google'/'colab'/'__init__.py').write_text(_COLAB_STANDIN)
    startup = work/'ipython'/'profile_default'/'startup'
    startup.mkdir(parents=True, exist_ok=True)
    (startup/'00-rehearsal.py').write_text(_KERNEL_STARTUP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(('COURSE_TL_', 'PIP_FIND_LINKS'))}
    return dict(env, COURSE_TL_CACHE=str(cache), COURSE_TL_DATA=str(data), FASTAI_HOME=str(fastai_home),
                TORCH_HOME=str(torch_home), HF_HUB_OFFLINE='1', IPYTHONDIR=str(work/'ipython'), PYTHONPATH=str(standin),
                PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK='1', PYTHONHASHSEED='0')


def _standins(args):
    "(in the Colab-like environment) make the stand-in weights"
    import pickle
    words = pickle.load(open(ROOT/'data_cache'/'laptop_lm'/'lm_vocab.pkl', 'rb'))   # IMDB words, so that some embeddings carry over
    print(make_wt103_standin(Path(args.fastai_home), words))
    print(make_resnet_standins(Path(args.torch_home)))


# ---------------------------------------------------------------------------------------------------- the lessons
def original_differs(table:dict) -> bool:
    "Does a mode table's 'original' entry change more than epoch counts (so original mode runs code that full mode doesn't)?"
    return any(not k.endswith('epochs') for k in table.get('original', {}))


def lesson_modes(nb_path:Path) -> list:
    "full, and original where the lesson uses a mode table whose 'original' entry changes its code path, not only its epochs"
    import importlib, nbformat
    src = '\n'.join(c.source for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == 'code')
    import course_tl, pkgutil
    for mod in sorted(i.name for i in pkgutil.iter_modules(course_tl.__path__) if not i.name.startswith('_') and i.name not in ('cli', 'slides')):
        m = importlib.import_module(f'course_tl.{mod}')
        for name, table in vars(m).items():
            if name.endswith('_MODES') and isinstance(table, dict) and original_differs(table) and re.search(rf'\b{name}\b', src):
                return ['full', 'original']
    return ['full']


def install_cell_source(src:str, wheel:Path) -> str:
    "The install cell with its `course_tl @ git+<repo>` requirement pointed at the local wheel"
    new, n = re.subn(r"course_tl @ git\+[^'\"]+", f"course_tl @ {wheel.resolve().as_uri()}", src)
    if n != 1: raise ValueError(f"the install cell does not name 'course_tl @ git+<repo>' once:\n{src}")
    return new


def _run_one(args):
    "(in the Colab-like environment) execute one notebook copy in a fresh kernel; write its cell records as JSON"
    import nbformat
    from nbclient import NotebookClient
    nb_path = Path(args.notebook)
    nb = nbformat.read(nb_path, as_version=4)
    os.environ['PATH'] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"   # the kernel: this environment's python
    t = time.perf_counter()
    err = None
    progress = Path(args.out).with_suffix('.progress')   # a line per cell as it finishes: where a long run is now
    progress.write_text('')
    def _done(cell, cell_index, execute_reply):
        with open(progress, 'a') as f: f.write(f"{time.perf_counter() - t:7.0f} s  cell {cell_index}: {cell.source[:70]!r}\n")
    client = NotebookClient(nb, timeout=args.cell_timeout, kernel_name='python3', allow_errors=True, record_timing=True,
                            resources={'metadata': {'path': str(nb_path.parent)}}, on_cell_executed=_done)
    try: client.execute()
    except Exception as e: err = f"{type(e).__name__}: {str(e).strip()[:500]}"
    secs = time.perf_counter() - t
    nbformat.write(nb, nb_path)
    cells = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != 'code': continue
        ex = c.metadata.get('execution', {})
        run = 'iopub.execute_input' in ex or bool(c.get('outputs'))
        t0, t1 = ex.get('iopub.execute_input'), ex.get('shell.execute_reply')
        errs = [o for o in c.get('outputs', []) if o.get('output_type') == 'error']
        cells.append(dict(index=i, id=c.get('id'), tags=c.metadata.get('tags', []), run=run, start=t0, end=t1,
                          error=dict(ename=errs[0].ename, evalue=errs[0].evalue[:500], line=_failing_line(c.source, errs[0].traceback))
                          if errs else None,
                          text=''.join(o.get('text', '') for o in c.get('outputs', []) if o.get('output_type') == 'stream')[-2000:]))
    Path(args.out).write_text(json.dumps(dict(seconds=secs, error=err, cells=cells), indent=1))


_ANSI = re.compile(r'\x1b\[[0-9;]*m')

def _failing_line(src:str, tb:list) -> str:
    "The line of the cell that raised, from an IPython traceback (the last '---->' line that belongs to the cell)"
    lines = [l for l in _ANSI.sub('', '\n'.join(tb)).splitlines() if l.lstrip().startswith('---->')]
    for l in reversed(lines):
        code = re.sub(r'^\s*---->\s*\d+\s*', '', l).strip()
        if code and code in src: return code[:300]
    return lines[-1].strip()[:300] if lines else ''


def _secs(a, b) -> float|None:
    "Seconds between two ISO timestamps of nbclient's timing metadata"
    from datetime import datetime
    if not a or not b: return None
    f = lambda s: datetime.fromisoformat(s.replace('Z', '+00:00'))
    return (f(b) - f(a)).total_seconds()


def judge(rec:dict) -> dict:
    "One row of the table from a notebook's cell records: cells run, the skipped assertions, the result"
    code = rec['cells']
    skipped, failures = [], []
    for c in code:
        e = c['error']
        if not e: continue
        what = dict(cell=c['index'], id=c['id'], line=e['line'], error=f"{e['ename']}: {e['evalue']}".strip())
        (skipped if (e['ename'] == 'AssertionError' and SKIP_TAG in c['tags']) else failures).append(what)
    n_run = sum(c['run'] for c in code)
    result = 'ok' if not failures and not rec['error'] and n_run == len(code) else 'FAILED'
    return dict(cells_run=n_run, cells=len(code), seconds=round(rec['seconds']), skipped=skipped, failures=failures,
                result=result, error=rec['error'])


# The headline figures each lesson computes in full mode, read from its kernel at the end of the run (gpu_check.sh)
FIGURES = {
    '11': ("dict(pretrained_error=float(p.error_rate.iloc[-1]), scratch_error=float(s.error_rate.iloc[-1]), n_valid=int(df.attrs['n_valid']), arch=ARCH)"),
    '12': ("dict(finetuned_accuracy=float(row_1cycle['valid_accuracy']), n_valid=len(dls.valid_ds), arch=ARCH)"),
    '13': ("dict(arch='efficientnet_lite0')"),
    '14': ("dict(ulmfit_accuracy=float(ulmfit_table.accuracy.iloc[-1]), n_valid=len(dls_clas.valid_ds), "
           "one_call_accuracy=float(baseline_acc), stage1=str(cfg.pretrained))"),
}
_FIG_MARK = 'REHEARSE_FIGURES '


def run_lesson(nb_path:Path, mode:str, work:Path, python:Path, env:dict, wheel:Path|None=None, max_batches:int|None=None,
               cell_timeout:int=3600, guard:bool=True) -> dict:
    "Copy `nb_path` into the work folder (install cell pointed at `wheel`, if given), execute it there in `mode`; its table row"
    import nbformat
    d = work/'run'/mode
    d.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(nb_path, as_version=4)
    inst = [c for c in nb.cells if 'colab-install' in c.metadata.get('tags', [])]
    if len(inst) != 1: raise ValueError(f"{nb_path.name}: expected one cell tagged colab-install, found {len(inst)}")
    if wheel is not None: inst[0].source = install_cell_source(inst[0].source, wheel)
    for c in nb.cells:
        if c.cell_type == 'code': c.outputs, c.execution_count = [], None
    fig = FIGURES.get(nb_path.name[:2])
    if fig: nb.cells.append(nbformat.v4.new_code_cell(f"import json as _j\ntry: print({_FIG_MARK!r} + _j.dumps({fig}))\n"
                                                      f"except Exception as e: print({_FIG_MARK!r} + _j.dumps(dict(error=repr(e))))",
                                                      metadata={'tags': ['rehearse-figures']}))
    copy = d/nb_path.name
    nbformat.write(nb, copy)
    netlog = d/f'{nb_path.stem}.network.log'
    netlog.unlink(missing_ok=True)
    out = d/f'{nb_path.stem}.cells.json'
    out.unlink(missing_ok=True)
    kenv = {k: v for k, v in env.items() if k != 'COURSE_TL_MAX_BATCHES'}
    kenv['COURSE_TL_MODE'] = mode
    if guard: kenv['COURSE_TL_REHEARSE_NETLOG'] = str(netlog)
    if max_batches: kenv['COURSE_TL_MAX_BATCHES'] = str(max_batches)
    with heavy_lock():
        r = subprocess.run([str(python), __file__, '_run', str(copy), '--out', str(out), '--cell-timeout', str(cell_timeout)],
                           env=kenv, cwd=d, capture_output=True, text=True)
    row = dict(lesson=nb_path.stem, mode=mode, minutes_banner=banner_minutes(nb_path))
    if r.returncode or not out.is_file():
        return dict(row, cells_run=0, cells=0, seconds=0, skipped=[], result='FAILED', install_seconds=None, figures={},
                    failures=[dict(cell=None, id=None, line='', error=(r.stdout + r.stderr)[-1500:])], error='runner failed')
    rec = json.loads(out.read_text())
    figs = [c for c in rec['cells'] if 'rehearse-figures' in c['tags']]
    rec['cells'] = [c for c in rec['cells'] if 'rehearse-figures' not in c['tags']]
    row.update(judge(rec))
    row['figures'] = next((json.loads(l[len(_FIG_MARK):]) for c in figs for l in c['text'].splitlines() if l.startswith(_FIG_MARK)), {})
    ic = next(c for c in rec['cells'] if 'colab-install' in c['tags'])
    row['install_seconds'] = _secs(ic['start'], ic['end'])
    row['install_output'] = ic['text']
    row['network_attempts'] = netlog.read_text().splitlines() if netlog.is_file() else []
    if row['network_attempts'] and guard: row['result'] = 'FAILED'   # nothing may try the network: everything it needs is staged
    return row


def banner_minutes(nb_path:Path) -> tuple|None:
    "The (quick, full) minutes of a lesson's banner: `mode_banner(MODE, minutes=(q, f))` in its MODE cell"
    import nbformat
    for c in nbformat.read(nb_path, as_version=4).cells:
        m = re.search(r'mode_banner\(MODE,\s*minutes=\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)\)', c.source)
        if m: return float(m.group(1)), float(m.group(2))


def measure_install(nb_path:Path, venv:Path, env:dict, wheel:Path, work:Path) -> dict:
    "Run a lesson's install cell (pointed at `wheel`) as Colab would, `google.colab` imported first; time it and diff pip's freeze"
    import nbformat
    cell = next(c for c in nbformat.read(nb_path, as_version=4).cells if 'colab-install' in c.metadata.get('tags', []))
    script = work/'install_cell.py'
    script.write_text("import google.colab   # the STAND-IN: Colab's runtime has imported the real one\n" + install_cell_source(cell.source, wheel) + '\n')
    before = freeze(venv)
    t = time.perf_counter()
    r = subprocess.run([str(venv_python(venv)), str(script)], env=env, cwd=work, capture_output=True, text=True)
    secs = time.perf_counter() - t
    if r.returncode: raise RuntimeError(f"the install cell failed:\n{(r.stdout + r.stderr)[-3000:]}")
    after = freeze(venv)
    return dict(lesson=nb_path.stem, seconds=round(secs, 1), output=(r.stdout + r.stderr)[-3000:], diff=freeze_diff(before, after),
                before=before, after=after, source=script.read_text())


def quick_check(venv:Path, env:dict, work:Path) -> dict:
    "After the install: quick mode finds the wheel's embedded samples, offline, with an empty cache (no download)"
    cache = work/'quick_cache'
    shutil.rmtree(cache, ignore_errors=True)
    code = ("import json, sys, course_tl.data as d, course_tl.ulmfit as t\n"
            "print(json.dumps(dict(prefix=sys.prefix, imdb=str(d.imdb_path()), dogs_cats=str(d.dogs_cats_path()), "
            "mnist_tiny=str(d.mnist_tiny_path()), laptop_lm=str(t.laptop_lm().path))))")
    r = sh([venv_python(venv), '-c', code], env=dict(env, COURSE_TL_MODE='quick', COURSE_TL_OFFLINE='1', COURSE_TL_CACHE=str(cache),
                                                      PYTHONPATH=''), cwd=work)
    paths = json.loads(r.stdout.strip().splitlines()[-1])
    shipped = str(Path(paths['prefix'])/'share'/'course_tl'/'data_cache')
    return dict(paths, all_shipped=all(v.startswith(shipped) for k, v in paths.items() if k != 'prefix'),
                cache_empty=not any(p for p in cache.rglob('*') if p.is_file()))


# ---------------------------------------------------------------------------------------------------- the table
def table_md(rows:list) -> str:
    "The markdown table: lesson | mode | cells run | seconds | assertions skipped | result"
    out = ['| lesson | mode | cells run | seconds | assertions skipped | result |', '|---|---|---|---|---|---|']
    for r in rows:
        res = r['result'] if r['result'] == 'ok' else f"{r['result']}: " + '; '.join(
            f"cell {f['cell']} `{f['line'][:80]}` {f['error'][:120]}" for f in r['failures'][:2])
        out.append(f"| {r['lesson']} | {r['mode']} | {r['cells_run']}/{r['cells']} | {r['seconds']} | {len(r['skipped'])} | {res} |")
    return '\n'.join(out)


def skips_md(rows:list) -> str:
    "Every skipped assertion: lesson, mode, cell, the line and its message"
    lines = [f"- {r['lesson']} ({r['mode']}), cell {s['cell']} (id {s['id']}): `{s['line']}` ({s['error'][:150]})"
             for r in rows for s in r['skipped']]
    return '\n'.join(lines) or '- none'


def install_md(inst:dict) -> str:
    "The install measurements as markdown"
    d = inst['diff']
    core = {n: d['changed'].get(n) or ('added' if n in d['added'] else 'removed' if n in d['removed'] else 'left alone')
            for n in ('torch', 'torchvision', 'fastai', 'fastcore', 'timm', 'sentence-transformers', 'spacy')}
    return '\n'.join([
        f"- install cell ({inst['lesson']}'s, run as Colab runs it): {inst['seconds']:.0f} s" if inst.get('seconds') is not None else '- install cell: not timed',
        f"- added {len(d['added'])} packages: " + ', '.join(f"{n} {v}" for n, v in d['added'].items()),
        f"- changed {len(d['changed'])}: " + (', '.join(f"{n} {a} -> {b}" for n, (a, b) in d['changed'].items()) or 'none'),
        f"- removed {len(d['removed'])}: " + (', '.join(d['removed']) or 'none'),
        '- ' + ', '.join(f"{n}: {v if isinstance(v, str) else f'{v[0]} -> {v[1]}'}" for n, v in core.items()),
        f"- quick mode after the install, offline, empty cache: samples from the wheel: {inst['quick']['all_shipped']}, "
        f"nothing downloaded: {inst['quick']['cache_empty']}" if inst.get('quick') else '- quick-mode check: not run'])


# ---------------------------------------------------------------------------------------------------- the GPU check
# (lesson, what, how from its figures, target): the headline figures of full mode, as the README and the lessons state them
TARGETS = {
    '11': ("railway: scratch error - pretrained error (last epoch)", lambda f: f['scratch_error'] - f['pretrained_error'], 0.10),
    '12': ("dogs vs cats: fine-tuned (1cycle) accuracy", lambda f: f['finetuned_accuracy'], 0.97),
    '14': ("IMDB: ULMFiT accuracy on the held-out test reviews", lambda f: f['ulmfit_accuracy'], 0.92),
}
REAL_WEIGHTS = {'11': 'torchvision ImageNet ResNet-18', '12': 'torchvision ImageNet ResNet-34', '14': "fastai's WikiText-103 AWD-LSTM"}


def gpu_check(args) -> int:
    "Every lesson in full mode in this environment (uncapped unless COURSE_TL_MAX_BATCHES is set): minutes against the banners, figures against targets"
    import torch
    from course_tl.core import is_online, device_name
    work = Path(args.work).resolve()/'gpu_check'
    work.mkdir(parents=True, exist_ok=True)
    log = lambda *a: print('gpu_check:', *a, flush=True)
    cap = os.environ.get('COURSE_TL_MAX_BATCHES') or None
    online = is_online() and is_online('download.pytorch.org')
    if online:
        env = {k: v for k, v in os.environ.items() if k != 'COURSE_TL_MODE'}
        env.setdefault('COURSE_TL_CACHE', str(work/'cache'))
        log(f"online: real downloads into {env['COURSE_TL_CACHE']}")
    else:
        env = stage(work.parent, Path(sys.executable), log, imdb=Path(args.imdb), data=Path(args.data),
                    cut=IMDB_CUT if cap else None)   # the rehearsal's staging, shared; the whole IMDB when uncapped
        log(f"offline: {'IMDB (cut, as the rehearsal)' if cap else 'the full IMDB'} and the dogs-vs-cats photos staged; "
            "STAND-IN weights (random) for ResNet-18/34 and WikiText-103")
    dev = device_name()
    nbs = sorted((ROOT/'nbs').glob('1*_*.ipynb'))
    if args.lessons: nbs = [p for a in args.lessons for p in nbs if p.name.startswith(a)]
    rows = []
    for p in nbs:
        log(f"{p.name}, full mode{f', capped at {cap} batches' if cap else ', uncapped'} ...")
        r = run_lesson(p, 'full', work, Path(sys.executable), env, None, int(cap) if cap else None, args.cell_timeout, guard=not online)
        rows.append(r)
        log(f"{p.name}: {r['result']}, {r['seconds']/60:.1f} min (banner: {r['minutes_banner'][1] if r['minutes_banner'] else '?'} min)")
    lines = [f"# GPU check ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}): {dev}, torch {torch.__version__}, "
             f"{'online, real weights' if online else 'offline, stand-in weights'}{f', COURSE_TL_MAX_BATCHES={cap}' if cap else ', uncapped'}",
             '', '| lesson | minutes (this run) | banner (full, estimated) | result | headline figure | target | met |', '|---|---|---|---|---|---|---|']
    for r in rows:
        k = r['lesson'][:2]
        fig, tgt = '', ''
        met = ''
        if k in TARGETS:
            what, fn, target = TARGETS[k]
            tgt = f">= {target:.0%}" if target > 0.5 else f">= {target*100:.0f} points"
            if cap: fig, met = f"{what}: not measured (batch cap)", '-'
            elif not online and k in REAL_WEIGHTS and r['figures'].get('arch', '') != 'efficientnet_lite0':
                fig, met = f"{what}: not measured ({REAL_WEIGHTS[k]} was a stand-in)", '-'
            else:
                try: v = fn(r['figures']); fig, met = f"{what}: {v:.1%}" + (f" on {r['figures']['n_valid']:,}" if 'n_valid' in r['figures'] else ''), 'yes' if v >= target else 'NO'
                except Exception as e: fig, met = f"{what}: not computed ({e!r}: {r['figures']})", 'NO'
        b = r['minutes_banner']
        lines.append(f"| {r['lesson']} | {r['seconds']/60:.1f} | {b[1] if b else '?'} | {r['result']} | {fig} | {tgt} | {met} |")
    for r in rows:
        for f in r['failures'][:3]: lines.append(f"- {r['lesson']}: cell {f['cell']} `{f['line'][:100]}`: {f['error'][:300]}")
        for sk in r['skipped']: lines.append(f"- {r['lesson']}: cell {sk['cell']} (tagged {SKIP_TAG}) `{sk['line'][:100]}`: {sk['error'][:200]}")
    md = '\n'.join(lines)
    (work/'gpu_check.md').write_text(md + '\n')
    (work/'gpu_check.json').write_text(json.dumps(dict(device=dev, online=online, cap=cap, rows=rows), indent=1, default=str))
    print('\n' + md + f"\n\nwritten: {work/'gpu_check.md'}, {work/'gpu_check.json'}")
    return 0 if all(r['result'] == 'ok' for r in rows) else 1


# ---------------------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('lessons', nargs='*', help="lesson file-name prefixes (e.g. 14); default: every nbs/1*_*.ipynb")
    ap.add_argument('--modes', default=None, help="comma-separated modes to run (default: full, and original where it differs)")
    ap.add_argument('--work', default=str(WORK), help="the work folder, outside the checkout")
    ap.add_argument('--fresh', action='store_true', help="rebuild the environment and re-stage the data and stand-ins")
    ap.add_argument('--max-batches', type=int, default=MAX_BATCHES, help="COURSE_TL_MAX_BATCHES: batches per training and validation pass")
    ap.add_argument('--cell-timeout', type=int, default=3600)
    ap.add_argument('--install-only', action='store_true', help="only build, install and measure the Colab install")
    ap.add_argument('--gpu-check', action='store_true', help="tools/gpu_check.sh: full mode in THIS environment, uncapped unless "
                    "COURSE_TL_MAX_BATCHES is set, real downloads when online, staged data and stand-in weights when not")
    ap.add_argument('--imdb', default=str(IMDB_TGZ), help="--gpu-check offline: the full IMDB archive to stage")
    ap.add_argument('--data', default=str(SHARED/'data'), help="--gpu-check offline: COURSE_TL_DATA (holds dogs_cats/)")
    args = ap.parse_args(argv)
    if args.gpu_check: return gpu_check(args)
    work = Path(args.work).resolve()
    if ROOT in work.parents or work == ROOT: ap.error(f"--work must be outside the checkout ({ROOT})")
    if args.fresh:
        for sub in ('venv', 'cache', 'fastai_home', 'torch_home', 'run'): shutil.rmtree(work/sub, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    log = lambda *a: print('rehearse:', *a, flush=True)
    t0 = time.perf_counter()
    venv, base = build_venv(work, args.fresh, log)
    restore(venv, base, log)
    wheel = build_wheel(work)
    log(f"wheel {wheel.name} ({wheel.stat().st_size/1e6:.1f} MB)")
    env = dict(stage(work, venv_python(venv), log, cut=IMDB_CUT), COURSE_TL_REHEARSE_COLAB='1')
    nbs = sorted((ROOT/'nbs').glob('1*_*.ipynb'))
    if args.lessons: nbs = [p for a in args.lessons for p in nbs if p.name.startswith(a)]   # in the order given
    inst = measure_install(ROOT/'nbs'/'10_functions_learn_weights.ipynb', venv, env, wheel, work)
    inst['quick'] = quick_check(venv, env, work)
    log('install:\n' + install_md(inst))
    rows, runs = [], [(p, m) for p in ([] if args.install_only else nbs) for m in lesson_modes(p)
                      if not args.modes or m in args.modes.split(',')]
    for p, mode in sorted(runs, key=lambda r: r[1] != 'full'):   # every lesson in full mode first, then original mode
        log(f"{p.name}, {mode} mode ...")
        row = run_lesson(p, mode, work, venv_python(venv), env, wheel, args.max_batches, args.cell_timeout)
        rows.append(row)
        log(f"{p.name}, {mode}: {row['result']}, {row['cells_run']}/{row['cells']} cells, {row['seconds']} s, {len(row['skipped'])} skipped"
            + ''.join(f"\n    cell {f['cell']}: `{f['line'][:100]}` {f['error'][:300]}" for f in row['failures'][:3]))
    md = '\n\n'.join([f"# Rehearsal of full mode ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), "
                      f"COURSE_TL_MAX_BATCHES={args.max_batches}, {time.perf_counter() - t0:.0f} s in all",
                      table_md(rows), '## Assertions skipped (cells tagged rehearsal-skip)', skips_md(rows),
                      '## The Colab install', install_md(inst) if inst else '- not measured',
                      '## Stand-ins used', f"- fastai WikiText-103 AWD-LSTM: {work/'fastai_home'/'models'/WT103['folder']} (random weights)\n"
                      f"- torchvision ImageNet ResNets: {work/'torch_home'/'hub'/'checkpoints'} (random weights)"])
    (work/'report.md').write_text(md + '\n')
    (work/'report.json').write_text(json.dumps(dict(rows=rows, install=inst, max_batches=args.max_batches), indent=1, default=str))
    print('\n' + md)
    print(f"\nwritten: {work/'report.md'}, {work/'report.json'}")
    return 0 if (args.install_only or rows) and all(r['result'] == 'ok' for r in rows) else 1


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '_standins':
        ap = argparse.ArgumentParser(); ap.add_argument('cmd'); ap.add_argument('--fastai-home'); ap.add_argument('--torch-home')
        _standins(ap.parse_args())
    elif len(sys.argv) > 1 and sys.argv[1] == '_run':
        ap = argparse.ArgumentParser(); ap.add_argument('cmd'); ap.add_argument('notebook'); ap.add_argument('--out')
        ap.add_argument('--cell-timeout', type=int, default=3600)
        _run_one(ap.parse_args())
    else: sys.exit(main())
