"""A LiteLLM proxy for the gateway benchmark: the gateway a user would pick instead of Vantage's.

It runs as a subprocess of this interpreter (the ``litellm[proxy]`` package of the ``bench``
extra) with one worker, no database, the bundled model cost map
(``LITELLM_LOCAL_MODEL_COST_MAP``, so it needs no network), a master key checked on every
request, and one model routed to the same fake upstream as Vantage's gateway.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx

MASTER_KEY = "sk-bench-litellm-master"
MODEL = "bench/gpt-4o-mini"
START_TIMEOUT_SECONDS = 120


class PeerUnavailable(RuntimeError):
    """LiteLLM could not be imported or started; the message says why."""


@dataclass
class LiteLLMProxy:
    process: subprocess.Popen[bytes]
    port: int
    version: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _version() -> str:
    try:
        return metadata.version("litellm")
    except metadata.PackageNotFoundError as error:
        raise PeerUnavailable(
            "litellm is not installed (pip install -e '.[bench]' installs it)"
        ) from error


def _write_config(workdir: Path, upstream_port: int) -> Path:
    config = {
        "model_list": [
            {
                "model_name": MODEL,
                "litellm_params": {
                    "model": "openai/gpt-4o-mini",
                    "api_base": f"http://127.0.0.1:{upstream_port}/v1",
                    "api_key": "sk-bench",
                },
            }
        ],
        "litellm_settings": {"telemetry": False, "drop_params": True},
        "general_settings": {"master_key": MASTER_KEY, "disable_spend_logs": True},
    }
    path = workdir / "litellm.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VANTAGE_")}
    env.pop("DATABASE_URL", None)  # a database URL would make the proxy start Prisma
    env.update(
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_LOG="ERROR",
        LITELLM_MODE="PRODUCTION",  # reads no .env file
        DISABLE_ADMIN_UI="True",
        LITELLM_DONT_SHOW_FEEDBACK_BOX="True",
    )
    return env


def start_litellm(upstream_port: int, workdir: Path) -> LiteLLMProxy:
    """The proxy, ready to serve; ``PeerUnavailable`` with the reason otherwise."""
    version = _version()
    port = _free_port()
    log_path = workdir / "litellm.log"
    command = [sys.executable, "-m", "litellm.proxy.proxy_cli"]
    command += ["--config", str(_write_config(workdir, upstream_port))]
    command += ["--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and an installed module
            command, env=_environment(), stdout=log, stderr=subprocess.STDOUT
        )
    proxy = LiteLLMProxy(process, port, version)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-1500:]
            raise PeerUnavailable(f"litellm {version} exited with {process.returncode}: {tail}")
        if _answers(port):
            return proxy
        time.sleep(0.2)
    proxy.stop()
    raise PeerUnavailable(f"litellm {version} did not answer within {START_TIMEOUT_SECONDS} s")


def _answers(port: int) -> bool:
    try:
        url = f"http://127.0.0.1:{port}/health/liveliness"
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
