"""`course-tl slides`: decks that render in a real browser with no network.

The browser tests drive headless Chromium over the DevTools protocol on a pipe (`--remote-debugging-pipe`, no extra
Python package), with every host name made unresolvable, and record every request the page makes. Each lesson's deck is
opened once, and toured: the title slide, every slide's height, and the first slide with a plot, each screenshot.
Install Chromium with `tools/install_browser.sh`; without it those tests skip."""
import base64, contextlib, hashlib, io, json, os, re, select, shutil, subprocess, sys, time
from pathlib import Path
import nbformat, pytest
from course_tl import slides
from course_tl.slides import notebook_to_deck, deck_remote_urls, reveal_dir, npm_fetch, REVEAL_VERSION
from course_tl.cli import main

ROOT = Path(__file__).resolve().parent.parent
INTRO = ROOT/'nbs'/'10_functions_learn_weights.ipynb'
LESSONS = sorted({INTRO, *(ROOT/'nbs').glob('1*_*.ipynb')})

def _browser():
    for b in ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'):
        if shutil.which(b): return shutil.which(b)

needs_browser = pytest.mark.skipif(_browser() is None, reason='no headless Chromium on PATH: run tools/install_browser.sh (CI does)')

def expected_slides(nb) -> int:
    "The lesson's `## ` headings (outside code fences and speaker notes), plus 1 for the title slide"
    n = 1
    for c in nb.cells:
        if c.cell_type != 'markdown' or 'notes' in c.get('metadata', {}).get('tags', []): continue
        fence = False
        for line in c.source.splitlines():
            if line.lstrip().startswith(('```', '~~~')): fence = not fence
            if not fence and line.startswith('## '): n += 1
    return n

def title(nb) -> str:
    "The lesson's title, from its first cell"
    return re.match(r'# (.+)', nb.cells[0].source).group(1).strip()

@pytest.fixture(scope='module')
def decks(tmp_path_factory):
    "A deck per lesson, built once from a snapshot (lessons may be edited meanwhile): notebook -> (deck, snapshot, bytes)"
    src, out, res = tmp_path_factory.mktemp('lessons'), tmp_path_factory.mktemp('decks'), {}
    for nb in LESSONS:
        if not nb.exists(): continue
        snap = src/nb.name
        shutil.copy2(nb, snap)
        res[nb] = (notebook_to_deck(snap, out), snap, snap.read_bytes())
    return res

@pytest.fixture(scope='module')
def toured(decks, tmp_path_factory):
    "`toured(nb)`: `open_deck(..., tour=True)` of the lesson's deck, once per lesson"
    seen = {}
    def tour(nb):
        if nb not in seen: seen[nb] = open_deck(_deck(decks, nb), tmp_path_factory.mktemp('profile'), tour=True)
        return seen[nb]
    return tour

def _deck(decks, nb):
    if nb not in decks: pytest.skip(f'{nb.name} does not exist')
    return decks[nb][0]

class Chrome:
    "A headless Chromium driven over the DevTools protocol: JSON messages ending in NUL on fds 3 (in) and 4 (out)"
    FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
             '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND', '--remote-debugging-pipe']
    def __init__(self, profile:Path):
        args = [_browser(), *self.FLAGS, f'--user-data-dir={profile}', 'about:blank']
        # the shell puts our stdin/stdout pipes on fds 3 and 4, where --remote-debugging-pipe expects them
        self.p = subprocess.Popen(['sh', '-c', 'exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null', *args],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.n, self.buf, self.events = 0, b'', []

    def _read(self, deadline):
        while b'\0' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]: raise TimeoutError('Chromium did not answer')
            chunk = os.read(self.p.stdout.fileno(), 1 << 20)
            if not chunk: raise RuntimeError('Chromium closed the pipe')
            self.buf += chunk
        msg, self.buf = self.buf.split(b'\0', 1)
        return json.loads(msg)

    def send(self, method, session=None, timeout=30, **params):
        self.n += 1
        msg = {'id': self.n, 'method': method, 'params': params, **({'sessionId': session} if session else {})}
        self.p.stdin.write(json.dumps(msg).encode() + b'\0'); self.p.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get('id') == self.n:
                if 'error' in m: raise RuntimeError(f"{method}: {m['error']}")
                return m.get('result', {})
            self.events.append(m)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        while not any(e.get('method') == method for e in self.events): self.events.append(self._read(deadline))

    def eval(self, session, js, timeout=30):
        r = self.send('Runtime.evaluate', session, timeout=timeout, expression=js, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in r: raise RuntimeError(f"{js}: {r['exceptionDetails']}")
        return r['result'].get('value')

    def close(self):
        try: self.send('Browser.close', timeout=10)
        except Exception: pass
        try: self.p.wait(timeout=10)
        except subprocess.TimeoutExpired: self.p.kill(); self.p.wait()

@contextlib.contextmanager
def deck_page(deck:Path, profile:Path, width=1280, height=720):
    "Headless Chromium showing `deck` in a `width` x `height` window, once reveal.js, MathJax and the fonts are ready: `(chrome, session)`"
    c = Chrome(profile)
    try:
        target = c.send('Target.createTarget', url='about:blank')['targetId']
        s = c.send('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
        c.send('Network.enable', s); c.send('Page.enable', s)
        c.send('Emulation.setDeviceMetricsOverride', s, width=width, height=height, deviceScaleFactor=1, mobile=False)
        c.send('Page.navigate', s, url=deck.resolve().as_uri())
        c.wait_event('Page.loadEventFired')
        deadline = time.monotonic() + 30
        while not c.eval(s, "typeof Reveal !== 'undefined' && Reveal.isReady()"):
            if time.monotonic() > deadline: raise TimeoutError('reveal.js did not start')
            time.sleep(0.2)
        c.eval(s, "Promise.all([document.fonts.ready, window.MathJax && MathJax.startup ? MathJax.startup.promise : null]).then(() => true)")
        yield c, s
    finally: c.close()

def screenshot(c:Chrome, s:str) -> bytes:
    return base64.b64decode(c.send('Page.captureScreenshot', s, format='png')['data'])

# Reveal.js lays every slide out at the deck's own size (Reveal.getConfig().width x height) and then scales the whole deck
# to the window (a CSS transform on .slides), so a slide's scrollHeight is in the deck's pixels whatever the window:
# content is too tall when it is more than the configured height. The deck's script may have zoomed a slide's cells down
# to fit (data-fit); a slide it could not fit that way scrolls, and its scrollHeight stays over the height.
_TOUR = """(async () => {
  const frames = () => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)));
  const text = e => e ? e.textContent.replace('\u00b6', '').trim().slice(0, 80) : '';
  const out = [], hs = Reveal.getHorizontalSlides();
  for (let h = 0; h < hs.length; h++) {
    const vs = hs[h].classList.contains('stack') ? Array.from(hs[h].querySelectorAll(':scope > section')) : [hs[h]];
    for (let v = 0; v < vs.length; v++) {
      Reveal.slide(h, v); await frames();
      const s = Reveal.getCurrentSlide(), own = s.querySelector('h1, h2, h3, h4');
      out.push({h, v, height: s.scrollHeight, fit: s.getAttribute('data-fit'), heading: own ? text(own) : '',
                section: text(hs[h].querySelector('h1, h2')), plots: s.querySelectorAll('.jp-OutputArea-output img').length});
    }
  }
  Reveal.slide(0, 0); await frames();
  return JSON.stringify({height: Reveal.getConfig().height, slides: out});
})()"""

_SHOW_PLOT = """(async (h, v) => {
  Reveal.slide(h, v, 1000);    // with all its fragments shown
  await new Promise(ok => setTimeout(ok, 600));
  const img = Reveal.getCurrentSlide().querySelector('.jp-OutputArea-output img'), r = img.getBoundingClientRect();
  return JSON.stringify({loaded: img.complete && img.naturalWidth > 0, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                         opacity: getComputedStyle(img.closest('.fragment') || img).opacity});
})"""

def open_deck(deck:Path, profile:Path, width=1280, height=720, tour=False) -> dict:
    "Open `deck` in headless Chromium: what the page shows, a screenshot and every URL it requested; with `tour`, every slide's height and the first plot"
    with deck_page(deck, profile, width, height) as (c, s):
        info = json.loads(c.eval(s, """JSON.stringify({
            horizontal: Reveal.getHorizontalSlides().length, total: Reveal.getTotalSlides(), indices: Reveal.getIndices(),
            title: (document.querySelector('.slides > section.present h1') || {}).textContent || '',
            notes: document.querySelectorAll('aside.notes').length, math: document.querySelectorAll('mjx-container').length})"""))
        time.sleep(0.5)  # let the slide transition settle before the screenshot
        info['png'] = screenshot(c, s)
        if tour:
            c.eval(s, "Reveal.configure({transition: 'none', backgroundTransition: 'none'}); true")
            info.update(json.loads(c.eval(s, _TOUR, timeout=120)))
            first = next((x for x in info['slides'] if x['plots']), None)
            info['plot'] = first and {**first, **json.loads(c.eval(s, f"{_SHOW_PLOT}({first['h']}, {first['v']})")), 'png': screenshot(c, s)}
        info['requests'] = [e['params']['request']['url'] for e in c.events
                            if e.get('method') == 'Network.requestWillBeSent' and e.get('sessionId') == s]
        return info

def non_blank(png:bytes) -> bool:
    "Does the image have more than one colour, with the commonest one under 99% of the pixels?"
    from PIL import Image
    im = Image.open(io.BytesIO(png)).convert('RGB')
    colours = im.getcolors(maxcolors=im.width * im.height)
    return len(colours) > 1 and max(n for n, _ in colours) < 0.99 * im.width * im.height

# ---------------------------------------------------------------- the decks themselves

def test_intro_lesson_is_found():
    assert INTRO.exists() and INTRO in LESSONS

@pytest.mark.parametrize('nb', LESSONS, ids=lambda p: p.stem)
def test_deck_is_offline_and_notebook_untouched(decks, nb):
    deck = _deck(decks, nb)
    assert deck.name == f'{nb.stem}.slides.html'
    assert deck_remote_urls(deck) == []
    assert (deck.parent/'reveal.js'/'dist'/'reveal.js').is_file()
    html = deck.read_text()
    assert 'colab-badge.svg' not in html and 'unpkg.com' not in html and 'cdnjs' not in html
    assert not re.search(r'^\s*#\s*\|', html, re.M), 'nbdev directive lines must not reach the slides'
    assert decks[nb][1].read_bytes() == decks[nb][2], 'the notebook file must not change'

@needs_browser
@pytest.mark.parametrize('nb', LESSONS, ids=lambda p: p.stem)
def test_deck_renders_in_browser(decks, toured, nb, tmp_path):
    lesson = nbformat.read(decks[nb][1], as_version=4)
    info = toured(nb)
    (tmp_path/'first_slide.png').write_bytes(info['png'])
    assert info['indices']['h'] == 0 and info['indices']['v'] == 0
    assert info['title'].replace('¶', '').strip() == title(lesson), 'the first slide shows the lesson title'
    assert info['horizontal'] == expected_slides(lesson), "one slide per '## ' heading, plus the title"
    assert non_blank(info['png']), f'blank screenshot: {tmp_path/"first_slide.png"}'
    remote = [u for u in info['requests'] if not u.startswith(('file:', 'data:', 'blob:', 'about:'))]
    assert remote == [], f'the deck asked the network for {remote}'

def _where(x) -> str:
    "A slide as reveal.js numbers it (horizontal.vertical), with its heading, or its section's"
    return f"{x['h']}.{x['v']} {x['heading']!r}" if x['heading'] else f"{x['h']}.{x['v']} (below {x['section']!r})"

@needs_browser
@pytest.mark.parametrize('nb', LESSONS, ids=lambda p: p.stem)
def test_no_slide_overflows(toured, nb):
    info = toured(nb)
    assert len(info['slides']) == info['total'], 'the tour saw every slide'
    over = [f"{_where(x)}: {x['height']} px" for x in info['slides'] if x['height'] > info['height']]
    assert not over, f"{len(over)} slide(s) taller than the deck's {info['height']} px, even zoomed down: " + '; '.join(over)

@needs_browser
@pytest.mark.parametrize('nb', LESSONS, ids=lambda p: p.stem)
def test_plot_slide_renders(toured, nb, tmp_path):
    info = toured(nb)
    if info['plot'] is None:
        pytest.skip(f"{nb.name}: no slide with a plot: the notebook has no image among its stored outputs (run the lesson to store them)")
    p = info['plot']
    (tmp_path/'plot_slide.png').write_bytes(p['png'])
    where = f"{_where(p)}, screenshot {tmp_path/'plot_slide.png'}"
    assert p['loaded'] and float(p['opacity']) == 1, f'the plot is not shown: {where}'
    from PIL import Image
    shot = Image.open(io.BytesIO(p['png']))
    assert 0 <= p['left'] and 0 <= p['top'] and p['right'] <= shot.width and p['bottom'] <= shot.height, f'the plot is cut off: {where}'
    assert p['bottom'] - p['top'] >= 100, f"the plot is only {p['bottom'] - p['top']:.0f} px high: {where}"
    crop = io.BytesIO(); shot.crop(tuple(round(p[k]) for k in ('left', 'top', 'right', 'bottom'))).save(crop, 'png')
    assert non_blank(p['png']) and non_blank(crop.getvalue()), f'blank plot: {where}'

@needs_browser
def test_intro_deck_has_notes_math_and_subslides(decks, toured):
    info = toured(INTRO)
    assert info['notes'] >= 1                        # the cell tagged `notes`
    assert info['total'] > info['horizontal']        # `### ` sub-slides
    if (_deck(decks, INTRO).parent/'mathjax'/'tex-svg.js').is_file(): assert info['math'] > 0   # MathJax typeset, offline

# ---------------------------------------------------------------- the command and bad input

def test_cli_writes_decks(tmp_path, capsys):
    "`course-tl slides` on a real lesson (in process: the console script's own smoke test is test_viz's)"
    assert main(['slides', INTRO, '--out', tmp_path/'out']) == 0, capsys.readouterr().err
    n = expected_slides(nbformat.read(INTRO, as_version=4))
    assert f'{INTRO.stem}.slides.html: {n} slides' in capsys.readouterr().out
    assert (tmp_path/'out'/f'{INTRO.stem}.slides.html').is_file() and (tmp_path/'out'/'reveal.js').is_dir()

def test_cli_bad_input(tmp_path, capsys):
    "Each bad notebook gets its line, the others are still tried, exit code 1, no traceback, nothing of the user's rewritten"
    (tmp_path/'notes.txt').write_text('hello')
    (tmp_path/'broken.ipynb').write_text('{not json')
    assert main(['slides', tmp_path/'missing.ipynb', tmp_path/'notes.txt', tmp_path/'broken.ipynb', '--out', tmp_path/'out']) == 1
    err = capsys.readouterr().err
    assert 'Traceback' not in err, err
    for msg in ('No notebook at', 'is not a notebook', "Can't read"): assert msg in err, err
    assert (tmp_path/'notes.txt').read_text() == 'hello'

def test_bad_arguments(tmp_path, capsys, refused):
    assert main(['slides', INTRO, '--theme', 'nope', '--out', tmp_path]) == 1
    assert 'No reveal.js theme' in capsys.readouterr().err
    refused('slides', contains='at least one notebook')

def test_help_comes_from_the_docments(help_text):
    out = help_text('slides')
    assert 'folder for the decks, with reveal.js copied beside them' in out and '--theme' in out

def test_no_reveal_anywhere_offline_fails_fast_and_clearly(monkeypatch, tmp_path, capsys, offline):
    monkeypatch.setenv('COURSE_TL_CACHE', str(tmp_path/'cache'))
    monkeypatch.setattr(slides, '_pip_static', lambda pkg, sub: None)   # as if sphinx-revealjs were not installed
    assert main(['slides', INTRO, '--out', tmp_path/'out']) == 1
    err = capsys.readouterr().err
    assert 'pip install sphinx-revealjs' in err and 'npm' in err
    with pytest.raises(FileNotFoundError): reveal_dir()

def test_reveal_from_cache_first(monkeypatch, tmp_path):
    monkeypatch.setenv('COURSE_TL_CACHE', str(tmp_path/'cache'))
    mine = tmp_path/'cache'/'downloads'/'reveal.js'
    for f in ('dist/reveal.js', 'dist/reveal.css', 'plugin/notes/notes.js'):
        (mine/f).parent.mkdir(parents=True, exist_ok=True); (mine/f).write_text('// mine')
    assert reveal_dir() == mine

def _npm_registry_up() -> bool:
    from urllib.parse import urlparse
    from course_tl.core import is_online
    if not shutil.which('npm'): return False
    reg = subprocess.run(['npm', 'config', 'get', 'registry'], capture_output=True, text=True, timeout=30).stdout.strip()
    return is_online(urlparse(reg).hostname or 'registry.npmjs.org')

def test_reveal_from_npm(monkeypatch, tmp_path):
    if not _npm_registry_up(): pytest.skip('npm or its registry is not available')
    monkeypatch.setenv('COURSE_TL_CACHE', str(tmp_path/'cache'))
    p = reveal_dir(sources=('npm',))
    assert p == tmp_path/'cache'/'downloads'/'reveal.js'
    assert json.loads((p/'package.json').read_text())['version'] == REVEAL_VERSION
    assert (p/'plugin'/'notes'/'notes.js').is_file() and (p/'dist'/'theme'/'white.css').is_file()
    assert not (p/'demo.html').exists() and not list(p.parent.glob('.reveal.js-*')), 'only what decks need, no leftovers'
    assert reveal_dir(sources=('cache',)) == p
