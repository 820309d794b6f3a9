"""A wheel (what `pip install git+...` builds in Colab) ships the embedded samples, so quick mode never needs a download."""
import os, subprocess, sys, sysconfig, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    r = subprocess.run([sys.executable, '-m', 'build', '--wheel', '--no-isolation', '--outdir', str(out), str(ROOT)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return next(out.glob('course_tl-*.whl'))


def test_wheel_holds_the_samples(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    data = [n for n in names if '.data/data/share/course_tl/data_cache/' in n]
    assert any(n.endswith('imdb_sample/texts.csv') for n in data)
    assert {n.rsplit('/', 1)[1] for n in data if '/laptop_lm/' in n} == {'lm.pth', 'lm_vocab.pkl', 'model_card.json', 'MODEL_CARD.md'}
    assert sum('/dogs_cats/train/cats/' in n for n in data) == 100 and sum('/mnist_tiny/train/7/' in n for n in data) > 300


def test_installed_wheel_finds_them_outside_the_checkout(wheel, tmp_path, offline):
    "Install the wheel alone into a fresh prefix (its dependencies come from this environment), run from elsewhere, offline"
    prefix = tmp_path/'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(prefix)], check=True)
    # `--python`: pip installs into that environment, and leaves this one (and its editable course_tl) alone
    subprocess.run([sys.executable, '-m', 'pip', '--python', str(prefix/'bin'/'python'), 'install', '-q', '--no-deps', str(wheel)],
                   check=True, env=dict(os.environ, PIP_CONFIG_FILE=os.devnull), timeout=300)
    deps = sysconfig.get_paths()['purelib']   # this environment's packages (its editable course_tl is not importable from here)
    code = ("import course_tl, course_tl.data as d; print(course_tl.__file__); print(d.imdb_path()); print(d.dogs_cats_path()); "
            "print(d.mnist_tiny_path()); import course_tl.ulmfit as t; print(t.laptop_lm().path)")
    r = subprocess.run([str(prefix/'bin'/'python'), '-c', code], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       env=dict(os.environ, PYTHONPATH=deps, COURSE_TL_CACHE=str(tmp_path/'cache'), COURSE_TL_OFFLINE='1'))
    assert r.returncode == 0, r.stderr[-3000:]
    mod, imdb, dogs, mnist, lm = r.stdout.split()[-5:]
    assert str(ROOT) not in mod and mod.startswith(str(prefix))
    shipped = prefix/'share'/'course_tl'/'data_cache'
    assert Path(imdb) == shipped/'imdb_sample' and (Path(imdb)/'texts.csv').stat().st_size > 1_000_000
    assert Path(dogs) == shipped/'dogs_cats' and Path(mnist) == shipped/'mnist_tiny'
    assert Path(lm) == shipped/'laptop_lm'   # quick-mode ULMFiT's stage 1 comes with the wheel
    import course_tl; assert Path(course_tl.__file__).resolve().parent == ROOT/'course_tl', 'this environment keeps its own course_tl'
