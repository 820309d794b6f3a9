"""Build the course website from nbs/ into _docs/, offline: `make docs` (or `python tools/build_docs.py [--out DIR]`).

Why Sphinx + MyST-NB + sphinx-book-theme (the `docs` extra): nbdev's own `nbdev-docs` needs Quarto, which can't be
installed everywhere; these install with pip, build with no network, render the notebooks' committed outputs without
executing them, and Sphinx's search loads `searchindex.js` through a `<script>` tag, so the site, its search and its
slide decks work from files on disk (MkDocs' search fetches its index with XHR in a web worker, which fails from file://).

What it does, in order:
1. snapshots nbs/*.ipynb (other people may be editing them) into the work folder (`_proc/docs/`);
2. runs nbdev's own doc processors (`nbdev.processors.FilterDefaults`, what `nbdev-proc-nbs` runs before Quarto) on
   each notebook: for a library notebook that inserts and executes a `show_doc` cell after each exported helper, so
   its page has the helper's reference, with its tests below it as examples; backticked names become links to them.
   Results are cached in `_proc/docs_cache/` by the notebook's and the library's content;
3. turns each processed notebook into a page (`06_railway_compare.ipynb` -> `railway_compare.html`, nbdev's naming, which the
   modules' `Docs:` lines and `_modidx.py` use): links between notebooks and to `https://course-tl.github.io/course_tl/`
   become relative links to pages, lessons get an *Open in Colab* link and a link to their slide deck;
4. writes a slide deck per lesson into `slides/` (`course_tl.slides.notebook_to_deck`, reveal.js copied beside them);
5. runs Sphinx, writes a Markdown twin `<page>.html.md` of each page (the form of the modules' `Docs:` links),
   and checks every internal link and anchor of the site (`check_links`); a broken one fails the build.
"""
import argparse, hashlib, json, os, re, shutil, subprocess, sys, time, tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote
from course_tl.slides import directives, strip_directives   # the `#| name: value` lines a code cell starts with, read by nbdev's own parser

ROOT = Path(__file__).resolve().parent.parent
NBS, CONF = ROOT/'nbs', ROOT/'docs'
CACHE_VERSION = '1'   # bump when the processing below changes what a cached notebook holds

def _project():
    d = tomllib.loads((ROOT/'pyproject.toml').read_text())
    urls = d['project'].get('urls', {})
    return urls.get('Documentation', '').rstrip('/') + '/', urls.get('Repository', '').rstrip('/')

DOC_URL, REPO_URL = _project()
BRANCH = 'main'

# ---------------------------------------------------------------- which notebook is what, and its page

def page_name(nb:Path) -> str:
    "The page a notebook becomes, as nbdev names it (`nbdev.config.nbpath2html`): `06_railway_compare.ipynb` -> `railway_compare`"
    return 'index' if nb.stem == 'index' else re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb.stem.lower())

def kind(nb:Path) -> str:
    "'home' (index.ipynb), 'lesson' (1x_*.ipynb) or 'library' (the other numbered notebooks)"
    if nb.stem == 'index': return 'home'
    return 'lesson' if re.match(r'1\d_', nb.name) else 'library'

def site_notebooks(nbs:Path=NBS) -> list[Path]:
    "The notebooks with a page: index, the lessons, the library notebooks (numbered `NN_name.ipynb`), in file order"
    return sorted(p for p in nbs.glob('*.ipynb') if p.stem == 'index' or re.match(r'\d\d[a-z]?_', p.name))

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

def _img(o) -> bool: return any(k.startswith('image/') for k in o.get('data', {}))

def shown_images(nb) -> int:
    "How many image outputs of `nb` (a notebook as JSON) the site shows: those of code cells that are not hidden"
    n = 0
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        d = directives(_src(c))
        if 'hide' in d or d.get('include') == 'false' or d.get('output') == 'false' or 'colab-install' in c.get('metadata', {}).get('tags', []): continue
        n += sum(_img(o) for o in c.get('outputs', []))
    return n

# ---------------------------------------------------------------- step 2: nbdev's processors (show_doc), cached

def _lib_key() -> str:
    h = hashlib.sha256(CACHE_VERSION.encode())
    import nbdev; h.update(nbdev.__version__.encode())
    for p in sorted((ROOT/'course_tl').glob('*.py')): h.update(p.name.encode()); h.update(p.read_bytes())
    h.update((ROOT/'pyproject.toml').read_bytes())
    return h.hexdigest()

def _process(pairs:list):
    "Worker process (`build_docs.py --process SRC DEST ...`): nbdev's doc processors on each notebook SRC, written to DEST"
    os.chdir(ROOT)   # nbdev finds its configuration from the working folder
    os.environ.setdefault('COURSE_TL_MODE', 'quick'); os.environ.setdefault('MPLBACKEND', 'Agg'); os.environ['IN_TEST'] = '1'
    from fastcore.nbio import read_nb, write_nb
    import ast, nbdev.processors as P
    class exec_show_docs(P.exec_show_docs):
        """nbdev's processor, but a cell that mixes imports with other code runs only its imports (nbdev runs all of it,
        which fails when that code needs a variable made by a cell nbdev does not run); exported cells and show_doc
        cells run as nbdev runs them, and their errors stop the build"""
        def __call__(self, cell):
            if not self.nb.has_docs_ or not hasattr(self, 'k') or not P._do_eval(cell): return
            d, trees = cell.directives_, cell.parsed_()
            if d.keys() & {'export', 'exports', 'exporti', 'exec_doc'} or P._show_docs(trees): return super().__call__(cell)
            imports = [t for t in trees if isinstance(t, (ast.Import, ast.ImportFrom))]
            if imports: self.k.run_cell(ast.unparse(ast.Module(body=imports, type_ignores=[])))
    class Filters(P.FilterDefaults):
        def base_procs(self): return [exec_show_docs if p is P.exec_show_docs else p for p in super().base_procs()]
    import warnings; warnings.filterwarnings('ignore', message='Found cells containing imports')
    for src, dest in zip(pairs[::2], pairs[1::2]):
        t, dest = time.time(), Path(dest)
        nb = read_nb(src)
        Filters()(nb)
        tmp = dest.with_suffix('.tmp')
        write_nb(nb, tmp); tmp.replace(dest)
        print(f'  nbdev processors: {Path(src).name} {time.time() - t:.1f} s', flush=True)

def nbdev_process(snaps:list[Path], cache:Path, workers:int=2) -> dict:
    "`{snapshot: processed notebook}`, running nbdev's processors only on notebooks not in `cache` yet"
    cache.mkdir(parents=True, exist_ok=True)
    lib, out, todo = _lib_key(), {}, []
    for s in snaps:
        key = hashlib.sha256(lib.encode() + s.read_bytes()).hexdigest()[:20]
        out[s] = dest = cache/f'{s.stem}.{key}.ipynb'
        if not dest.exists(): todo.append((str(s), str(dest)))
    if todo:
        # `workers` processes, each given every n-th notebook (a process of its own: IPython's shell, which the
        # processors execute show_doc in, takes over the process's __main__)
        todo.sort(key=lambda a: (kind(Path(a[0])) != 'library', a[0]))
        n = max(1, min(workers, len(todo)))
        procs = [subprocess.Popen([sys.executable, __file__, '--process', *[x for pair in todo[i::n] for x in pair]], cwd=ROOT)
                 for i in range(n)]
        if any(p.wait() for p in procs): raise RuntimeError("nbdev's processors failed on a notebook (see above)")
    live = {p.name for p in out.values()}
    for p in cache.glob('*.ipynb'):
        if p.name not in live and p.stat().st_mtime < time.time() - 7*86400: p.unlink()
    return out

# ---------------------------------------------------------------- step 3: a processed notebook becomes a page

_badge = re.compile(r'\[!\[[^\]]*\]\((?:https?:)?//[^)\s]+\)\]\((https://colab\.research\.google\.com/[^)\s]+)\)')
_remote_img = re.compile(r'\[!\[([^\]]*)\]\((?:https?:)?//[^)\s]+\)\]\(([^)\s]+)\)')
_md_link = re.compile(r'(\]\()(<[^>]*>|[^)\s]+)((?:\s+"[^"]*")?\))')
_html_link = re.compile(r'''((?:href|src)=)(["'])([^"']*)\2''')

def fix_url(url:str, base:str='nbs') -> str:
    "A link as the site needs it: notebooks and the hosted docs -> pages of the site; other repository files -> GitHub"
    if url.startswith('<') and url.endswith('>'): url = url[1:-1]
    if DOC_URL != '/' and url.startswith(DOC_URL):
        rest = url[len(DOC_URL):]
        return rest if rest and not rest.startswith('#') else 'index.html' + rest
    m = re.fullmatch(r'(?:\./)?(?:nbs/)?([\w.-]+)\.ipynb(#.*)?', url)
    if m and (NBS/f'{m.group(1)}.ipynb').exists(): return page_name(Path(m.group(1) + '.ipynb')) + '.html' + (m.group(2) or '')
    if re.match(r'^[a-zA-Z][\w+.-]*:', url) or url.startswith(('#', '//')) or not url: return url
    path = (NBS if base == 'nbs' else ROOT)/unquote(urlsplit(url).path)
    try: rel = path.resolve().relative_to(ROOT)
    except ValueError: return url
    return f'{REPO_URL}/blob/{BRANCH}/{rel.as_posix()}' + (f'#{urlsplit(url).fragment}' if urlsplit(url).fragment else '')

def fix_links(md:str, base:str='nbs') -> str:
    "`md` with each link made a site link (`fix_url`), and images from the web (the Colab badge) made plain links"
    md = _remote_img.sub(lambda m: f'[{m.group(1) or "link"}]({m.group(2)})', md)
    md = re.sub(r'!\[([^\]]*)\]\(((?:https?:)?//[^)\s]+)\)', r'[\1](\2)', md)
    md = _md_link.sub(lambda m: m.group(1) + fix_url(m.group(2), base) + m.group(3), md)
    return _html_link.sub(lambda m: m.group(1) + m.group(2) + fix_url(m.group(3), base) + m.group(2), md)

def _heading_id(text:str) -> str:
    from docutils.nodes import make_id
    return make_id(text)

def showdoc_markdown(md:str) -> str:
    "A `show_doc` output as page markdown: its heading keeps nbdev's anchor (`#shrink_image`, what `_modidx` links to), its source link sits below it"
    md = re.sub(r'(\]\([^)]*\))\{[^}]*\}', r'\1', md)                           # Quarto's {target=...} on links
    md = re.sub(r'^\s*---\s*\n', '', md)                                         # Quarto's rule before each helper
    src = re.search(r'^\[source\]\(([^)\s]+)\)\s*$', md, re.M)
    if src: md = md[:src.start()] + md[src.end():]
    h = re.search(r'^(#{1,6}) (.+)$', md, re.M)
    if not h: return md.strip()
    name = re.sub(r'[`*\\]', '', h.group(2)).strip()
    anchor = name.lower()
    extra = f'<span id="{anchor}"></span>\n\n' if anchor != _heading_id(name) else ''
    link = f'\n\n<p class="sd-source"><a href="{src.group(1)}">source</a></p>' if src else ''
    return (md[:h.start()] + extra + h.group(0) + link + md[h.end():]).strip()

def _md_cell(src:str) -> dict: return {'cell_type': 'markdown', 'metadata': {}, 'source': src}

_BUTTONS = '<!-- course-links -->'

def lesson_links(nb:Path, first:str) -> tuple[str, str]:
    "The title cell of a lesson with its Colab badge replaced by a placeholder, and the HTML of the two buttons to put there: Open in Colab, Slides"
    m = _badge.search(first)
    colab = m.group(1) if m else f"https://colab.research.google.com/github/{REPO_URL.split('github.com/', 1)[-1]}/blob/{BRANCH}/nbs/{nb.name}"
    html = (f'<p class="course-links"><a class="course-button course-colab" href="{colab}">Open in Colab</a> '
            f'<a class="course-button course-slides" href="slides/{nb.stem}.slides.html">Slides</a></p>')
    return ((first[:m.start()] + _BUTTONS + first[m.end():]) if m else (first.rstrip() + '\n\n' + _BUTTONS)), html

def site_page(snap:Path, processed:Path) -> dict:
    "The notebook Sphinx renders for `snap`: nbdev-processed cells, directives applied, links fixed, show_doc as markdown"
    src, nb = json.loads(snap.read_text()), json.loads(processed.read_text())
    k, base = kind(snap), ('root' if kind(snap) == 'home' else 'nbs')
    first = _src(src['cells'][0]) if src['cells'] else ''
    cells = []
    title = first if first.lstrip().startswith('# ') else f'# {page_name(snap)}'
    if k == 'lesson':
        title, buttons = lesson_links(snap, title)
        cells.append(_md_cell(fix_links(title, base).replace(_BUTTONS, buttons)))
    else: cells.append(_md_cell(fix_links(title, base)))
    for c in nb['cells']:
        s = _src(c)
        if c['cell_type'] == 'raw': continue                                     # nbdev's front matter (the title cell)
        if c['cell_type'] == 'markdown':
            if s.strip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
            cells.append(_md_cell(fix_links(s, base))); continue
        if 'colab-install' in c.get('metadata', {}).get('tags', []): continue
        d, code = directives(s), strip_directives(s).strip('\n')
        if 'hide' in d or d.get('include') == 'false': continue
        outs = c.get('outputs', [])
        if code.startswith('show_doc('):
            md = ''.join(''.join(o.get('data', {}).get('text/markdown', '')) for o in outs)
            if md.strip(): cells.append(_md_cell(fix_links(showdoc_markdown(md), base)))
            continue
        for o in outs:
            md = o.get('data', {}).get('text/markdown')
            if md is not None: o['data']['text/markdown'] = fix_links(''.join(md), base)
            html = o.get('data', {}).get('text/html')
            if html is not None: o['data']['text/html'] = fix_links(''.join(html), base)
        tags = [t for t in c.get('metadata', {}).get('tags', []) if t != 'notes']
        if d.get('echo') == 'false': tags.append('remove-input')
        if d.get('output') == 'false': tags.append('remove-output')
        if not code.strip() and not outs: continue
        cells.append({'cell_type': 'code', 'metadata': {'tags': tags} if tags else {}, 'source': code,
                      'outputs': [] if d.get('output') == 'false' else outs, 'execution_count': c.get('execution_count')})
    meta = {k2: v for k2, v in nb.get('metadata', {}).items() if k2 in ('kernelspec', 'language_info')}
    meta.setdefault('kernelspec', {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'})
    return {'cells': cells, 'metadata': meta, 'nbformat': 4, 'nbformat_minor': 5}

_code_link = re.compile(r'\[(`[^`\]]+`)\]\(([\w-]+)\.html#([^)\s]+)\)')

def unlink_missing(page:dict, anchors:dict) -> dict:
    "`page` without the links nbdev made to a helper that has no reference on its page (a private `_helper`): the name stays, as code"
    def fix(m):
        page_, frag = m.group(2), m.group(3)
        return m.group(0) if page_ not in anchors or frag in anchors[page_] else m.group(1)
    for c in page['cells']:
        if c['cell_type'] == 'markdown': c['source'] = _code_link.sub(fix, _src(c))
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md is not None: o['data']['text/markdown'] = _code_link.sub(fix, ''.join(md))
    return page

def page_anchors(page:dict) -> set:
    "The anchors `page` will have for nbdev's links: each heading's own text, lower-cased (`#shrink_image`, `#memorytiles`)"
    return {re.sub(r'[`*\\]', '', h).strip().lower() for c in page['cells'] if c['cell_type'] == 'markdown'
            for h in re.findall(r'^#{1,6} (.+)$', _src(c), re.M)}

def home_page(page:dict, pages:list[tuple[Path, str]]) -> dict:
    "The home page with the site's navigation: Lessons, then Library, in file order"
    groups = {'Lessons': [n for p, n in pages if kind(p) == 'lesson'], 'Library': [n for p, n in pages if kind(p) == 'library']}
    toc = '\n\n'.join(f"```{{toctree}}\n:hidden:\n:caption: {cap}\n\n" + '\n'.join(names) + '\n```' for cap, names in groups.items() if names)
    page['cells'].append(_md_cell(toc))
    return page

def markdown_twin(page:dict) -> str:
    "A page as Markdown (`railway_compare.html.md`): what the modules' `Docs:` links point at, as Quarto's nbdev sites have"
    parts = []
    for c in page['cells']:
        s = _src(c)
        if c['cell_type'] == 'markdown':
            if not s.startswith('```{toctree}'): parts.append(re.sub(r'<span id="[^"]*"></span>\n\n', '', s))
            continue
        if 'remove-input' not in c['metadata'].get('tags', []): parts.append(f'```python\n{s}\n```')
        for o in c.get('outputs', []):
            txt = o.get('text') or o.get('data', {}).get('text/plain')
            if txt and not _img(o): parts.append('```\n' + ''.join(txt).rstrip() + '\n```')
    return '\n\n'.join(parts) + '\n'

# ---------------------------------------------------------------- step 5: every internal link leads somewhere

class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True); self.ids, self.refs = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ('id', 'name'):
            if a.get(k) and (k == 'id' or tag == 'a'): self.ids.add(a[k])
        for k in ('href', 'src'):
            if a.get(k) is not None and not (tag == 'link' and a.get('rel') in ('preconnect', 'dns-prefetch')): self.refs.append((tag, a[k]))

_data_uri = re.compile(r'''(["'])data:[^"']*\1''')

def _parse(f:Path) -> _Links:
    # inline data: URIs (a deck's images) are long and lead nowhere to check: drop them before parsing
    p = _Links(); p.feed(_data_uri.sub('""', f.read_text(encoding='utf-8', errors='replace'))); p.close(); return p

def check_links(site:Path) -> list[str]:
    "Every broken internal link of the site's pages and decks (`page.html: href -> why`); anchors are checked too"
    site, parsed, bad = Path(site), {}, []
    pages = sorted(site.glob('*.html')) + sorted((site/'slides').glob('*.html'))
    def get(f):
        if f not in parsed: parsed[f] = _parse(f)
        return parsed[f]
    for f in pages:
        for tag, ref in get(f).refs:
            ref = ref.strip()
            if not ref or re.match(r'^[a-zA-Z][\w+.-]*:', ref) or ref.startswith('//'): continue   # http:, mailto:, data:, javascript:
            u = urlsplit(ref)
            target = f if not u.path else (f.parent/unquote(u.path)).resolve()
            if target.is_dir(): target = target/'index.html'
            if not target.exists(): bad.append(f'{f.relative_to(site)}: {ref} -> no such file'); continue
            frag = unquote(u.fragment)
            if frag and not frag.startswith('/') and target.suffix == '.html' and frag not in get(target).ids:
                bad.append(f'{f.relative_to(site)}: {ref} -> no #{frag} there')
    return bad

# ---------------------------------------------------------------- the build

def _decks(lessons:list[Path], out:Path, site:Path):
    "A deck per lesson in `out`; links a deck can't follow (to library notebooks, to the hosted docs) go to the site's pages"
    from course_tl.slides import notebook_to_deck
    for nb in lessons:
        deck = notebook_to_deck(nb, out)
        html = deck.read_text(encoding='utf-8')
        def fix(m):
            url = m.group(3)
            if url.startswith(DOC_URL): url = '../' + (url[len(DOC_URL):] or 'index.html')
            else:
                d = re.fullmatch(r'([\w.-]+)\.slides\.html(#.*)?', url)
                if d and not (out/f'{d.group(1)}.slides.html').exists() and not (NBS/f'{d.group(1)}.ipynb').exists(): return m.group(0)
                if d and (NBS/f'{d.group(1)}.ipynb').exists() and kind(NBS/f'{d.group(1)}.ipynb') != 'lesson':
                    url = '../' + page_name(Path(d.group(1))) + '.html' + (d.group(2) or '')
            return m.group(1) + m.group(2) + url + m.group(2)
        deck.write_text(_html_link.sub(fix, html), encoding='utf-8')

def build(out:Path=ROOT/'_docs', work:Path=ROOT/'_proc'/'docs', cache:Path=ROOT/'_proc'/'docs_cache', workers:int=2,
          nbs:Path=NBS, quiet:bool=True) -> dict:
    "Build the site into `out`; returns what it built: `{'pages': {page: (kind, snapshot)}, 'seconds': ..., 'broken': [...]}`"
    t0 = time.time()
    out, work = Path(out).resolve(), Path(work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    snaps_dir, src_dir, static = work/'nbs', work/'src', work/'static'
    for d in (snaps_dir, src_dir, static): d.mkdir(parents=True)
    snaps = []
    for nb in site_notebooks(nbs):
        shutil.copy2(nb, snaps_dir/nb.name); snaps.append(snaps_dir/nb.name)
    processed = nbdev_process(snaps, Path(cache), workers)
    t1 = time.time()
    pages, built = [], {}
    for s in snaps:
        name = page_name(s)
        pages.append((s, name)); built[name] = (kind(s), s)
    twins, site = {}, {name: site_page(s, processed[s]) for s, name in pages}
    anchors = {name: page_anchors(page) for name, page in site.items()}
    for s, name in pages:
        page = unlink_missing(site[name], anchors)
        if kind(s) == 'home': page = home_page(page, pages)
        (src_dir/f'{name}.ipynb').write_text(json.dumps(page, indent=1), encoding='utf-8')
        twins[name] = markdown_twin(page)
    try:
        from course_tl.slides import mathjax_file
        mj = mathjax_file()
    except Exception: mj = None
    if mj: (static/'mathjax').mkdir(); shutil.copy2(mj, static/'mathjax'/'tex-svg.js')
    else: print('  note: MathJax not found (course_tl.slides.mathjax_file): math is shown as TeX source', flush=True)
    tmp = work/'html'   # Sphinx's output (MyST-NB writes jupyter_execute/ beside it), moved to `out` when complete
    env = {**os.environ, 'COURSE_TL_DOCS_STATIC': str(static), 'COURSE_TL_DOCS_REPO': REPO_URL}
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-c', str(CONF), '-d', str(work/'doctrees'), '-j', str(max(1, workers)),
           *(['-q'] if quiet else []), str(src_dir), str(tmp)]
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f'sphinx-build failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}')
    warnings = [l for l in r.stderr.splitlines() if 'WARNING' in l or 'ERROR' in l]
    t2 = time.time()
    for name, md in twins.items(): (tmp/f'{name}.html.md').write_text(md, encoding='utf-8')
    _decks([s for s in snaps if kind(s) == 'lesson'], tmp/'slides', tmp)
    shutil.rmtree(out, ignore_errors=True); out.parent.mkdir(parents=True, exist_ok=True); shutil.move(tmp, out)
    broken = check_links(out)
    t3 = time.time()
    return {'pages': built, 'warnings': warnings, 'broken': broken, 'work': work,
            'seconds': {'nbdev processors': t1 - t0, 'sphinx': t2 - t1, 'decks + links': t3 - t2, 'total': t3 - t0}}

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ['--process']: return _process(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default=str(ROOT/'_docs'), help='folder for the site (replaced)')
    ap.add_argument('--workers', type=int, default=2, help='processes for nbdev processors and Sphinx')
    ap.add_argument('--verbose', action='store_true', help="show Sphinx's own output")
    a = ap.parse_args(argv)
    res = build(Path(a.out), workers=a.workers, quiet=not a.verbose)
    for w in res['warnings']: print('  sphinx:', w)
    secs = ', '.join(f'{k} {v:.0f} s' for k, v in res['seconds'].items())
    kinds = [k for k, _ in res['pages'].values()]
    print(f"{a.out}: {kinds.count('lesson')} lessons, {kinds.count('library')} library pages and the home page ({secs})")
    if res['broken']:
        print(f"{len(res['broken'])} broken internal link(s):", *res['broken'][:50], sep='\n  ', file=sys.stderr)
        return 1
    print(f"links: every internal link and anchor leads somewhere. Open {Path(a.out)/'index.html'} in a browser.")
    return 0

if __name__ == '__main__': sys.exit(main())
