"""Rebuild the committed embedded datasets in `data_cache/` from `../shared/data` (run once by a developer).

- imdb_sample/texts.csv : fastai's IMDB_SAMPLE, copied as is
- mnist_tiny/           : fastai's MNIST_TINY, copied as is
- dogs_cats/            : the first 100+100 train and 50+50 valid photos (sorted by number), resized to <=160 px, JPEG q85
"""
import re, shutil, sys
from pathlib import Path
from PIL import Image

src = Path(sys.argv[1] if len(sys.argv) > 1 else '../shared/data')
dst = Path(__file__).resolve().parent.parent/'data_cache'

def num(p): return int(re.findall(r'\d+', p.stem)[-1])

(dst/'imdb_sample').mkdir(parents=True, exist_ok=True)
shutil.copy(src/'imdb_sample'/'texts.csv', dst/'imdb_sample'/'texts.csv')
shutil.rmtree(dst/'mnist_tiny', ignore_errors=True)
shutil.copytree(src/'mnist_tiny', dst/'mnist_tiny')
for split, n in (('train', 100), ('valid', 50)):
    for cls in ('cats', 'dogs'):
        out = dst/'dogs_cats'/split/cls
        shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
        for f in sorted((src/'dogs_cats'/split/cls).glob('*.jpg'), key=num)[:n]:
            im = Image.open(f).convert('RGB')
            im.thumbnail((160, 160))
            im.save(out/f.name, quality=85)
print('data_cache rebuilt:', dst)
