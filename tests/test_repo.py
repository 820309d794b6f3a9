"The repository's own promises: notebooks and module in sync, README from index.ipynb, small data_cache, nbdev 3 config"
import subprocess, sys, shutil, tomllib
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def _git(*args):
    return subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True)

def test_nbdev3_config():
    cfg = tomllib.loads((ROOT/'pyproject.toml').read_text())
    assert 'nbdev' in cfg['tool'] and not (ROOT/'settings.ini').exists()

@pytest.mark.skipif(not (ROOT/'.git').exists() or not shutil.which('git'), reason='not a git checkout')
def test_export_leaves_no_diff():
    before = _git('status', '--porcelain', '--', 'course_tl').stdout
    subprocess.run([str(Path(sys.executable).parent/'nbdev-export')], cwd=ROOT, check=True, timeout=120)
    assert _git('status', '--porcelain', '--', 'course_tl').stdout == before
    assert _git('diff', '--stat', 'HEAD', '--', 'course_tl').stdout == '', 'course_tl/ differs from nbs/: run nbdev-export and commit'

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
