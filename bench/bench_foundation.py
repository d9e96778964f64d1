"""Foundation benchmark: CLI start-up, validation and training speed, ATIS BIO round trip.

    python bench/bench_foundation.py [--atis ../shared/data/atis]

Targets (issue 2): `dialogkit --help` under 0.5 s; BIO -> YAML -> BIO byte-identical.
"""

from __future__ import annotations

import argparse
import filecmp
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import ROOT, write  # noqa: E402


def timed_runs(cmd: list[str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--atis",
        default=str(ROOT.parent / "shared" / "data" / "atis"),
        help="ATIS directory with train/dev/test in BIO layout",
    )
    p.add_argument("--runs", type=int, default=10)
    args = p.parse_args()
    exe = str(Path(sys.executable).with_name("dialogkit"))
    results: dict = {}

    help_times = timed_runs([exe, "--help"], args.runs)
    results["help_seconds_median"] = statistics.median(help_times)
    results["help_seconds_max"] = max(help_times)
    validate_times = timed_runs([exe, "validate", "domains/restaurant"], max(3, args.runs // 3))
    results["validate_restaurant_seconds_median"] = statistics.median(validate_times)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [exe, "train", "domains/restaurant", "--out", f"{tmp}/m", "--force"],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        results["train_restaurant_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(
            [exe, "train", "domains/restaurant", "--out", f"{tmp}/m"], check=True, capture_output=True, cwd=ROOT
        )
        results["retrain_unchanged_seconds"] = time.perf_counter() - t0

        atis = Path(args.atis)
        splits = {}
        for split in ("train", "dev", "test"):
            if not (atis / split / "seq.in").is_file():
                continue
            y, back = f"{tmp}/{split}.yml", f"{tmp}/{split}-back"
            t0 = time.perf_counter()
            subprocess.run(
                [exe, "data", "convert", "--from", "bio", "--to", "yaml", str(atis / split), y],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [exe, "data", "convert", "--from", "yaml", "--to", "bio", y, back], check=True, capture_output=True
            )
            seconds = time.perf_counter() - t0
            identical = all(
                filecmp.cmp(atis / split / f, Path(back) / f, shallow=False) for f in ("seq.in", "seq.out", "label")
            )
            n = sum(1 for _ in open(atis / split / "label", encoding="utf-8"))
            splits[split] = {"examples": n, "round_trip_seconds": seconds, "byte_identical": identical}
        results["atis_round_trip"] = splits

    rows = [
        (
            f"`dialogkit --help` (median of {args.runs})",
            f"{results['help_seconds_median'] * 1000:.0f} ms (max {results['help_seconds_max'] * 1000:.0f} ms)",
            "< 500 ms",
        ),
        (
            "`dialogkit validate domains/restaurant` (median)",
            f"{results['validate_restaurant_seconds_median']:.2f} s",
            "-",
        ),
        (
            "`dialogkit train domains/restaurant --force` (its pipeline: rules + bert_nlu + flows + templates)",
            f"{results['train_restaurant_seconds']:.2f} s",
            "-",
        ),
        ("retrain with nothing changed (all components reused)", f"{results['retrain_unchanged_seconds']:.2f} s", "-"),
    ]
    for split, r in results["atis_round_trip"].items():
        rows.append(
            (
                f"ATIS {split}: BIO -> YAML -> BIO ({r['examples']} examples)",
                f"{'byte-identical' if r['byte_identical'] else 'DIFFERS'}, {r['round_trip_seconds']:.1f} s",
                "byte-identical",
            )
        )
    if not results["atis_round_trip"]:
        rows.append(("ATIS round trip", f"skipped: no data at {args.atis}", "byte-identical"))
    write("foundation", "Foundation: CLI, validation, training data", "make bench-foundation", rows, results)
    for m, v, t in rows:
        print(f"{m}: {v} (target {t})")


if __name__ == "__main__":
    main()
