"""HTTP load and cold-start benchmark for `dialogkit serve`.

    python bench/bench_serve.py [--users 32] [--seconds 30] [--model models/restaurant] [--overload 128 512]

Starts `dialogkit serve` on 127.0.0.1, runs N concurrent simulated users, each holding
multi-turn conversations (the restaurant booking dialogue) for a bounded time, and
reports messages/s, p50/p99 latency and errors; afterwards it checks that every
conversation's tracker holds exactly the messages sent, in order. It also measures cold
start (`dialogkit serve` to the first answered message, `dialogkit shell` to the first
reply), the server's memory, and the CPU the server and the load generator used (they
share the machine's cores). Targets (issue 19): >= 400 messages/s, p99 <= 150 ms, zero
lost or reordered events; cold start <= 1.5 s; RSS <= 400 MB with the generator loaded.

Past saturation (``--overload``, default 128 and 512 users, issue 29): the server's bound on
messages in flight (``serve --max-in-flight``, ``--max-wait-ms``) answers 503 with Retry-After
at once; a simulated user then waits that long and sends the same message again, so each
conversation stays in order. Reported per load: served and refused messages, p50/p99/max of
the served ones, and the conversations whose tracker differs from what was answered (none
may be lost).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bots import with_templates  # noqa: E402
from bench.report import ROOT, write  # noqa: E402

SCRIPT = [
    "hi",
    "I'd like to book a table",
    "italian please",
    "we are 4 people",
    "in the city centre",
    "at 7pm",
    "yes please",
    "thanks",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli() -> str:
    return str(Path(sys.executable).with_name("dialogkit"))


def start_server(model: str, port: int, options: list[str]) -> tuple[subprocess.Popen, float]:
    """`dialogkit serve MODEL --port PORT OPTIONS...` in its own process group; returns it and the
    seconds to its first answered message (cold start)."""
    import httpx

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [cli(), "serve", model, "--port", str(port), *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    while True:
        try:
            r = httpx.post(
                f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                json={"sender": "cold-start", "message": "hello"},
                timeout=5,
            )
            if r.status_code == 200:
                return proc, time.perf_counter() - t0
        except httpx.HTTPError:
            time.sleep(0.02)
        if proc.poll() is not None or time.perf_counter() - t0 > 120:
            raise RuntimeError("server did not start")


def memory(pid: int) -> tuple[float, float, bool]:
    """The process's resident memory now and at its peak (MB), and whether it has torch's
    library mapped (read from /proc: Linux)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    kb = lambda key: float(status[key].split()[0]) / 1024  # noqa: E731
    maps = Path(f"/proc/{pid}/maps").read_text()
    return kb("VmRSS"), kb("VmHWM"), "libtorch" in maps


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (from /proc: Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nlu_runtime(model: str) -> str:
    folder = next((Path(model) / "components").glob("*_bert_nlu"), None)
    if folder is None:
        return "no bert_nlu"
    info = folder / "onnx.json"
    return (
        f"onnx {json.loads(info.read_text())['precision']}" if info.is_file() else "torch (or exported on first load)"
    )


def shell_cold_start(model: str) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([cli(), "shell", model], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin and proc.stdout
    proc.stdin.write("hello\n")
    proc.stdin.flush()
    while True:
        line = proc.stdout.readline()
        if line.startswith("bot>") or not line:
            break
    seconds = time.perf_counter() - t0
    proc.stdin.close()
    proc.wait(timeout=30)
    return seconds


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, speaking just enough of the protocol for
    JSON POSTs (asyncio streams): a simulated user's client costs a fraction of httpx's CPU, and
    the load generator shares the 2 cores with the server it measures."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        body = json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: "
            f"{len(body)}\r\n\r\n"
        )
        try:
            self.writer.write(head.encode() + body)
            status = int((await self.reader.readline()).split(b" ", 2)[1])
            length = None
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length is None:
                raise ConnectionError("answer without content-length")
            return status, await self.reader.readexactly(length)
        except BaseException:
            self.close()  # a broken or interrupted exchange: the next request opens a new connection
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def user(port: int, uid: int, stop: float, latencies: list[float], sent: dict[str, list[str]], errors: list[str],
               refused: list[float], prefix: str) -> None:
    conn = Connection(port)
    n = 0
    while time.perf_counter() < stop:
        sender = f"{prefix}user{uid}-conv{n}"
        sent[sender] = []
        for text in SCRIPT:
            if time.perf_counter() >= stop:
                break
            t = time.perf_counter()
            try:
                status, body = await conn.post("/webhooks/rest/webhook", {"sender": sender, "message": text})
                while status == 503 and json.loads(body).get("error") == "overloaded" and time.perf_counter() < stop:
                    refused.append(time.perf_counter() - t)  # answered at once: how long the refusal took
                    await asyncio.sleep(RETRY_AFTER)  # as the Retry-After header says, then the same message again
                    t = time.perf_counter()
                    status, body = await conn.post("/webhooks/rest/webhook", {"sender": sender, "message": text})
                if status == 503:
                    break  # the run ended while this message waited to be sent again: the conversation stops here
                answer = json.loads(body)
                if (
                    status != 200
                    or not isinstance(answer, list)
                    or any(m.get("recipient_id") != sender for m in answer)
                ):
                    errors.append(f"{status} {body[:100]!r}")
                    continue
            except Exception as e:  # noqa: BLE001 - counted as an error
                errors.append(f"{type(e).__name__}: {e}")
                continue
            latencies.append(time.perf_counter() - t)
            sent[sender].append(text)
        n += 1
    conn.close()


RETRY_AFTER = 1.0  # seconds: what the server's Retry-After says


async def load(
    port: int, users: int, seconds: float, refused: list[float] | None = None, prefix: str = ""
) -> tuple[list[float], dict[str, list[str]], list[str], float]:
    latencies: list[float] = []
    sent: dict[str, list[str]] = {}
    errors: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(
        *(
            user(port, i, t0 + seconds, latencies, sent, errors, refused if refused is not None else [], prefix)
            for i in range(users)
        )
    )
    return latencies, sent, errors, time.perf_counter() - t0


def verify(port: int, sent: dict[str, list[str]]) -> tuple[int, int]:
    """(conversations checked, conversations whose tracker differs from what was sent)."""
    import httpx

    bad = 0
    with httpx.Client(timeout=30) as client:
        for sender, texts in sent.items():
            if not texts:
                continue
            events = client.get(f"http://127.0.0.1:{port}/conversations/{sender}/tracker").json()["events"]
            if [e["text"] for e in events if e["event"] == "user"] != texts:
                bad += 1
    return len([s for s in sent.values() if s]), bad


def past_saturation(port: int, users: int, seconds: float) -> dict:
    """A load past what the server answers in time: served and refused messages, the served ones' latency, lost ones."""
    refused: list[float] = []
    latencies, sent, errors, elapsed = asyncio.run(load(port, users, seconds, refused, prefix=f"o{users}-"))
    checked, bad = verify(port, sent)
    lat, ref = sorted(latencies), sorted(refused)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0

    return {
        "users": users,
        "seconds": elapsed,
        "served": len(lat),
        "served_per_s": len(lat) / elapsed,
        "refused": len(ref),
        "refused_ms_p99": pct(ref, 0.99),
        "errors": len(errors),
        "error_samples": errors[:5],
        "latency_ms_p50": pct(lat, 0.5),
        "latency_ms_p99": pct(lat, 0.99),
        "latency_ms_max": lat[-1] * 1000 if lat else 0.0,
        "checked": checked,
        "lost": bad,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="trained model (default: train domains/restaurant into a temporary directory)")
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument(
        "--overload",
        type=int,
        nargs="*",
        default=[128, 512],
        help="user counts past saturation, each run after the main one",
    )
    p.add_argument(
        "--max-wait-ms",
        type=float,
        default=1000.0,
        help="the server's --max-wait-ms (its --max-in-flight is its default)",
    )
    p.add_argument(
        "--templates",
        action="store_true",
        help="the restaurant bot with its generator replaced by its templates "
        "(a server that needs no torch on the ONNX path); written as its own table",
    )
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = f"{tmp}/restaurant"
            bot = (
                with_templates(ROOT / "domains" / "restaurant", f"{tmp}/bot")
                if args.templates
                else ROOT / "domains" / "restaurant"
            )
            subprocess.run([cli(), "train", str(bot), "--out", model], check=True, stdout=subprocess.DEVNULL)
        shell_seconds = shell_cold_start(model)
        port = free_port()
        proc, serve_seconds = start_server(
            model, port, ["--store-path", f"{tmp}/trackers.sqlite", "--max-wait-ms", str(args.max_wait_ms)]
        )
        try:
            idle_mb, _, _ = memory(proc.pid)
            server_cpu, client_cpu = cpu_seconds(proc.pid), time.process_time()
            latencies, sent, errors, elapsed = asyncio.run(load(port, args.users, args.seconds))
            server_cpu, client_cpu = cpu_seconds(proc.pid) - server_cpu, time.process_time() - client_cpu
            checked, bad = verify(port, sent)
            rss_mb, peak_mb, torch_loaded = memory(proc.pid)  # after the main load (comparable with earlier runs)
            overload = [past_saturation(port, users, args.seconds) for users in args.overload]
            overload_rss_mb, overload_peak_mb, _ = memory(proc.pid)
            pipeline = " + ".join(
                c["name"] for c in json.loads((Path(model) / "manifest.json").read_text())["components"]
            )
            runtime = nlu_runtime(model)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    lat = sorted(latencies)
    results = {
        "users": args.users,
        "seconds": elapsed,
        "messages": len(latencies),
        "messages_per_s": len(latencies) / elapsed,
        "latency_ms_p50": statistics.median(lat) * 1000 if lat else None,
        "latency_ms_p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000 if lat else None,
        "errors": len(errors),
        "error_samples": errors[:5],
        "conversations_checked": checked,
        "conversations_with_lost_or_reordered_events": bad,
        "cold_start_serve_seconds": serve_seconds,
        "cold_start_shell_seconds": shell_seconds,
        "rss_mb_idle": idle_mb,
        "rss_mb_after_load": rss_mb,
        "rss_mb_peak": peak_mb,
        "torch_loaded_in_server": torch_loaded,
        "pipeline": f"{pipeline}, SQLite tracker store",
        "nlu_runtime": runtime,
        "server_cpu_cores": server_cpu / elapsed,
        "load_generator_cpu_cores": client_cpu / elapsed,
        "cores": os.cpu_count(),
        "max_wait_ms": args.max_wait_ms,
        "overload": overload,
        "rss_mb_after_overload": overload_rss_mb,
        "rss_mb_peak_after_overload": overload_peak_mb,
    }

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    rows = [
        (
            f"throughput, {args.users} concurrent users",
            f"{results['messages_per_s']:.0f} messages/s ({verdict(results['messages_per_s'] >= 400)})",
            ">= 400 messages/s",
        ),
        (
            "latency p50 / p99",
            f"{results['latency_ms_p50']:.0f} / {results['latency_ms_p99']:.0f} ms "
            f"({verdict(results['latency_ms_p99'] <= 150)})",
            "p99 <= 150 ms",
        ),
        ("errors", str(results["errors"]), "0"),
        ("conversations with lost or reordered events", f"{bad} of {checked} ({verdict(bad == 0)})", "0"),
        (
            "cold start: `dialogkit serve` to first answered message",
            f"{serve_seconds:.1f} s ({verdict(serve_seconds <= 1.5)})",
            "<= 1.5 s",
        ),
        (
            "cold start: `dialogkit shell` to first reply",
            f"{shell_seconds:.1f} s ({verdict(shell_seconds <= 5)})",
            "<= 5 s",
        ),
        (
            "server memory (RSS): idle / after the load / peak",
            f"{idle_mb:.0f} / {rss_mb:.0f} / {peak_mb:.0f} MB ({verdict(peak_mb <= 400)})",
            "<= 400 MB",
        ),
        (
            "CPU used during the load: server / load generator",
            f"{results['server_cpu_cores']:.2f} / {results['load_generator_cpu_cores']:.2f} of {os.cpu_count()} cores",
            "-",
        ),
        (
            "NLU runtime; torch loaded in the server",
            f"{results['nlu_runtime']}; {'yes' if torch_loaded else 'no'}",
            "-",
        ),
    ]
    for o in overload:
        rows.append(
            (
                f"{o['users']} users (past saturation): served / refused with 503 + Retry-After / errors",
                f"{o['served']} ({o['served_per_s']:.0f}/s) / {o['refused']} (answered in p99 "
                f"{o['refused_ms_p99']:.0f} ms) / {o['errors']}",
                "refused at once, 0 errors",
            )
        )
        rows.append(
            (
                f"{o['users']} users: served p50 / p99 / max; conversations lost or reordered",
                f"{o['latency_ms_p50']:.0f} / {o['latency_ms_p99']:.0f} / {o['latency_ms_max']:.0f} ms; {o['lost']} "
                f"of {o['checked']} "
                f"({verdict(o['latency_ms_max'] <= args.max_wait_ms and o['lost'] == 0 and o['errors'] == 0)})",
                f"max <= {args.max_wait_ms:.0f} ms (--max-wait-ms), 0 lost",
            )
        )
    if overload:
        conversations = sum(o["checked"] for o in overload)
        rows.append(
            (
                "server memory (RSS) after the runs past saturation / peak",
                f"{overload_rss_mb:.0f} / {overload_peak_mb:.0f} MB ({conversations} more conversations cached)",
                "-",
            )
        )
    section, title, command = (
        (
            "serve_templates",
            "HTTP server: load and cold start, replies from templates",
            "python bench/bench_serve.py --templates",
        )
        if args.templates
        else ("serve", "HTTP server: load and cold start", "make bench-serve")
    )
    write(
        section,
        title,
        command,
        rows,
        results,
        notes=f"{args.users} simulated users on 127.0.0.1 for {args.seconds:.0f} s, each replaying the restaurant "
        f"booking dialogue ({len(SCRIPT)} turns) in new conversations; load generator (asyncio, one keep-alive "
        f"connection per user) on the same cores. Then {' and '.join(map(str, args.overload)) or 'no'} users for as "
        f"long each, past saturation: the server (default --max-in-flight 64, --max-wait-ms {args.max_wait_ms:.0f}) "
        "refuses what it cannot answer in time with 503 + Retry-After; a refused user waits 1 s and sends the same "
        "message again.",
    )
    for m, v, t in rows:
        print(f"{m}: {v} (target {t})")


if __name__ == "__main__":
    main()
