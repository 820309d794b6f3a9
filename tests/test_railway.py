"Pretrained vs scratch on railway tiles: the DataFrame, determinism, and `course-tl railway` (files, bad input, --help)."
import json, os, subprocess, sys
from pathlib import Path
import pytest
from PIL import Image

from course_tl.core import cache_dir
from course_tl.tiles import make_railway_tiles
from course_tl.railway import compare_pretrained_scratch, railway_dls, resized_tiles

CLI = [str(Path(sys.executable).parent/'course-tl'), 'railway']
TINY = dict(arch='efficientnet_lite0', epochs=1, size=32, bs=8, threads=1)  # threads fixed: sums in the same order
COLUMNS = ['run', 'epoch', 'train_loss', 'valid_loss', 'error_rate', 'seconds']


@pytest.fixture(scope='module', autouse=True)
def offline_module():
    "This module runs offline; the setting ends with it (set at import, it leaked into every other test module)"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('COURSE_TL_OFFLINE', '1')
        yield


@pytest.fixture(scope='module')
def tiny():
    "24 generated tiles of 64 px (cached after the first time)"
    return make_railway_tiles(cache_dir('generated')/'railway_tiny_n24_s64', n=24, size=64)


def cli(*args, timeout=300):
    env = dict(os.environ, COURSE_TL_OFFLINE='1', PYTHONWARNINGS='ignore')
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env)


def test_frame_shape_and_determinism(tiny):
    df = compare_pretrained_scratch(tiny, **dict(TINY, epochs=2))
    assert list(df.columns) == COLUMNS and df.shape == (4, 6)
    assert list(df.run) == ['pretrained', 'pretrained', 'scratch', 'scratch'] and list(df.epoch) == [1, 2, 1, 2]
    assert (df.seconds > 0).all() and df.error_rate.between(0, 1).all()
    assert df.attrs['n_train'] + df.attrs['n_valid'] == 24
    again = compare_pretrained_scratch(tiny, **dict(TINY, epochs=2))
    assert df.drop(columns='seconds').equals(again.drop(columns='seconds'))  # same seed, same numbers


def test_train_frac_and_cache(tiny):
    small = resized_tiles(tiny, 32)
    assert resized_tiles(tiny, 32) == small and Image.open(next(small.rglob('*.png'))).size == (32, 32)
    full, half = railway_dls(small, size=32, bs=4), railway_dls(small, size=32, bs=4, train_frac=0.5)
    assert len(half.train_ds) == len(full.train_ds)//2 and list(half.valid_ds.items) == list(full.valid_ds.items)
    with pytest.raises(ValueError, match='train_frac'): railway_dls(small, train_frac=0)


def test_cli_writes_json_and_plot(tiny, tmp_path):
    r = cli('--data', tiny, '--arch', 'efficientnet_lite0', '--epochs', 1, '--size', 32, '--bs', 8,
            '--json', tmp_path/'r.json', '--plot', tmp_path/'r.png')
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path/'r.json').read_text())
    assert res['arch'] == 'efficientnet_lite0' and res['n_train'] + res['n_valid'] == 24
    assert [row['run'] for row in res['rows']] == ['pretrained', 'scratch'] and set(res['rows'][0]) == set(COLUMNS)
    assert (tmp_path/'r.png').stat().st_size > 1000
    assert 'error_rate' in r.stdout and 'Better accuracy' in r.stdout


def _one_class(tmp_path):
    (tmp_path/'one'/'01_rail').mkdir(parents=True)
    for i in range(3): Image.new('RGB', (40, 40), 'white').save(tmp_path/'one'/'01_rail'/f'{i}.png')
    return tmp_path/'one'


@pytest.mark.parametrize('bad', ['missing', 'empty', 'one_class', 'epochs'])
def test_cli_bad_input(bad, tmp_path, capsys):
    "Bad input: exit code 1 and one line on stderr, no traceback (in-process through the `course-tl` dispatcher, to save start-up time)"
    from course_tl.cli import main
    args = {'missing': ['--data', tmp_path/'nope'], 'empty': ['--data', tmp_path], 'epochs': ['--epochs', 0],
            'one_class': ['--data', _one_class(tmp_path) if bad == 'one_class' else '']}[bad]
    rc = main(['railway'] + [str(a) for a in args] + ['--json', str(tmp_path/'r.json'), '--plot', str(tmp_path/'r.png')])
    err = capsys.readouterr().err
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('course-tl railway: error:'), err
    assert 'Traceback' not in err and not (tmp_path/'r.json').exists()


def test_cli_help():
    r = cli('--help')
    assert r.returncode == 0 and r.stdout.startswith('usage: course-tl railway')
    for opt in ('--data', '--arch', '--epochs', '--quick', '--json', '--plot'): assert opt in r.stdout
