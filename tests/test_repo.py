"The repository's own promises: notebooks and module in sync, README from index.ipynb, small data_cache, nbdev 3 config"
import re, subprocess, sys, shutil, tomllib
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def _git(*args):
    return subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True)

def test_nbdev3_config():
    cfg = tomllib.loads((ROOT/'pyproject.toml').read_text())
    assert 'nbdev' in cfg['tool'] and not (ROOT/'settings.ini').exists()

def test_export_leaves_no_diff(tmp_path):
    "nbdev-export, run on a copy of the checkout (never rewriting it), writes exactly the modules that are here"
    for p in ('nbs', 'course_tl'): shutil.copytree(ROOT/p, tmp_path/p, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints'))
    shutil.copy(ROOT/'pyproject.toml', tmp_path)
    for f in (tmp_path/'course_tl').glob('*.py'):
        if f.name != '__init__.py': f.unlink()
    subprocess.run([str(Path(sys.executable).parent/'nbdev-export')], cwd=tmp_path, check=True, timeout=120, capture_output=True)
    made = {f.name: f.read_text() for f in (tmp_path/'course_tl').glob('*.py')}
    here = {f.name: f.read_text() for f in (ROOT/'course_tl').glob('*.py')}
    assert sorted(made) == sorted(here), 'modules without a notebook, or notebooks whose module is missing: run nbdev-export'
    assert [n for n in made if made[n] != here[n]] == [], 'course_tl/ differs from nbs/: run nbdev-export and commit'

def _library_notebooks():
    import nbformat
    def exp(nb):
        src = '\n'.join(c.source for c in nbformat.read(nb, as_version=4).cells if c.cell_type == 'code')
        return re.search(r'^#\|\s*default_exp\s+(\S+)', src, re.M)
    return [(nb, exp(nb)) for nb in sorted((ROOT/'nbs').glob('*.ipynb'))]

def test_notebook_name_is_module_name():
    "Library notebooks are named like their module (nbs/05a_ulmfit.ipynb exports course_tl.ulmfit); lessons (1x) export nothing"
    for nb, m in _library_notebooks():
        if nb.stem == 'index': continue
        if nb.stem.startswith('1'): assert m is None, f'{nb.name}: a lesson must not export'
        else:
            assert m, f'{nb.name}: a library notebook starts with #| default_exp'
            assert nb.stem.split('_', 1)[1] == m.group(1), f'{nb.name} exports course_tl.{m.group(1)}'

def test_no_import_cycle():
    "The modules import each other in one direction only"
    mods = {f.stem: f.read_text() for f in (ROOT/'course_tl').glob('*.py') if not f.stem.startswith('_')}
    deps = {m: {d for d in re.findall(r'(?:from|import)\s+(?:course_tl\.|\.)(\w+)', src) if d in mods and d != m} for m, src in mods.items()}
    def reach(m, seen):
        for d in deps[m]:
            assert d not in seen, f'import cycle: {" -> ".join(seen + [d])}'
            reach(d, seen + [d])
    for m in deps: reach(m, [m])

def test_layers():
    "A module imports only modules whose notebooks come before its own (core at the bottom, the command layer on top), and no private name of another"
    order = {}
    for nb, m in _library_notebooks():
        if m: order[m.group(1)] = nb.stem
    for f in (ROOT/'course_tl').glob('*.py'):
        if f.stem.startswith('_') or f.stem == 'cli': continue   # cli imports each command's module when it runs (the top layer)
        src = f.read_text()
        for d in set(re.findall(r'^\s*(?:from|import)\s+(?:course_tl\.|\.)(\w+)', src, re.M)) & set(order):
            assert d == f.stem or order[d] < order[f.stem], f'{f.stem} ({order[f.stem]}) imports {d} ({order[d]}), a layer above it'
        assert not re.findall(r'^from \.\w+ import .*\b_[a-z]\w*', src, re.M), f'{f.stem} imports a private name of another module'

def test_readme_made_from_index():
    r = subprocess.run([sys.executable, 'tools/readme.py', '--check'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout

def test_readme_starts_with_two_commands():
    txt = (ROOT/'README.md').read_text()
    block = txt.split('```sh\n', 1)[1].split('```', 1)[0]
    assert block.split() == ['make', 'run', 'make', 'test']
    assert 'make test' in (ROOT/'.ci'/'run').read_text()

def test_data_cache_is_small():
    tracked = _git('ls-files', 'data_cache').stdout.split()
    assert tracked, 'data_cache is not tracked'
    assert sum((ROOT/f).stat().st_size for f in tracked) < 10_000_000

@pytest.mark.parametrize('nb', sorted((ROOT/'nbs').glob('*.ipynb')), ids=lambda p: p.stem)
def test_notebook_is_valid(nb):
    "Every notebook is valid nbformat (nbconvert, the slides and Colab refuse invalid ones)"
    import nbformat
    nbformat.validate(nbformat.read(nb, as_version=4))


def test_lessons_hold_no_console_progress():
    "The committed lessons carry `make lessons`' outputs without console progress text: fastprogress bars, tqdm bars, or the `[epoch, loss, ...]` lines fastai's Recorder prints when no progress bar is shown"
    import nbformat
    console = re.compile(r"^\[\d+, [-\d.e]+, |█|\d+/\d+ \[\d|\d it/s|s/it\]", re.M)
    bad = [(nb.name, i) for nb in sorted((ROOT/'nbs').glob('1*_*.ipynb'))
           for i, c in enumerate(nbformat.read(nb, as_version=4).cells) if c.cell_type == 'code'
           for o in c.get('outputs', []) if o.get('output_type') == 'stream' and console.search(o.get('text', ''))]
    assert bad == [], f"console progress text in committed outputs (notebook, cell): {bad}; use fastai's HTML bars, or no_bar() with no_logging()"


def test_test_runner_takes_every_notebook_once_longest_first():
    "tools/run_tests.py (`make test`): every notebook and pytest, each once, the fixed longest-first order at the front"
    import importlib.util
    spec = importlib.util.spec_from_file_location('run_tests', ROOT/'tools'/'run_tests.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    names = [j if j == 'pytest' else j.stem for j in m.jobs()]
    assert names[:len(m.LONGEST_FIRST)] == list(m.LONGEST_FIRST)
    assert sorted(n for n in names if n != 'pytest') == sorted(p.stem for p in (ROOT/'nbs').glob('*.ipynb'))
    assert names.count('pytest') == 1 and 'pytest' not in [j if j == 'pytest' else j.stem for j in m.jobs(pytest=False)]
    assert 'run_tests.py' in (ROOT/'Makefile').read_text()
