"""The course website (`make docs`, tools/build_docs.py): built once from a snapshot of nbs/ into a temporary folder,
then checked on disk (every notebook has its page, no broken internal link, the modules' `Docs:` links lead to pages,
nothing loads from the web) and in headless Chromium, driven as in test_slides.py (its `Chrome` helper): every page
loads, each lesson shows all its figures, search finds a helper's page from file://, and no code block scrolls sideways
or sticks out of the content column in a 1280-px window. The browser tests skip only where Chromium can't be found."""
import json, re, sys, time
from pathlib import Path
import pytest
from test_slides import Chrome, needs_browser, non_blank, screenshot
from course_tl.slides import remote_urls

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
import build_docs as bd

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site, built once: `(folder, build result)`; nbdev's processed notebooks are cached in _proc/docs_cache by content"
    pytest.importorskip('myst_nb', reason="the docs extra is not installed: pip install -e '.[docs]'")
    tmp = tmp_path_factory.mktemp('docs')
    res = bd.build(out=tmp/'site', work=tmp/'work')
    return tmp/'site', res

def pages(res, k=None): return {n: s for n, (kk, s) in res['pages'].items() if k is None or kk == k}

def test_every_notebook_has_a_page(site):
    out, res = site
    names = {bd.page_name(p) for p in bd.site_notebooks()}
    assert names <= set(res['pages']), 'a notebook added during the build?'
    lessons, library = pages(res, 'lesson'), pages(res, 'library')
    assert len(lessons) >= 5 and len(library) >= 10 and 'index' in res['pages']
    for n in res['pages']: assert (out/f'{n}.html').is_file() and (out/f'{n}.html.md').is_file(), n
    for n, s in lessons.items(): assert (out/'slides'/f'{s.stem}.slides.html').is_file(), f'no deck for {n}'
    # navigation: lessons in course order (file order), then the library
    nav = re.findall(r'<a class="reference internal" href="([\w-]+)\.html">', (out/'index.html').read_text().split('bd-docs-nav', 1)[1])
    order = [n for n in nav if n in lessons]
    assert order == [bd.page_name(s) for s in sorted(lessons.values())], order
    assert nav.index(order[-1]) < min(nav.index(n) for n in library), 'lessons come before the library'

def test_no_broken_internal_link(site):
    out, res = site
    assert res['broken'] == [], '\n'.join(res['broken'])
    assert bd.check_links(out) == []
    (out/'broken.html').write_text('<a href="nowhere.html">x</a><a href="index.html#no-such-anchor">y</a>')
    try: assert len(bd.check_links(out)) == 2, 'the checker finds a missing page and a missing anchor'
    finally: (out/'broken.html').unlink()

def test_docs_links_point_at_pages(site):
    "The `Docs:` line of each module (nbdev writes it from pyproject's Documentation URL) and _modidx's links name pages of this site"
    out, _ = site
    assert bd.DOC_URL.startswith('https://') and bd.DOC_URL.endswith('/')
    mods = sorted((ROOT/'course_tl').glob('[!_]*.py'))
    docs = {m.stem: re.search(r'^Docs: (\S+?)(?:""")?$', m.read_text(), re.M) for m in mods}
    missing = [m for m, d in docs.items() if d is None]
    assert not missing, f'no Docs: line in {missing}: run nbdev-export'
    for m, d in docs.items():
        url = d.group(1)
        assert url.startswith(bd.DOC_URL), url
        assert (out/url[len(bd.DOC_URL):]).is_file(), f'{m}: {url} is not a page of the site'
        assert (out/url[len(bd.DOC_URL):].removesuffix('.md')).is_file()
    from course_tl._modidx import d as modidx
    s = modidx['settings']
    assert s['doc_host'] + s['doc_baseurl'] + '/' == bd.DOC_URL
    for sym, (ref, _) in modidx['syms'].get('course_tl.railway_compare', {}).items():
        page, _, frag = ref.partition('#')
        assert (out/page).is_file(), ref
        if frag and sym.count('.') == 2 and not sym.split('.')[-1].startswith('_'): assert f'id="{frag}"' in (out/page).read_text(), ref

def test_pages_load_nothing_from_the_web(site):
    out, res = site
    for n in res['pages']: assert remote_urls((out/f'{n}.html').read_text()) == [], n

def test_lesson_page_has_colab_and_slides(site):
    out, res = site
    for n, s in pages(res, 'lesson').items():
        html = (out/f'{n}.html').read_text()
        assert re.search(r'class="course-button course-colab" href="https://colab\.research\.google\.com/github/[^"]+/nbs/' + re.escape(s.name), html), n
        assert f'href="slides/{s.stem}.slides.html"' in html, n
        assert 'Questionnaire' in html or 'questionnaire' in html, f'{n}: no questionnaire'

# ---------------------------------------------------------------- in the browser

_PAGE = """JSON.stringify((() => {
  const art = document.querySelector('article.bd-article'), col = art.getBoundingClientRect();
  const imgs = Array.from(art.querySelectorAll('div.cell_output img'));
  const wide = Array.from(art.querySelectorAll('pre')).filter(p => p.offsetParent !== null)
    .filter(p => p.scrollWidth > p.clientWidth + 1 || p.getBoundingClientRect().right > col.right + 1 || p.getBoundingClientRect().left < col.left - 1)
    .map(p => p.textContent.slice(0, 60));
  return {title: document.title, h1: (art.querySelector('h1') || {}).textContent || '', images: imgs.length,
          loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length, wide, scrollX: document.documentElement.scrollWidth > innerWidth + 1};
})())"""

@pytest.fixture(scope='module')
def browser(site, tmp_path_factory):
    "One headless Chromium for the module, in a 1280 x 900 window: `open(url) -> session`"
    c = Chrome(tmp_path_factory.mktemp('profile'))
    target = c.send('Target.createTarget', url='about:blank')['targetId']
    s = c.send('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
    c.send('Network.enable', s); c.send('Page.enable', s)
    c.send('Emulation.setDeviceMetricsOverride', s, width=1280, height=900, deviceScaleFactor=1, mobile=False)
    def open_(url):
        c.events.clear()
        c.send('Page.navigate', s, url=url)
        c.wait_event('Page.loadEventFired')
        c.eval(s, 'document.fonts.ready.then(() => true)')
        return s
    yield c, open_
    c.close()

def _requests(c, s):
    return [e['params']['request']['url'] for e in c.events if e.get('method') == 'Network.requestWillBeSent' and e.get('sessionId') == s]

@needs_browser
def test_every_page_in_the_browser(site, browser, tmp_path):
    out, res = site
    c, open_ = browser
    problems = []
    for n, (k, snap) in res['pages'].items():
        s = open_((out/f'{n}.html').as_uri())
        info = json.loads(c.eval(s, _PAGE))
        remote = [u for u in _requests(c, s) if not u.startswith(('file:', 'data:', 'blob:', 'about:'))]
        if not info['h1'].strip(): problems.append(f'{n}: no title shown')
        if remote: problems.append(f'{n}: asked the network for {remote}')
        if info['wide'] or info['scrollX']: problems.append(f"{n}: code wider than the content column: {info['wide'][:3]}, page scrolls sideways: {info['scrollX']}")
        if k == 'lesson':
            want = bd.shown_images(json.loads(snap.read_text()))
            if (info['images'], info['loaded']) != (want, want):
                problems.append(f"{n}: {info['loaded']} of {info['images']} figures shown, the notebook has {want}")
    assert not problems, '\n'.join(problems)

@needs_browser
@pytest.mark.parametrize('name,page', [('railway_path', 'data'), ('compare_pretrained_scratch', 'railway_compare')])
def test_search_finds_a_helper(site, browser, name, page, tmp_path):
    out, _ = site
    c, open_ = browser
    s = open_((out/'search.html').as_uri() + f'?q={name}')
    deadline, links = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        links = c.eval(s, "Array.from(document.querySelectorAll('#search-results li a')).map(a => a.getAttribute('href'))")
        if any(l.split('#')[0].split('?')[0] == f'{page}.html' for l in links): break
        time.sleep(0.2)
    (tmp_path/'search.png').write_bytes(screenshot(c, s))
    assert any(l.split('#')[0].split('?')[0] == f'{page}.html' for l in links), f'search for {name}: {links}, screenshot {tmp_path/"search.png"}'

@needs_browser
def test_home_and_lesson_screenshots(site, browser, tmp_path):
    out, res = site
    c, open_ = browser
    for n in ('index', next(iter(pages(res, 'lesson')))):
        s = open_((out/f'{n}.html').as_uri())
        png = screenshot(c, s)
        (tmp_path/f'{n}.png').write_bytes(png)
        assert non_blank(png), f'blank page: {tmp_path/(n + ".png")}'
