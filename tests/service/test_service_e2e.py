"""End to end: `pullcast serve` in a subprocess, SIGKILLed mid-stream, restarted: no acked data lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import KEY, Fitted, events_json, sales_json

httpx = pytest.importorskip("httpx")
duckdb = pytest.importorskip("duckdb")

AUTH = {"Authorization": f"Bearer {KEY}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(model: Path, db: Path, keys: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "pullcast",
        "serve",
        "--model",
        str(model),
        "--db",
        str(db),
        "--port",
        str(port),
        "--api-key-file",
        str(keys),
        "--quiet",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    log = db.with_suffix(f".{port}.{time.monotonic_ns()}.log")
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/ready", headers=AUTH, timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not become ready in 180 s")


def forecast(base: str) -> list[dict[str, object]]:
    r = httpx.post(f"{base}/v1/forecast", headers=AUTH, json={}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["rows"]  # type: ignore[no-any-return]


def test_sigkill_mid_stream_loses_nothing_acknowledged(fitted: Fitted, tmp_path: Path) -> None:
    from pullcast.service import hash_key

    keys = tmp_path / "keys.txt"
    keys.write_text(f"# test key\nsha256:{hash_key(KEY)}\n")
    db, port = tmp_path / "store.duckdb", free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(fitted.model_dir, db, keys, port)
    acked = 0
    try:
        head = fitted.later_events.head(300)
        batches = [events_json(head.iloc[i::6]) for i in range(6)]
        day1 = fitted.later_sales[fitted.later_sales["date"] == fitted.later_sales["date"].min()]
        for i, batch in enumerate(batches):
            r = httpx.post(f"{base}/v1/signals", headers=AUTH, json={"events": batch}, timeout=60)
            assert r.status_code == 200, r.text
            acked += r.json()["accepted"]
            if i == 2:
                s = httpx.post(f"{base}/v1/sales", headers=AUTH, json={"rows": sales_json(day1)}, timeout=60)
                assert s.status_code == 200, s.text
        before = forecast(base)

        # stream re-sent events (duplicates: stored and acknowledged, no effect on forecasts) and kill mid-way
        lock, stop = threading.Lock(), threading.Event()
        streamed = {"acked": 0, "acks": 0, "failed": 0}

        def stream() -> None:
            with httpx.Client(timeout=30) as client:
                k = 0
                while not stop.is_set():
                    try:
                        r = client.post(f"{base}/v1/signals", headers=AUTH, json={"events": batches[k % 6]})
                    except httpx.TransportError:
                        with lock:
                            streamed["failed"] += 1
                        return
                    assert r.status_code == 200, r.text
                    with lock:
                        streamed["acked"] += r.json()["accepted"]
                        streamed["acks"] += 1
                    k += 1

        thread = threading.Thread(target=stream)
        thread.start()
        deadline = time.monotonic() + 60
        while streamed["acks"] < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        thread.join(timeout=60)
        stop.set()
        assert streamed["acks"] >= 5 and streamed["failed"] == 1
        acked += streamed["acked"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    proc = start(fitted.model_dir, db, keys, port)
    try:
        ready = httpx.get(f"{base}/v1/ready", headers=AUTH, timeout=30).json()
        largest = max(len(b) for b in batches)
        assert acked <= ready["events_stored"] <= acked + largest  # the in-flight batch may have committed
        assert ready["sales_rows_stored"] == len(day1)
        after = forecast(base)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert after == before  # bit-identical JSON after replay
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM events").fetchone()
        assert stored is not None and stored[0] == ready["events_stored"]
