"""Benchmark of the dogs-vs-cats lesson: every recipe on the 2000 training photos, on a CPU; prints a markdown table.

    COURSE_TL_DATA=../shared/data .venv/bin/python bench/dogs_cats.py            # or --data PATH/dogs_cats
    ... bench/dogs_cats.py --shifts --json data_cache/results/dogs_cats_recipes.json    # what lesson 2 (12_dogs_cats) shows

With --shifts, the scratch and the fine-tuned networks are also scored on shifted copies of the same validation photos
(`recipes.SHIFTS`: blur, JPEG quality 8, faded colours, tight crop), with and without test-time augmentation (`learn.tta()`).

Validation: a fixed subset of the 2000 validation photos, the first 500 cats and 500 dogs by file name (--n-valid per class).
Goals on a 2-core CPU: fine-tuned >= 97%, feature extraction >= 95%, scratch reported beside them; about 35 minutes in all
(224 px, EfficientNet-Lite0's own resolution: at 160 px and batches of 64 one frozen epoch is only 31 steps, and fine-tuning ended at 93%).
"""
import argparse, os, sys, time

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', help='folder with train/ and valid/ (default: $COURSE_TL_DATA/dogs_cats)')
    p.add_argument('--arch', default='efficientnet_lite0', help='pretrained body (resnet34 is ~8x slower on a CPU)')
    p.add_argument('--size', type=int, default=224)
    p.add_argument('--bs', type=int, default=32)
    p.add_argument('--n-valid', type=int, default=500, help='validation photos per class (fixed: first by file name)')
    p.add_argument('--epochs', default='scratch=3,features=10,frozen=1,finetune=2,plain=1', help='epochs per recipe')
    p.add_argument('--lr-find-its', type=int, default=16)
    p.add_argument('--recipes', help='comma-separated recipes to run (default: all)')
    p.add_argument('--shifts', action='store_true', help='also score scratch and fine-tuned on shifted validation photos (+TTA)')
    p.add_argument('--json', help='also write the rows (with curves) to this file')
    a = p.parse_args(argv)
    from course_tl.core import device_name, write_json
    from course_tl.recipes import dogs_cats_folder, run_recipes, markdown_table, shift_table, RECIPES
    path = dogs_cats_folder(a.data, full=True)
    epochs = {k: int(v) for k, v in (kv.split('=') for kv in a.epochs.split(','))}
    cmd = ' '.join(['.venv/bin/python', 'bench/dogs_cats.py'] + (argv if argv is not None else sys.argv[1:]))
    print(f"Data: {path} | body {a.arch} | {a.size} px | bs {a.bs} | valid {a.n_valid}+{a.n_valid} | epochs {epochs} | {device_name()}", flush=True)
    t = time.perf_counter()
    rows, learners = run_recipes(path, a.recipes.split(',') if a.recipes else RECIPES, a.arch, a.size, a.bs, epochs, n_valid=a.n_valid, lr_find_its=a.lr_find_its)
    wall = time.perf_counter() - t
    print(f"\n## Dogs vs cats: transfer recipes ({a.arch}, {a.size} px, 2000 training photos, {2*a.n_valid} validation photos)\n")
    print(markdown_table(rows))
    print(f"\nWall time: {wall/60:.1f} min on {device_name()}.\nCommand: COURSE_TL_DATA={os.environ.get('COURSE_TL_DATA', '')} {cmd}")
    by = {r['recipe']: r['valid_accuracy'] for r in rows}
    print('Top learning rate of the fine-tuned rows (lr_find):', ', '.join(f"{r['recipe']} {r['lr']:.1e}" for r in rows if 'lr' in r))
    goals = {'fine-tuned (1cycle)': 0.97, 'feature extraction + head': 0.95}
    for k, g in goals.items():
        if k in by: print(f"Goal {k} >= {g:.0%}: {'met' if by[k] >= g else 'NOT met'} ({by[k]:.1%})")
    shifts = None
    if a.shifts:
        t = time.perf_counter()
        nets = {k: learners[r] for k, r in (('scratch convnet', 'scratch'), ('fine-tuned (1cycle)', 'finetune')) if r in learners}
        shifts = shift_table(nets, path, n_valid=a.n_valid)
        print(f"\n## The same validation photos, shifted ({time.perf_counter()-t:.0f} s)\n")
        print("| network | shift | accuracy | cost (points) | accuracy with TTA |\n|---|---|---|---|---|")
        for r in shifts.itertuples(): print(f"| {r.learner} | {r.shift} | {r.accuracy:.1%} | {100*r.cost:.1f} | {r.accuracy_tta:.1%} |")
        shifts = shifts.to_dict('records')
    if a.json: write_json(a.json, dict(rows=rows, shifts=shifts, wall_s=wall, command=cmd, device=device_name(),
                                       arch=a.arch, size=a.size, bs=a.bs, n_train=sum(1 for _ in (path/'train').glob('*/*')),
                                       n_valid=2*a.n_valid))
    return 0

if __name__ == '__main__': sys.exit(main())
