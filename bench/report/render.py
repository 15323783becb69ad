"""Turning page data into files: the jinja2 environment, safe script embedding, atomic writes.

Only the templates produce markup. Data that ends up inside a <script> element is JSON with
`<`, `>` and `&` escaped as \\u sequences, so no value can close the element or start a comment.

Every page carries a Content-Security-Policy that lets only its own inline scripts run, each
named by the SHA-256 of its body, and fetches nothing: should an escaping mistake ever let a
<script> or an event handler into a page, the browser refuses to run it. Charts are drawn with
vega's expression interpreter (vega-embed's `ast` option), so the policy needs no 'unsafe-eval'.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
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


def _finite(value: Any) -> Any:
    """`value` with every infinite or NaN float as null: JSON has no such numbers, and a results
    file's 1e308 becomes inf in the first product (a chart then leaves that point out)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def script_json(value: Any) -> Markup:
    """JSON that is safe to place inside <script type="application/json">."""
    raw = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=str)
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


@lru_cache(maxsize=1)
def page_script() -> Markup:
    """The page's own script: sortable tables, chart drawing, print preparation."""
    return Markup((TEMPLATES / "page.js").read_text(encoding="utf-8"))


def script_hash(body: str) -> str:
    """The CSP source that allows exactly one inline script with this body."""
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: list[str]) -> Markup:
    """Nothing fetched; no script but the listed bodies; styles inline (the page's and vega's);
    images only as data: URLs."""
    allowed = " ".join(script_hash(body) for body in scripts)
    # Markup: made of constants and base64 only, so the quotes can stay unescaped.
    return Markup(f"default-src 'none'; script-src {allowed}; style-src 'unsafe-inline'; "
            "img-src data:; font-src 'none'; connect-src 'none'; form-action 'none'; "
            "base-uri 'none'")


def render_page(template: str, context: dict[str, Any], uses_charts: bool) -> str:
    """Render one page; the chart libraries are included only on pages that draw charts.

    The policy is computed from the scripts this function places, never from the rendered
    page, so a script that got into the page by mistake is not allowed by it."""
    scripts = ([vega_bundle()] if uses_charts else []) + [page_script()]
    return environment().get_template(template).render(
        scripts=scripts, csp=content_security_policy(scripts), **context)


# Characters XML 1.0 does not allow; vl-convert aborts the whole process on one (exit 134).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: Any) -> Any:
    """`value` with every string (keys too) stripped of characters an SVG cannot hold, shown
    as escapes instead so the label still says what was there."""
    if isinstance(value, str):
        return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, dict):
        return {_xml_safe(k): _xml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe(v) for v in value]
    return value


def write_svg(spec: dict, path: Path) -> Path:
    """A static SVG of a chart, for slides and for readers without JavaScript."""
    import vl_convert

    return write_atomic(path, vl_convert.vegalite_to_svg(_xml_safe(spec)))
