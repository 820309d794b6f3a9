"""Data getters and safe preparation of a user's images: the shipped samples, offline behaviour, a user's folder left as it was,
and the prepared copy cached. The refusals (zip-slip, links, a hostile or broken zip, a missing or empty source, one class,
a class of corrupt images) are the data notebook's tests of `safe_extract` and `prepare_images`."""
import os, time, shutil
from pathlib import Path
import pytest
from PIL import Image
from course_tl.core import OfflineError, cache_dir, download
from course_tl.data import imdb_path, dogs_cats_path, mnist_tiny_path
from course_tl.data import railway_path

def _imgs(folder, n, color=(200, 10, 10), ext='.jpg'):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n): Image.new('RGB', (24, 24), color).save(folder/f'img{i}{ext}')

@pytest.fixture
def user_tiles(tmp_path):
    src = tmp_path/'tiles'
    _imgs(src/'01_rail', 4); _imgs(src/'02_no_rail', 3, (10, 10, 200))
    return src

@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    "Prepared copies and features go to a private cache (the samples are still found in the checkout's data_cache/): the repo's cache is neither written nor cleaned, so notebooks may run beside these tests"
    monkeypatch.setenv('COURSE_TL_CACHE', str(tmp_path/'cache'))

def test_embedded_getters():
    assert (imdb_path()/'texts.csv').stat().st_size > 1_000_000
    d = dogs_cats_path()
    assert {p.name for p in (d/'train').iterdir()} == {'cats', 'dogs'}
    assert len(list((d/'train'/'dogs').glob('*.jpg'))) == 100
    assert max(Image.open(f).size[0] for f in (d/'valid'/'dogs').glob('*.jpg')) <= 160
    assert (mnist_tiny_path()/'labels.csv').exists()

def test_full_dogs_cats_from_env(tmp_path, monkeypatch):
    _imgs(tmp_path/'dogs_cats'/'train'/'cats', 1)
    monkeypatch.setenv('COURSE_TL_DATA', str(tmp_path))
    assert dogs_cats_path(full=True) == tmp_path/'dogs_cats'

@pytest.mark.parametrize('call', [lambda: imdb_path(full=True), lambda: dogs_cats_path(full=True),
                                  lambda: download('https://files.fast.ai/data/examples/mnist_tiny.tgz', 'x', 'do y')])
def test_offline_download_fails_fast(offline, monkeypatch, call, tmp_path):
    monkeypatch.delenv('COURSE_TL_DATA', raising=False)
    monkeypatch.setenv('COURSE_TL_CACHE', str(tmp_path/'cache'))   # nothing downloaded yet (the full_imdb fixture may have staged IMDB)
    t0 = time.time()
    with pytest.raises(OfflineError) as e: call()
    assert time.time() - t0 < 5
    assert 'no network' in str(e.value)

def test_missing_embedded_falls_back_to_download(offline, tmp_path, monkeypatch):
    monkeypatch.setenv('COURSE_TL_CACHE', str(tmp_path/'empty_cache'))  # like a wheel install: no data_cache,
    monkeypatch.setattr('course_tl.core.repo_root', lambda: None)        # no checkout, no shipped samples
    monkeypatch.setattr('course_tl.core.shipped_dir', lambda: tmp_path/'no_share')
    with pytest.raises(OfflineError, match='data_cache'): imdb_path()

def test_prepare_folder_keeps_user_files(user_tiles):
    (user_tiles/'01_rail'/'zero.jpg').touch()
    (user_tiles/'01_rail'/'broken.png').write_bytes(b'\x89PNG garbage')
    (user_tiles/'02_no_rail'/'readme.txt').write_text('not an image')
    (user_tiles/'02_no_rail'/'.DS_Store').write_bytes(b'x')
    (user_tiles/'.ipynb_checkpoints').mkdir()
    snapshot = {p: p.read_bytes() for p in user_tiles.rglob('*') if p.is_file()}
    out = railway_path(user_tiles)
    assert {p.name: len(list(p.iterdir())) for p in out.iterdir()} == {'01_rail': 4, '02_no_rail': 3}
    assert {p: p.read_bytes() for p in user_tiles.rglob('*') if p.is_file()} == snapshot
    reasons = {r for _, r in __import__('json').loads((out.parent/'report.json').read_text())['skipped']}
    assert {'empty (0 bytes)', 'corrupt image', 'not an image file', 'hidden file'} <= reasons

def test_prepare_is_cached(user_tiles, monkeypatch):
    "The second call finds the prepared copy: the copying work must not run again"
    import course_tl.data as D
    a = railway_path(user_tiles)
    def again(*args, **kwargs): raise AssertionError('prepared twice')
    monkeypatch.setattr(D, 'copy_images', again); monkeypatch.setattr(D, 'safe_extract', again)
    assert railway_path(user_tiles) == a
    (user_tiles/'01_rail'/'new.jpg').write_bytes((user_tiles/'01_rail'/'img0.jpg').read_bytes())
    os.utime(user_tiles, ns=(time.time_ns(), time.time_ns() + 10**9))   # the folder changed: prepared again
    with pytest.raises(AssertionError, match='prepared twice'): railway_path(user_tiles)
