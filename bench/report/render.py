"""Turning page data into files: the jinja2 environment, safe script embedding, atomic writes.

Only the templates produce markup. Data that ends up inside a <script> element is JSON with
`<`, `>` and `&` escaped as \\u sequences, so no value can close the element or start a comment.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from bench.files import write_atomic

TEMPLATES = Path(__file__).parent / "templates"
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                   "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(value: Any) -> Markup:
    """JSON that is safe to place inside <script type="application/json">."""
    raw = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return Markup(re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_ESCAPES[m.group()], raw))


def _bundle_cache() -> Path:
    """Where the bundle is kept between runs, keyed by the vl-convert version that made it."""
    from importlib.metadata import version

    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rnnbench" / f"vega-bundle-{version('vl-convert-python')}.js"


@lru_cache(maxsize=1)
def vega_bundle() -> Markup:
    """Vega, Vega-Lite and vega-embed as one script, from vl-convert (no network).

    Building it takes seconds, so it is cached on disk; an unwritable cache only costs time.
    The bundle is trusted code, but it is still checked for a closing script tag so that it can
    never end its own element early.
    """
    cache = _bundle_cache()
    try:
        code = cache.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        code = ""
    if "window.vegaEmbed" not in code:  # missing, or not a bundle: build it again
        import vl_convert

        code = vl_convert.javascript_bundle()
        with contextlib.suppress(OSError):
            write_atomic(cache, code)
    code = re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE).replace("<!--", "<\\!--")
    return Markup(code)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["script_json"] = script_json
    return env


def render_page(template: str, context: dict[str, Any], uses_charts: bool) -> str:
    """Render one page; the chart libraries are included only on pages that draw charts."""
    bundle = vega_bundle() if uses_charts else Markup("")
    return environment().get_template(template).render(vega_bundle=bundle, **context)


def write_svg(spec: dict, path: Path) -> Path:
    """A static SVG of a chart, for slides and for readers without JavaScript."""
    import vl_convert

    return write_atomic(path, vl_convert.vegalite_to_svg(spec))
