"""``fuelopt serve``: the API under uvicorn."""

from __future__ import annotations

import argparse
import os

from fuelopt.config import get_settings
from fuelopt.errors import BadInput


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 1-65535: {port}")
    return port


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``serve`` to the ``fuelopt`` parser."""
    parser = sub.add_parser("serve", help="serve the inference and read API (FastAPI, uvicorn)")
    parser.add_argument("--host", help="address to listen on (default: api.host)")
    parser.add_argument("--port", type=port_number, help="port (default: api.port)")
    parser.add_argument(
        "--insecure-local",
        action="store_true",
        help="serve without a bearer token (local use only)",
    )
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from fuelopt.api.app import create_app
    from fuelopt.warehouse.marts import reader_uri

    cfg = get_settings().api
    token = os.environ.get(cfg.token_env) or None
    if token is None and not args.insecure_local:
        raise BadInput(f"{cfg.token_env} is not set: no bearer token (or pass --insecure-local)")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(cfg.mlflow_timeout_seconds))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    app = create_app(token=None if args.insecure_local else token, reader_uri=reader_uri())
    uvicorn.run(
        app,
        host=args.host or cfg.host,
        port=args.port or cfg.port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    return 0
