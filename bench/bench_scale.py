"""Scale-out benchmark: several `dialogkit serve` processes over Redis or PostgreSQL.

    python bench/bench_scale.py [--seconds 15] [--model models/restaurant]

Needs the services of `make services` (DIALOGKIT_TEST_REDIS_URL, DIALOGKIT_TEST_POSTGRES_URL;
`make bench-scale` exports them). For each store (Redis; PostgreSQL with the Redis lock)
and 1, 2 and 4 worker processes (`dialogkit serve --workers N`), it runs 32 and 128
simulated users replaying the restaurant booking dialogue for a bounded time and reports
messages/s and p50/p99 latency, then checks every conversation's stored events against
what was sent. Last, two separate server processes share Redis while one is SIGKILLed
mid-load; the users of the dead one go on with the other (as behind a load balancer):
no acknowledged message may be lost. The load generator runs on the same 2 cores as the
servers, so the scaling shown is that of this machine, not of the design.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_serve import SCRIPT, cli, free_port, start_server  # noqa: E402
from bench.report import ROOT, write  # noqa: E402


def start(model: str, port: int, options: list[str]) -> subprocess.Popen:
    try:
        return start_server(model, port, options)[0]
    except RuntimeError:
        raise SystemExit(f"dialogkit serve {' '.join(options)} did not start") from None


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


async def user(
    client,
    ports: list[int],
    uid: int,
    stop_at: float,
    run: str,
    latencies: list[float],
    acked: dict[str, list[str]],
    errors: list[str],
) -> None:
    """One user's conversations; a request that cannot reach its process goes to the next one
    (what a load balancer does when a process dies)."""
    n = 0
    while time.perf_counter() < stop_at:
        sender = f"{run}-u{uid}-c{n}"
        acked[sender] = []
        for text in SCRIPT:
            if time.perf_counter() >= stop_at:
                break
            t = time.perf_counter()
            for attempt in range(len(ports)):
                port = ports[(uid + attempt) % len(ports)]
                try:
                    r = await client.post(
                        f"http://127.0.0.1:{port}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                    )
                except Exception as e:  # noqa: BLE001 - this process is gone: try the next
                    if attempt == len(ports) - 1:
                        errors.append(f"{type(e).__name__}: {e}")
                    continue
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - t)
                    acked[sender].append(text)
                else:
                    errors.append(f"{r.status_code} {r.text[:100]}")
                break
        n += 1


async def load(ports: list[int], users: int, seconds: float, run: str, during: object = None) -> dict:
    import httpx

    latencies: list[float] = []
    acked: dict[str, list[str]] = {}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=users * len(ports), max_keepalive_connections=users)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        t0 = time.perf_counter()
        tasks = [user(client, ports, i, t0 + seconds, run, latencies, acked, errors) for i in range(users)]
        if during is not None:
            tasks.append(during(t0))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    lat = sorted(latencies)
    return {
        "messages": len(lat),
        "seconds": elapsed,
        "messages_per_s": len(lat) / elapsed,
        "p50_ms": statistics.median(lat) * 1000 if lat else None,
        "p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000 if lat else None,
        "errors": len(errors),
        "error_samples": errors[:3],
        "acked": acked,
    }


def verify(port: int, acked: dict[str, list[str]]) -> tuple[int, int]:
    """(conversations, conversations whose stored user messages differ from the acknowledged ones)."""
    import httpx

    bad = 0
    with httpx.Client(timeout=60) as client:
        for sender, texts in acked.items():
            if not texts:
                continue
            events = client.get(f"http://127.0.0.1:{port}/conversations/{sender}/tracker?format=dialogkit").json()["events"]
            if [e["text"] for e in events if e["event"] == "user"] != texts:
                bad += 1
    return len([t for t in acked.values() if t]), bad


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="trained model (default: train domains/restaurant into a temporary directory)")
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--users", type=int, nargs="+", default=[32, 128])
    args = p.parse_args()
    redis_url, pg_url = os.environ.get("DIALOGKIT_TEST_REDIS_URL"), os.environ.get("DIALOGKIT_TEST_POSTGRES_URL")
    if not redis_url or not pg_url:
        raise SystemExit(
            "Redis and PostgreSQL are needed: run `make bench-scale` (it starts them with `make services`)"
        )
    stores = {
        "redis": ["--store", "redis", "--store-url", redis_url],
        "postgresql": ["--store", "sql", "--store-url", pg_url, "--lock-url", redis_url],
    }
    runs, rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = f"{tmp}/restaurant"
            subprocess.run(
                [cli(), "train", str(ROOT / "domains" / "restaurant"), "--out", model],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        for store, options in stores.items():
            for workers in args.workers:
                port = free_port()
                proc = start(model, port, [*options, "--workers", str(workers)])
                try:
                    for users in args.users:
                        run = f"{store}-w{workers}-u{users}-{int(time.time())}"
                        result = asyncio.run(load([port], users, args.seconds, run))
                        checked, bad = verify(port, result.pop("acked"))
                        runs.append(
                            {
                                "store": store,
                                "workers": workers,
                                "users": users,
                                **result,
                                "conversations": checked,
                                "lost_or_reordered": bad,
                            }
                        )
                        rows.append(
                            (
                                f"{store}, {workers} worker(s), {users} users",
                                f"{result['messages_per_s']:.0f} msg/s, p50 {result['p50_ms']:.0f} ms, p99 "
                                f"{result['p99_ms']:.0f} ms",
                                f"{result['errors']} errors, {bad} of {checked} conversations lost/reordered",
                            )
                        )
                        print(rows[-1], flush=True)
                finally:
                    stop(proc)
        # one of two processes killed mid-load: acknowledged messages survive, its users go on elsewhere
        ports = [free_port(), free_port()]
        procs = [start(model, port, stores["redis"]) for port in ports]
        killed_at: list[float] = []

        async def kill_one(t0: float) -> None:
            await asyncio.sleep(args.seconds / 2)
            os.killpg(procs[0].pid, signal.SIGKILL)
            killed_at.append(time.perf_counter() - t0)

        try:
            result = asyncio.run(load(ports, 32, args.seconds, f"kill-{int(time.time())}", during=kill_one))
            checked, bad = verify(ports[1], result.pop("acked"))
        finally:
            for proc in procs:
                stop(proc)
        kill = {**result, "conversations": checked, "lost": bad, "killed_after_s": killed_at[0] if killed_at else None}
        rows.append(
            (
                "redis, 2 processes, 32 users, one SIGKILLed mid-load",
                f"{result['messages_per_s']:.0f} msg/s; {result['errors']} requests failed (in flight on the killed "
                "process)",
                f"{bad} of {checked} conversations lost an acknowledged message (target 0)",
            )
        )
        print(rows[-1], flush=True)
    write(
        "scale",
        "Scale-out: several server processes over Redis or PostgreSQL",
        "make bench-scale",
        [(m, v, t) for m, v, t in rows],
        {"runs": runs, "sigkill": kill},
        notes=(
            f"Each run: simulated users on 127.0.0.1 for {args.seconds:.0f} s replaying the restaurant booking "
            f"dialogue ({len(SCRIPT)} turns) in new conversations, restaurant model (rule entities + bert_nlu + "
            "flow_policy + templates), NLU batching on. The servers and the load generator share this machine's 2 "
            "cores, so more workers than cores cannot add throughput here; they show that several processes stay "
            "correct and what each costs. The last column is the check, not a target."
        ),
    )


if __name__ == "__main__":
    main()
