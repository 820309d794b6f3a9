"Tests of course_tl.viz: hooks always removed, activation shapes, top-activating search, receptive fields, Grad-CAM, the CLI"
import subprocess, sys
from pathlib import Path
import pytest, torch, torch.nn as nn, torch.nn.functional as F
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from course_tl.viz import (hook_count, default_layers, get_layers, activation_maps, plot_activations, top_activating,
                           receptive_fields, plot_top_patches, grad_cam, plot_grad_cam, plot_filters, compare_side_by_side,
                           activation_sheet, activations_main, load_image)

COURSE_TL = Path(sys.executable).parent/'course-tl'
NO_NORM = ([0.] * 3, [1.] * 3)


class Boom(nn.Module):
    "A layer that always fails, to raise in the middle of a forward pass"
    def forward(self, x): raise RuntimeError("boom")


def tiny_cnn(n_out=2):
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, n_out))


@pytest.fixture(scope='module')
def effnet():
    from course_tl.models import imagenet_model
    return imagenet_model('efficientnet_lite0')


@pytest.fixture(scope='module')
def cat():
    from course_tl.data import dogs_cats_path
    return sorted((dogs_cats_path()/'valid'/'cats').glob('*.jpg'))[0]


def test_hooks_removed_after_each_helper():
    m, img = tiny_cnn(), torch.rand(3, 16, 16)
    calls = [lambda: default_layers(m), lambda: activation_maps(m, img, ['1', '3'], size=None, stats=NO_NORM),
             lambda: top_activating(m, [img] * 5, '3', 0, k=2, size=None, stats=NO_NORM, bs=2),
             lambda: receptive_fields(m, '3', [(4, 4)], size=16), lambda: grad_cam(m, img, '3', size=None, stats=NO_NORM),
             lambda: plot_activations(m, img, ['1', '3'], n=2, size=None, stats=NO_NORM),
             lambda: plot_top_patches(m, [img] * 3, '1', 0, k=2, size=16, stats=NO_NORM),
             lambda: plot_grad_cam(m, img, '3', size=None, stats=NO_NORM), lambda: plot_filters(m),
             lambda: compare_side_by_side({'a': m, 'b': tiny_cnn()}, img, ['1', '3'], n=2, size=None, stats=NO_NORM),
             lambda: activation_sheet(m, img, ['1', '3'], n=2, size=None, stats=NO_NORM)]
    for f in calls:
        f()
        assert hook_count(m) == 0
    plt.close('all')


def test_hooks_removed_after_an_error():
    m, img = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), Boom(), nn.Conv2d(4, 4, 3)), torch.rand(3, 8, 8)
    for f in [lambda: activation_maps(m, img, ['1', '3'], size=None), lambda: top_activating(m, [img], '3', 0, size=None),
              lambda: receptive_fields(m, '3', [(0, 0)], size=8), lambda: grad_cam(m, img, '1', target=0, size=None),
              lambda: plot_activations(m, img, ['1'], size=None)]:
        with pytest.raises(RuntimeError, match='boom'): f()
        assert hook_count(m) == 0
    plt.close('all')


def test_unknown_layer_and_bad_images(tmp_path):
    m = tiny_cnn()
    with pytest.raises(ValueError, match="Unknown layer 'nope'"): get_layers(m, ['nope'])
    with pytest.raises(ValueError, match='Unknown layer'): activation_maps(m, torch.rand(3, 8, 8), ['1', 'nope'], size=None)
    with pytest.raises(FileNotFoundError): load_image(tmp_path/'missing.jpg')
    (tmp_path/'bad.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    with pytest.raises(ValueError, match="Can't read"): load_image(tmp_path/'bad.jpg')
    assert (tmp_path/'bad.jpg').read_bytes() == b'\xff\xd8 not really a jpeg'  # never touched
    assert hook_count(m) == 0


def test_default_layers_and_shapes(effnet, cat):
    from course_tl.models import resnet18
    acts = activation_maps(effnet, cat)
    assert {k: tuple(v.shape) for k, v in acts.items()} == {
        'blocks.0': (16, 112, 112), 'blocks.1': (24, 56, 56), 'blocks.2': (40, 28, 28), 'blocks.4': (112, 14, 14), 'bn2': (1280, 7, 7)}
    rn = resnet18(pretrained=False)
    acts = activation_maps(rn, cat, size=128)
    assert {k: tuple(v.shape) for k, v in acts.items()} == {
        'relu': (64, 64, 64), 'layer1': (64, 32, 32), 'layer2': (128, 16, 16), 'layer3': (256, 8, 8), 'layer4': (512, 4, 4)}
    assert default_layers(rn, n=3) == ['relu', 'layer2', 'layer4']
    assert hook_count(effnet) == hook_count(rn) == 0


def test_default_layers_of_a_learner():
    from fastai.vision.all import ImageDataLoaders, Resize
    from course_tl.data import mnist_tiny_path
    from course_tl.models import make_learner
    dls = ImageDataLoaders.from_folder(mnist_tiny_path(), item_tfms=Resize(32), bs=8, num_workers=0)
    learn = make_learner(dls, 'resnet18', pretrained=False)
    assert default_layers(learn) == ['0.2', '0.4', '0.5', '0.6', '0.7']
    img = dls.valid_ds[0][0]
    acts = activation_maps(learn, img, size=64)
    assert acts['0.7'].shape == (512, 2, 2)
    was = learn.model.training
    cam, t, probs = grad_cam(learn, img, size=64)
    assert cam.shape == (64, 64) and probs.shape == (2,) and learn.model.training == was
    assert hook_count(learn) == 0


def test_top_activating_finds_the_green_image():
    "A hand-made green detector: only image 5 has green in it, in a known place"
    m = nn.Sequential(nn.Conv2d(3, 3, 1), nn.ReLU())
    with torch.no_grad():
        m[0].weight.zero_(); m[0].bias.zero_()
        m[0].weight[1, :, 0, 0] = torch.tensor([-1., 1, -1])  # channel 1: green minus red minus blue
        m[0].weight[2, :, 0, 0] = torch.tensor([1., 1, 1])    # channel 2: brightness
    g = torch.Generator().manual_seed(0)
    imgs = [torch.rand(1, 24, 24, generator=g).expand(3, -1, -1).clone() for _ in range(10)]  # grey noise
    imgs[5][:, 3:6, 15:20] = torch.tensor([0., 1, 0])[:, None, None]
    top = top_activating(m, imgs, '1', channel=1, k=3, size=None, stats=NO_NORM, bs=4)
    assert top[0][0] == 5 and top[0][1] == pytest.approx(1.0)
    assert 3 <= top[0][2][0] < 6 and 15 <= top[0][2][1] < 20
    assert all(v == 0 for _, v, _ in top[1:])
    bright = top_activating(m, imgs, '1', channel=2, k=10, size=None, stats=NO_NORM)
    maxes = [float(im.sum(0).max()) for im in imgs]
    assert [i for i, _, _ in bright] == sorted(range(10), key=lambda i: -maxes[i])


def test_receptive_fields_match_the_arithmetic():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                      nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU())
    assert receptive_fields(m, '1', [(10, 10)], size=32) == [(9, 9, 12, 12)]      # 3×3
    assert receptive_fields(m, '3', [(10, 10)], size=32) == [(8, 8, 13, 13)]      # 5×5
    assert receptive_fields(m, '5', [(5, 5)], size=32) == [(7, 7, 14, 14)]        # 7×7 around pixel 10
    assert receptive_fields(m, '3', [(0, 0), (31, 31)], size=32) == [(0, 0, 3, 3), (29, 29, 32, 32)]  # cut by the border


def square_images(n, seed=0):
    "`n` 32-pixel noise images, odd ones with a bright 8-pixel square in a random quadrant: (images, labels, quadrants)"
    g = torch.Generator().manual_seed(seed)
    x, q, y = 0.3 * torch.rand(n, 3, 32, 32, generator=g), torch.randint(0, 4, (n,), generator=g), torch.arange(n) % 2
    for i in range(n):
        if y[i]:
            r, c = [16 * k + int(torch.randint(2, 6, (1,), generator=g)) for k in (q[i] // 2, q[i] % 2)]
            x[i, :, r:r+8, c:c+8] = 0.9
    return x, y, q


def test_grad_cam_peaks_where_the_square_is():
    torch.manual_seed(0)
    xs, ys, _ = square_images(256)
    m = tiny_cnn(); opt = torch.optim.Adam(m.parameters(), 1e-2)
    for _ in range(8):
        for i in range(0, 256, 32):
            loss = F.cross_entropy(m(xs[i:i+32]), ys[i:i+32]); opt.zero_grad(); loss.backward(); opt.step()
    xt, yt, qt = square_images(40, seed=1)
    with torch.no_grad(): assert (m(xt).argmax(1) == yt).float().mean() > 0.9
    hits = []
    for i in range(40):
        if not yt[i]: continue
        cam, t, _ = grad_cam(m, xt[i], '3', target=1, size=None, stats=NO_NORM)
        r, c = divmod(int(cam.argmax()), 32)
        hits.append(2 * (r // 16) + c // 16 == int(qt[i]))
    assert sum(hits) >= 0.9 * len(hits), hits
    m.train()
    grad_cam(m, xt[1], '3', size=None, stats=NO_NORM)
    assert m.training and hook_count(m) == 0  # the model's mode is given back


def run_cli(*args, cwd=None):
    return subprocess.run([str(COURSE_TL), 'activations', *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_cli_writes_the_sheet(tmp_path, cat):
    from PIL import Image
    r = run_cli('--image', cat.resolve(), '--channels', '6', cwd=tmp_path)  # default --out: out/activations.png
    assert r.returncode == 0, r.stderr
    out = tmp_path/'out'/'activations.png'
    with Image.open(out) as im: assert im.format == 'PNG' and im.size[0] > 600 and im.size[1] > 600


def test_cli_bad_input_is_one_line(tmp_path, cat, capsys):
    from course_tl.cli import main
    (tmp_path/'bad.jpg').write_text('not an image')
    for args, msg in [(['--image', tmp_path/'missing.jpg'], 'No image file'), (['--image', tmp_path/'bad.jpg'], "Can't read"),
                      (['--image', cat, '--layers', 'blocks.1', 'blocks.99', '--out', tmp_path/'x.png'], "Unknown layer 'blocks.99'")]:
        assert main(['activations', *map(str, args)]) == 1
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1 and 'Traceback' not in err, err
    assert not (tmp_path/'x.png').exists()
    with pytest.raises(SystemExit): activations_main(['--image', str(cat), '--arch', 'vgg99'])
