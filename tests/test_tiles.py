"Tests of the town-plan tile generator: determinism, the dataset layout, the manifest, bad inputs."
import json
import numpy as np, pytest
from PIL import Image
from course_tl.tiles import draw_tile, make_railway_tiles, tile_file, contact_sheet

CLASSES = ('01_rail', '02_no_rail')

def _names(d, c): return sorted(f.name for f in (d/c).iterdir())

@pytest.mark.parametrize('rail', [True, False])
def test_draw_tile_deterministic(rail):
    a, b = draw_tile(rail, 96, seed=5), draw_tile(rail, 96, seed=5)
    assert a.mode == 'RGB' and a.size == (96, 96)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(draw_tile(rail, 96, seed=6)))

def test_draw_tile_rail_differs_and_bad_size():
    assert not np.array_equal(np.asarray(draw_tile(True, 64, 1)), np.asarray(draw_tile(False, 64, 1)))
    with pytest.raises(ValueError, match='at least 32'): draw_tile(True, 16)

def test_make_tiles_layout_and_images(tmp_path):
    d = make_railway_tiles(tmp_path/'t', n=7, size=48, seed=3)
    assert d == tmp_path/'t'
    assert _names(d, '01_rail') == ['tile_0001.jpg', 'tile_0003.jpg', 'tile_0005.jpg', 'tile_0007.jpg']
    assert _names(d, '02_no_rail') == ['tile_0002.jpg', 'tile_0004.jpg', 'tile_0006.jpg']
    for c in CLASSES:
        for f in (d/c).iterdir():
            with Image.open(f) as im:
                assert im.format == 'JPEG' and im.size == (48, 48) and im.mode == 'RGB'
    m = json.loads((d/'tiles.json').read_text())
    assert (m['n'], m['size'], m['seed'], m['counts']) == (7, 48, 3, {'01_rail': 4, '02_no_rail': 3})

def test_make_tiles_deterministic_and_subsets_stable(tmp_path):
    a = make_railway_tiles(tmp_path/'a', n=6, size=48, seed=11)
    b = make_railway_tiles(tmp_path/'b', n=6, size=48, seed=11, n_workers=2)   # processes give the same bytes
    small = make_railway_tiles(tmp_path/'small', n=4, size=48, seed=11)       # the first tiles of a bigger set
    other = make_railway_tiles(tmp_path/'other', n=4, size=48, seed=12)
    for i in range(6): assert tile_file(i, a).read_bytes() == tile_file(i, b).read_bytes()
    for i in range(4): assert tile_file(i, a).read_bytes() == tile_file(i, small).read_bytes()
    assert tile_file(0, a).read_bytes() != tile_file(0, other).read_bytes()

def test_manifest_skip_and_regenerate(tmp_path, monkeypatch):
    d = make_railway_tiles(tmp_path/'t', n=4, size=48)
    stamps = {f: f.stat().st_mtime_ns for f in d.rglob('*.jpg')}
    import course_tl.tiles as T
    def boom(*a, **k): raise AssertionError('should not draw')
    monkeypatch.setattr(T, 'draw_tile', boom)
    assert make_railway_tiles(d, n=4, size=48) == d             # same parameters: nothing drawn
    assert {f: f.stat().st_mtime_ns for f in d.rglob('*.jpg')} == stamps
    monkeypatch.undo()
    make_railway_tiles(d, n=4, size=40)                          # other parameters: regenerated
    with Image.open(tile_file(0, d)) as im: assert im.size == (40, 40)
    (d/'02_no_rail'/'tile_0002.jpg').unlink()                    # a missing file: regenerated too
    make_railway_tiles(d, n=4, size=40)
    assert (d/'02_no_rail'/'tile_0002.jpg').exists()

def test_interrupted_generation_is_redone(tmp_path):
    d = make_railway_tiles(tmp_path/'t', n=4, size=40)
    m = json.loads((d/'tiles.json').read_text())
    (d/'tiles.json').write_text(json.dumps(dict(m, complete=False)))
    (d/'01_rail'/'tile_0003.jpg').unlink()
    make_railway_tiles(d, n=4, size=40)
    assert json.loads((d/'tiles.json').read_text()) == m and (d/'01_rail'/'tile_0003.jpg').exists()

def test_refuses_foreign_files(tmp_path):
    (tmp_path/'mine'/'01_rail').mkdir(parents=True)
    photo = tmp_path/'mine'/'01_rail'/'photo.jpg'; photo.write_bytes(b'not ours')
    with pytest.raises(ValueError, match='not tiles generated here'): make_railway_tiles(tmp_path/'mine', n=4, size=40)
    assert photo.read_bytes() == b'not ours'
    (tmp_path/'notes').mkdir(); (tmp_path/'notes'/'tiles.json').write_text('my notes')
    with pytest.raises(ValueError, match='not written by'): make_railway_tiles(tmp_path/'notes', n=4, size=40)
    assert (tmp_path/'notes'/'tiles.json').read_text() == 'my notes'

@pytest.mark.parametrize('kw, msg', [(dict(n=1), 'at least 2'), (dict(size=8), 'at least 32')])
def test_bad_parameters(tmp_path, kw, msg):
    with pytest.raises(ValueError, match=msg): make_railway_tiles(tmp_path/'t', **dict(dict(n=4, size=40), **kw))
    assert not (tmp_path/'t').exists()

def test_contact_sheet(tmp_path):
    d = make_railway_tiles(tmp_path/'t', n=6, size=40)
    fig = contact_sheet(d, n=4, ncols=2, seed=1)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ['01_rail', '02_no_rail', '01_rail', '02_no_rail']
    files = sorted(d.rglob('*.jpg'))[:2]
    assert len([ax for ax in contact_sheet(files, n=16).axes if ax.get_title()]) == 2
    with pytest.raises(FileNotFoundError): contact_sheet(tmp_path/'nowhere')
    with pytest.raises(ValueError, match='No images'): contact_sheet([])
