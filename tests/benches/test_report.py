"""bench/report.py: a bench run for some bots only keeps the other bots' rows, marked with their commit."""

import json

from bench import report

SECTION = """<!-- nlu_typos:start -->
## NLU: typos

Measured 2026-12-07 16:30 UTC on a machine at commit 4a498ad with `make bench-typos`.

| metric | measured | target |
|---|---|---|
| restaurant (en, 234 held-out messages): intent accuracy | 89.32 (met) | drop <= 3 |
| tickets_zh (zh, 224 held-out messages): entity F1 | 99.11 / 92.82 (drop 6.28) (missed) | drop <= 3 |
| tickets_zh (zh, 224 held-out messages): intent accuracy | 82.14 / 79.91 (drop 2.23) (met) | drop <= 3 |

Raw results: `bench/results/nlu_typos.json`.
<!-- nlu_typos:end -->
"""


def test_a_run_of_some_bots_keeps_the_others_rows_and_results_marked_with_their_commit(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "ROOT", tmp_path)
    (tmp_path / "bench" / "results").mkdir(parents=True)
    before = {"commit": "4a498ad", "results": {"restaurant": {"clean": 0.8932}, "tickets_zh": {"clean": 0.8214}}}
    (tmp_path / "bench" / "results" / "nlu_typos.json").write_text(json.dumps(before), encoding="utf-8")
    (tmp_path / "BENCHMARKS.md").write_text("# Benchmarks\n\n" + SECTION, encoding="utf-8")
    rows = [("restaurant (en, 234 held-out messages): intent accuracy", "90.17 (met)", "drop <= 3")]
    results = {"restaurant": {"clean": 0.9017}}
    report.carry_over("nlu_typos", rows, results, ["restaurant"])
    assert rows[1:] == [
        ("tickets_zh (at 4a498ad, not re-run; zh, 224 held-out messages): entity F1",
         "99.11 / 92.82 (drop 6.28) (missed)", "drop <= 3"),
        ("tickets_zh (at 4a498ad, not re-run; zh, 224 held-out messages): intent accuracy",
         "82.14 / 79.91 (drop 2.23) (met)", "drop <= 3"),
    ]
    assert results == {"restaurant": {"clean": 0.9017},
                       "tickets_zh": {"clean": 0.8214, "measured_at_commit": "4a498ad"}}
    # carried over again by a later run: still the commit it was measured at, marked once
    (tmp_path / "bench" / "results" / "nlu_typos.json").write_text(
        json.dumps({"commit": "563101e", "results": results}), encoding="utf-8")
    md = SECTION.replace("| tickets_zh (zh, 224 held-out messages)", "| tickets_zh (at 4a498ad, not re-run; zh, 224 "
                         "held-out messages)")
    (tmp_path / "BENCHMARKS.md").write_text(md, encoding="utf-8")
    again: list = []
    kept: dict = {}
    report.carry_over("nlu_typos", again, kept, ["restaurant"])
    assert [m for m, _, _ in again] == [m for m, _, _ in rows[1:]]
    assert kept["tickets_zh"]["measured_at_commit"] == "4a498ad"
