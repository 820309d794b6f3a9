"`course-tl railway` through `cli.main`: --help from the docments, bad input and offline refusals, files written, and determinism."
import json
import pytest
from PIL import Image

from course_tl.core import cache_dir
from course_tl.tiles import make_railway_tiles
from course_tl.cli import main

TINY = ['--arch', 'efficientnet_lite0', '--epochs', '1', '--size', '32', '--bs', '8', '--full']


@pytest.fixture(scope='module')
def tiny():
    "24 generated tiles of 64 px (cached after the first time)"
    return make_railway_tiles(cache_dir('generated')/'railway_tiny_n24_s64', n=24, size=64)


def test_help_from_docments(help_text):
    out = help_text('railway')
    for opt in ('--data', '--arch', '--epochs', '--lr', '--size', '--bs', '--threads', '--quick', '--full', '--json', '--plot'):
        assert opt in out, opt
    for doc in ('results file', 'comparison plot', 'epochs per run', 'efficientnet_lite0'): assert doc in out, doc


def _one_class(tmp_path):
    (tmp_path/'one'/'01_rail').mkdir(parents=True)
    for i in range(3): Image.new('RGB', (40, 40), 'white').save(tmp_path/'one'/'01_rail'/f'{i}.png')
    return tmp_path/'one'


@pytest.mark.parametrize('bad', ['missing', 'empty', 'one_class', 'epochs'])
def test_bad_input(bad, tmp_path, refused):
    "Bad input: exit code 1, one line on stderr, no traceback, no JSON (in-process through the `course-tl` dispatcher)"
    args = {'missing': lambda: ['--data', tmp_path/'nope'], 'empty': lambda: ['--data', tmp_path],
            'one_class': lambda: ['--data', _one_class(tmp_path)], 'epochs': lambda: ['--epochs', 0]}[bad]()
    refused('railway', *args, '--arch', 'efficientnet_lite0', '--json', tmp_path/'out'/'r.json', '--plot', tmp_path/'out'/'r.png',
            contains={'missing': 'does not exist', 'empty': '01_rail', 'one_class': '02_no_rail', 'epochs': '--epochs'}[bad])
    assert not (tmp_path/'out'/'r.json').exists()


def test_offline_arch_fails_fast(offline, tmp_path, refused):
    "resnet18's weights can't be had offline (unless cached): refused before any data is read, naming the arch that works"
    from course_tl.models import weights_available
    if weights_available('resnet18'): pytest.skip("resnet18's ImageNet weights are cached here")
    refused('railway', '--arch', 'resnet18', '--data', tmp_path/'nope', '--json', tmp_path/'r.json', contains='--arch efficientnet_lite0')


def test_too_few_tiles_refused_before_training(tiny, tmp_path, refused):
    "24 tiles (5 for validation) or 4 per class: one line saying what is missing, before anything trains"
    refused('railway', '--data', tiny, *TINY, '--json', tmp_path/'r.json', contains='give at least 100 images')
    for c in ('01_rail', '02_no_rail'):
        (tmp_path/'few'/c).mkdir(parents=True)
        for i in range(4): Image.new('RGB', (40, 40), 'white').save(tmp_path/'few'/c/f'{i}.png')
    refused('railway', '--data', tmp_path/'few', *TINY, '--json', tmp_path/'r.json', contains='at least 10 training images')
    assert not (tmp_path/'r.json').exists()


def test_writes_json_and_plot_deterministically(tiny, tmp_path, capsys, monkeypatch):
    "Two runs of the command on the tiny set (its size checks lowered): JSON (into a new folder) and plot written, the same metrics both times"
    import course_tl.images as cc
    monkeypatch.setattr(cc, 'MIN_PER_CLASS', 1); monkeypatch.setattr(cc, 'MIN_VALID', 1)
    res = []
    for k in range(2):
        out = tmp_path/f'new{k}'/'sub'
        rc = main(['railway', '--data', tiny, *TINY, '--json', out/'r.json', '--plot', out/'r.png'])
        assert rc == 0, capsys.readouterr().err
        assert (out/'r.png').stat().st_size > 1000
        res.append(json.loads((out/'r.json').read_text()))
    stdout = capsys.readouterr().out
    assert 'error_rate' in stdout and 'pretrained epoch 1/1' in stdout and ('- Accuracy' in stdout or '- Better accuracy' in stdout)
    a, b = res
    assert a['mode'] == 'full' and a['arch'] == 'efficientnet_lite0' and a['n_train'] + a['n_valid'] == 24 and a['threads'] >= 1
    assert [r['run'] for r in a['rows']] == ['pretrained', 'scratch']
    assert set(a['rows'][0]) == {'run', 'epoch', 'train_loss', 'valid_loss', 'error_rate', 'seconds'}
    metrics = lambda r: [{k: v for k, v in row.items() if k != 'seconds'} for row in r['rows']]
    assert metrics(a) == metrics(b)  # same seed, same threads: the same numbers to the last digit
