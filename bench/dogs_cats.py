"""Benchmark of the dogs-vs-cats lesson: every recipe on the 2000 training photos, on a CPU; prints a markdown table.

    COURSE_TL_DATA=../shared/data .venv/bin/python bench/dogs_cats.py            # or --data PATH/dogs_cats
    ... bench/dogs_cats.py --shifts --json data_cache/results/dogs_cats_recipes.json    # what lesson 2 (12_dogs_cats) shows

With --shifts, the scratch and the fine-tuned networks are also scored on shifted copies of the same validation photos
(`recipes.SHIFTS`: blur, JPEG quality 8, faded colours, tight crop), with and without test-time augmentation (`learn.tta()`).

Validation: a fixed subset of the 2000 validation photos, the first 500 cats and 500 dogs by file name (--n-valid per class).
Goals on a 2-core CPU: fine-tuned >= 97%, feature extraction >= 95%, scratch reported beside them; about 35 minutes in all
(224 px, EfficientNet-Lite0's own resolution: at 160 px and batches of 64 one frozen epoch is only 31 steps, and fine-tuning ended at 93%).
"""
import os, sys, time
from fastcore.script import call_parse

@call_parse
def main(data:str=None, # folder with train/ and valid/ (default: $COURSE_TL_DATA/dogs_cats)
         arch:str='efficientnet_lite0', # pretrained body (resnet34 is ~8x slower on a CPU)
         size:int=224, # image side in pixels
         bs:int=32, # batch size
         n_valid:int=500, # validation photos per class (fixed: first by file name)
         epochs:str='scratch=3,features=10,frozen=1,finetune=2,plain=1', # epochs per recipe
         lr_find_its:int=16, # mini-batches of lr_find
         recipes:str=None, # comma-separated recipes to run (default: all)
         shifts:bool=False, # also score scratch and fine-tuned on shifted validation photos (+TTA)
         json:str=None, # also write the rows (with curves) to this file
        ):
    "Benchmark of the dogs-vs-cats lesson: every recipe on the 2000 training photos, on a CPU; prints a markdown table."
    from fastai.data.transforms import get_image_files
    from course_tl.core import device_name, write_json
    from course_tl.recipes import dogs_cats_folder, run_recipes, markdown_table, shift_table, RECIPES
    path = dogs_cats_folder(data, full=True)
    epochs = {k: int(v) for k, v in (kv.split('=') for kv in epochs.split(','))}
    cmd = ' '.join(['.venv/bin/python', 'bench/dogs_cats.py'] + sys.argv[1:])
    print(f"Data: {path} | body {arch} | {size} px | bs {bs} | valid {n_valid}+{n_valid} | epochs {epochs} | {device_name()}", flush=True)
    t = time.perf_counter()
    rows, learners = run_recipes(path, recipes.split(',') if recipes else RECIPES, arch, size, bs, epochs, n_valid=n_valid, lr_find_its=lr_find_its)
    wall = time.perf_counter() - t
    print(f"\n## Dogs vs cats: transfer recipes ({arch}, {size} px, 2000 training photos, {2*n_valid} validation photos)\n")
    print(markdown_table(rows))
    print(f"\nWall time: {wall/60:.1f} min on {device_name()}.\nCommand: COURSE_TL_DATA={os.environ.get('COURSE_TL_DATA', '')} {cmd}")
    by = {r['recipe']: r['valid_accuracy'] for r in rows}
    print('Top learning rate of the fine-tuned rows (lr_find):', ', '.join(f"{r['recipe']} {r['lr']:.1e}" for r in rows if 'lr' in r))
    goals = {'fine-tuned (1cycle)': 0.97, 'feature extraction + head': 0.95}
    for k, g in goals.items():
        if k in by: print(f"Goal {k} >= {g:.0%}: {'met' if by[k] >= g else 'NOT met'} ({by[k]:.1%})")
    shifted = None
    if shifts:
        t = time.perf_counter()
        nets = {k: learners[r] for k, r in (('scratch convnet', 'scratch'), ('fine-tuned (1cycle)', 'finetune')) if r in learners}
        shifted = shift_table(nets, path, n_valid=n_valid)
        print(f"\n## The same validation photos, shifted ({time.perf_counter()-t:.0f} s)\n")
        print("| network | shift | accuracy | cost (points) | accuracy with TTA |\n|---|---|---|---|---|")
        for r in shifted.itertuples(): print(f"| {r.learner} | {r.shift} | {r.accuracy:.1%} | {100*r.cost:.1f} | {r.accuracy_tta:.1%} |")
        shifted = shifted.to_dict('records')
    if json: write_json(json, dict(rows=rows, shifts=shifted, wall_s=wall, command=cmd, device=device_name(),
                                   arch=arch, size=size, bs=bs, n_train=len(get_image_files(path, folders=['train'])),
                                   n_valid=2*n_valid))
    return 0
