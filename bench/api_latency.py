"""Latency and throughput of ``POST /v1/cycle-fuel`` on loopback: ``--clients`` concurrent
clients (httpx, asyncio), each sending ``--rows``-row requests one after another.

A cycle fuel champion is trained (config hyper-parameters) on a synthetic mine into a temporary
MLflow store; ``fuelopt serve`` runs as its own process on a free port with a random bearer
token; ``--warmup`` requests are sent first and not counted. Client and server share the
machine's cores. Reports p50/p95/p99 latency, requests per second and the CPU time the server
and the clients spent per request; the last line is JSON. Concurrent requests are predicted
together (fuelopt.api.batching).
Goal (issue 15): p95 < 50 ms for 10-row requests at 20 concurrent clients.

    python bench/api_latency.py [--clients 20] [--rows 10] [--requests 2000] [--warmup 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_args import emit, parse_args

# --quick: sizes for a CI-sized machine
QUICK = {"requests": 300, "warmup": 30}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def train_champion(seed: int) -> tuple[list[dict], str]:
    """Register and promote a cycle fuel champion; a pool of request rows (without fuel_l)."""
    from mine_features import build_features

    from fuelopt.config import get_settings
    from fuelopt.ml import training
    from fuelopt.synth import MineSpec

    spec = MineSpec(seed=seed, days=30, trucks=6, shovels=3, dumps=2, clean=True)
    cycles = build_features(spec, frames=["cycles"]).cycles
    decision = training.gate_cycle(cycles, training.train_cycle_challenger(cycles))
    cfg = get_settings().ml.cycle
    features = [*cfg.numeric_features, *cfg.categorical_features]
    return cycles[features].to_dict(orient="records"), decision["version"]


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"fuelopt serve exited {proc.returncode}")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    raise TimeoutError(f"fuelopt serve did not answer within {timeout:g} s")


async def load(base: str, token: str, bodies: list[list[dict]], clients: int, total: int):
    """Send ``total`` requests from ``clients`` concurrent clients; latencies (s) and wall time."""
    import httpx

    latencies: list[float] = []
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:

        async def client() -> None:
            nonlocal sent
            while sent < total:
                body = bodies[sent % len(bodies)]
                sent += 1
                t = time.perf_counter()
                response = await http.post("/v1/cycle-fuel", json=body)
                latencies.append(time.perf_counter() - t)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - started
    return latencies, wall


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc), or of this process."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=17)
    args = parse_args(parser, QUICK)

    tmp = Path(tempfile.mkdtemp(prefix="fuelopt-bench-api-"))
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp / 'mlflow.db'}"
    os.environ["FUELOPT__PATHS__ARTIFACTS_DIR"] = str(tmp / "artifacts")
    server = None
    try:
        started = time.perf_counter()
        pool, version = train_champion(args.seed)
        train_s = time.perf_counter() - started
        bodies = [pool[i : i + args.rows] for i in range(0, len(pool) - args.rows, args.rows)]
        token = secrets.token_urlsafe(32)
        port = free_port()
        from fuelopt.config import get_settings

        env = {**os.environ, get_settings().api.token_env: token}
        server = subprocess.Popen(
            [sys.executable, "-m", "fuelopt", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server)
        asyncio.run(load(base, token, bodies, args.clients, args.warmup))
        server_cpu, client_cpu = cpu_seconds(server.pid), cpu_seconds()
        latencies, wall = asyncio.run(load(base, token, bodies, args.clients, args.requests))
        server_cpu = cpu_seconds(server.pid) - server_cpu
        client_cpu = cpu_seconds() - client_cpu
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    ms = [x * 1000 for x in latencies]
    result = {
        "clients": args.clients,
        "rows_per_request": args.rows,
        "requests": len(ms),
        "champion_version": version,
        "p50_ms": round(quantile(ms, 0.50), 1),
        "p95_ms": round(quantile(ms, 0.95), 1),
        "p99_ms": round(quantile(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
        "requests_per_s": round(len(ms) / wall, 1),
        "rows_per_s": round(len(ms) * args.rows / wall, 1),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / len(ms), 2),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / len(ms), 2),
        "train_champion_s": round(train_s, 1),
        "cpus": os.cpu_count(),
        "goals": {"p95_ms": "< 50 (10 rows, 20 clients)"},
    }
    emit(result, args)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    raise SystemExit(main())
