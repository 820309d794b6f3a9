"""Sphinx configuration of the course website; `make docs` (tools/build_docs.py) runs Sphinx with it.

The sources are not here: tools/build_docs.py writes them (one notebook per page, made from nbs/) into a work folder and
points Sphinx at this folder for its configuration (`sphinx-build -c docs`). Why Sphinx + MyST-NB + sphinx-book-theme:
they install with pip and build with no network; the notebooks' committed outputs are rendered as they are
(nothing is executed here); and Sphinx's search reads `searchindex.js` through a `<script>` tag, so it works from
files on disk (file://), where MkDocs' search (fetch + web worker) does not."""
import os
from pathlib import Path

project = 'course_tl'
author = 'course_tl developers'
copyright = 'course_tl developers, Apache-2.0'
html_title = 'course_tl: a fastai course on transfer learning'

extensions = ['myst_nb', 'sphinx.ext.githubpages']   # githubpages: writes .nojekyll, so GitHub Pages serves _static/
root_doc = 'index'
exclude_patterns = ['_build', '**.ipynb_checkpoints']

# the notebooks carry their outputs: render them, never execute
nb_execution_mode = 'off'
nb_render_markdown_format = 'myst'
nb_merge_streams = True
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence']
myst_all_links_external = True   # build_docs.py has already made every link point at its page; take them as they are
myst_heading_anchors = 0
suppress_warnings = ['myst.header', 'mystnb.unknown_mime_type', 'misc.highlighting_failure', 'myst.xref_missing']

html_theme = 'sphinx_book_theme'
html_theme_options = {
    'repository_url': os.environ.get('COURSE_TL_DOCS_REPO', 'https://github.com/course-tl/course_tl'),
    'repository_branch': 'main',
    'path_to_docs': 'nbs',
    'use_repository_button': True,
    'use_download_button': False,     # would point at _sources/, which we don't copy
    'use_fullscreen_button': False,
    'show_toc_level': 2,
    'home_page_in_toc': True,
    'navigation_with_keys': False,
}
html_static_path = ['_static']
extra = os.environ.get('COURSE_TL_DOCS_STATIC')   # build_docs.py's folder with MathJax, when it found one
if extra and Path(extra).is_dir(): html_static_path.append(extra)
html_css_files = ['course_tl.css']
html_copy_source = False
html_show_sourcelink = False
html_show_search_summary = False   # the summaries are fetched with XHR, which a browser refuses from file://
html_last_updated_fmt = None

# math: MathJax from the site itself (course_tl.slides.mathjax_file), never from a CDN
mathjax_path = 'mathjax/tex-svg.js'
mathjax3_config = {'tex': {'inlineMath': [['\\(', '\\)']], 'displayMath': [['\\[', '\\]']]}}
