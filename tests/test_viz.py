"""`course-tl activations`, from the outside: its help, a run in a fresh process, and bad input as one line.
The helpers of course_tl.viz are tested in nbs/08_viz.ipynb, right below each one."""
import pytest
from course_tl.cli import main


@pytest.fixture(scope='module')
def cat():
    from course_tl.data import dogs_cats_path
    return sorted((dogs_cats_path()/'valid'/'cats').glob('*.jpg'))[0].resolve()


def test_help_lists_the_options(cli):
    r = cli('activations', '--help')
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith('usage: course-tl activations')
    for opt in ('--image', '--arch', '--layers', '--channels', '--scratch', '--out'): assert opt in r.stdout
    assert 'efficientnet_lite0' in r.stdout and 'resnet18' in r.stdout   # the arch choices
    assert 'channels shown per layer' in r.stdout and 'out/activations.png' in r.stdout  # docments and defaults


def test_cli_writes_the_sheet(cli, tmp_path, cat):
    from PIL import Image
    out = tmp_path/'new'/'sheet.png'   # its folder doesn't exist yet
    r = cli('activations', '--image', cat, '--channels', '6', '--layers', 'blocks.1', 'blocks.4', 'bn2', '--out', out)
    assert r.returncode == 0, r.stderr
    assert f'Wrote {out}' in r.stdout
    with Image.open(out) as im: assert im.format == 'PNG' and im.size[0] > 600 and im.size[1] > 400
    assert [f.name for f in out.parent.iterdir()] == ['sheet.png']   # no temporary file left


def _one_line_error(capsys, args, msg):
    assert main(['activations', *map(str, args)]) == 1
    err = capsys.readouterr().err
    assert err.startswith('course-tl activations: error:') and msg in err, err
    assert len(err.strip().splitlines()) == 1 and 'Traceback' not in err, err


def test_bad_input_is_one_line(tmp_path, cat, capsys):
    (tmp_path/'bad.jpg').write_text('not an image')
    out = tmp_path/'x.png'
    for args, msg in [([], '--image'),
                      (['--image', tmp_path/'missing.jpg'], 'No image file'),
                      (['--image', tmp_path/'bad.jpg'], "Can't read"),
                      (['--image', cat, '--channels', '0'], '--channels must be at least 1'),
                      (['--image', cat, '--layers', 'blocks.1', 'blocks.99'], "Unknown layer 'blocks.99'")]:
        _one_line_error(capsys, [*args, '--out', out], msg)
    assert not out.exists()
    assert (tmp_path/'bad.jpg').read_text() == 'not an image'


def test_unknown_arch_is_refused_by_the_parser(cat, capsys):
    with pytest.raises(SystemExit) as e: main(['activations', '--image', str(cat), '--arch', 'vgg99'])
    assert e.value.code == 2 and 'invalid choice' in capsys.readouterr().err


def test_offline_without_cached_weights(offline, tmp_path, cat, capsys):
    from course_tl.models import weights_available
    if weights_available('resnet18'): pytest.skip("ResNet-18's ImageNet weights are cached here")
    _one_line_error(capsys, ['--image', cat, '--arch', 'resnet18', '--out', tmp_path/'x.png'], '--scratch')
    assert not (tmp_path/'x.png').exists()
