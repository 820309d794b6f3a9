"""`course-tl activations`, from the outside: its help, a run of the console script in a fresh process (the suite's smoke test of
the `course-tl` entry point), and bad input as one line.
The helpers of course_tl.viz are tested in nbs/08_viz.ipynb, right below each one."""
import pytest
from course_tl.cli import main


@pytest.fixture(scope='module')
def cat():
    from course_tl.data import dogs_cats_path
    return sorted((dogs_cats_path()/'valid'/'cats').glob('*.jpg'))[0].resolve()


def test_help_lists_the_options(help_text):
    out = help_text('activations')
    for opt in ('--image', '--arch', '--layers', '--channels', '--scratch', '--out'): assert opt in out
    assert 'efficientnet_lite0' in out and 'resnet18' in out   # the arch choices
    assert 'channels shown per layer' in out and 'out/activations.png' in out  # docments and defaults


def test_cli_writes_the_sheet(cli, tmp_path, cat):
    from PIL import Image
    out = tmp_path/'new'/'sheet.png'   # its folder doesn't exist yet
    r = cli('activations', '--image', cat, '--channels', '6', '--layers', 'blocks.1', 'blocks.4', 'bn2', '--out', out)
    assert r.returncode == 0, r.stderr
    assert f'Wrote {out}' in r.stdout
    with Image.open(out) as im: assert im.format == 'PNG' and im.size[0] > 600 and im.size[1] > 400
    assert [f.name for f in out.parent.iterdir()] == ['sheet.png']   # no temporary file left


def test_bad_input_is_one_line(tmp_path, cat, refused):
    (tmp_path/'bad.jpg').write_text('not an image')
    out = tmp_path/'x.png'
    for args, msg in [([], '--image'),
                      (['--image', tmp_path/'missing.jpg'], 'No image file'),
                      (['--image', tmp_path/'bad.jpg'], "Can't read"),
                      (['--image', cat, '--channels', '0'], '--channels must be at least 1'),
                      (['--image', cat, '--layers', 'blocks.1', 'blocks.99'], "Unknown layer 'blocks.99'")]:
        refused('activations', *args, '--out', out, contains=msg)
    assert not out.exists()
    assert (tmp_path/'bad.jpg').read_text() == 'not an image'


def test_unknown_arch_is_refused_by_the_parser(cat, capsys):
    with pytest.raises(SystemExit) as e: main(['activations', '--image', str(cat), '--arch', 'vgg99'])
    assert e.value.code == 2 and 'invalid choice' in capsys.readouterr().err


def test_offline_without_cached_weights(offline, tmp_path, cat, refused):
    from course_tl.models import weights_available
    if weights_available('resnet18'): pytest.skip("ResNet-18's ImageNet weights are cached here")
    refused('activations', '--image', cat, '--arch', 'resnet18', '--out', tmp_path/'x.png', contains='--scratch')
    assert not (tmp_path/'x.png').exists()
