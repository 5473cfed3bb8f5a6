"""Writing the site: target/index.html with the data embedded (one JSON blob in a non-executed script
element, read with one JSON.parse), and target/mason_docs/{app.js, app.css} copied from the package. No
network access is needed to open it, from a server or from file://."""

from __future__ import annotations

import json
import os
import shutil
from html import escape
from pathlib import Path
from typing import Any

from mason.observe.masking import scrub

ASSETS = Path(__file__).with_name("assets")
ASSET_DIR = "mason_docs"
FILES = ("app.js", "app.css")


def encode(data: dict[str, Any]) -> str:
    """JSON safe inside <script>: every '<' escaped (only strings hold one), so no '</script>' or '<!--'."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page(data: dict[str, Any]) -> str:
    title = escape(f"{data.get('project') or 'Mason'} · docs")
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n"
        f"<link rel=\"stylesheet\" href=\"{ASSET_DIR}/app.css\">\n</head>\n<body>\n"
        "<div id=\"app\"><p class=\"loading\">Loading…</p></div>\n"
        f"<script id=\"mason-data\" type=\"application/json\">{encode(data)}</script>\n"
        f"<script src=\"{ASSET_DIR}/app.js\"></script>\n</body>\n</html>\n")


def write_site(target_dir: Path, data: dict[str, Any]) -> Path:
    """Write index.html and the assets atomically (each file replaced whole); the index's path."""
    assets = target_dir / ASSET_DIR
    assets.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        tmp = assets / f".{name}.tmp"
        shutil.copyfile(ASSETS / name, tmp)
        os.replace(tmp, assets / name)
    index = target_dir / "index.html"
    tmp = target_dir / ".index.html.tmp"
    tmp.write_text(scrub(page(data)), encoding="utf-8")
    os.replace(tmp, index)
    return index
