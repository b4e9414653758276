"""The on-call runbooks (``docs/runbooks/<dag_id>.md``) as HTML pages, mounted on the api-server
by the Airflow plugin at ``/fuelopt/runbooks``."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt

from fuelopt.config import PROJECT_ROOT

RUNBOOKS_DIR = PROJECT_ROOT / "docs" / "runbooks"
_DAG_ID = re.compile(r"[A-Za-z0-9_.-]+")
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5}code,pre{background:#f4f4f4;padding:.1rem .3rem}pre{padding:.8rem;"
    "overflow:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem}"
)


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def render(path: Path) -> str:
    """One runbook as a standalone HTML page titled by its first heading."""
    text = path.read_text(encoding="utf-8")
    heading = next((ln.lstrip("# ") for ln in text.splitlines() if ln.startswith("#")), "")
    heading = heading.replace("`", "").strip()
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    return _page(heading or path.stem, body)


def create_app(folder: Path = RUNBOOKS_DIR) -> FastAPI:
    """The runbook pages: an index at ``/`` and one page per DAG at ``/<dag_id>``."""
    app = FastAPI(title="FuelOptiMine runbooks", docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        items = "".join(
            f"<li><a href='{p.stem}'>{html.escape(p.stem)}</a></li>"
            for p in sorted(folder.glob("*.md"))
        )
        return _page("FuelOptiMine runbooks", f"<h1>FuelOptiMine runbooks</h1><ul>{items}</ul>")

    @app.get("/{dag_id}", response_class=HTMLResponse)
    def runbook(dag_id: str) -> str:
        name = dag_id.removesuffix(".md")
        path = folder / f"{name}.md"
        if not _DAG_ID.fullmatch(name) or not path.is_file():
            raise HTTPException(status_code=404, detail=f"no runbook for DAG {dag_id!r}")
        return render(path)

    return app
