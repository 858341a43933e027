"""The page kit: one Jinja environment, filters, inline figures, scripts and the
Content-Security-Policy shared by every page dlworkflow writes.

Pages open from disk, offline, and may be mailed around, while their figures and
names come from run folders that someone else may have made. So a page carries a
policy that allows no network and no script but the kit's own (by hash), and figures
go in as ``<img>`` data URIs: an SVG shown through ``<img>`` never runs its scripts.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup

IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg"}


@cache
def _scripts() -> dict[str, str]:
    """The kit's own scripts by name (``pages/scripts/*.js``): the only code a page runs."""
    folder = resources.files("dlworkflow.pages") / "scripts"
    return {
        item.name.removesuffix(".js"): item.read_text(encoding="utf-8")
        for item in folder.iterdir()
        if item.name.endswith(".js")
    }


def script(name: str) -> Markup:
    """A kit script inlined in the page; the policy allows it by its hash."""
    return Markup(f"<script>{_scripts()[name]}</script>")


def content_security_policy(connect_self: bool = False) -> str:
    """No network, no plugins, no foreign script; inline styles and data-URI images only.

    ``connect_self`` lets a page served by ``dlw serve`` call its own API.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
        for text in _scripts().values()
    )
    connect = "'self'" if connect_self else "'none'"
    return (
        f"default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; "
        f"script-src {hashes}; connect-src {connect}; media-src blob:; base-uri 'none'; "
        "form-action 'none'"
    )


def inline_figure(path: Path | None, alt: str = "") -> Markup:
    """The figure as an ``<img>`` with a data URI (empty when there is none)."""
    if path is None or not path.is_file():
        return Markup("")
    kind = IMAGE_TYPES.get(path.suffix.lower())
    if kind is None:
        return Markup("")
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return Markup(f'<img alt="{Markup.escape(alt)}" src="data:{kind};base64,{encoded}">')


def number(value: object, digits: int = 4) -> str:
    """Integers with thousands separators, floats to ``digits`` places, None as a dash."""
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-3 and value else f"{value:.{digits}f}"
    return str(value)


@cache
def environment(package: str, connect_self: bool = False) -> Environment:
    """Templates of ``package`` (its ``templates/`` folder) over the kit's own: one look."""
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader(package, "templates"), PackageLoader("dlworkflow.pages", "templates")]
        ),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number
    env.globals["script"] = script
    env.globals["content_security_policy"] = content_security_policy(connect_self)
    return env


def render(package: str, template: str, **context: object) -> str:
    """Render one page of ``package`` with the kit."""
    return environment(package).get_template(template).render(**context)
