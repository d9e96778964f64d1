import json
import shutil
import tarfile

import pytest

from dialogkit.framework.build.training import train
from dialogkit.framework.cli.main import main
from dialogkit.framework.errors import ArchiveError, ConfigError
from dialogkit.framework.runtime.agent import Agent
from tests.conftest import MINIMAL, STAND_IN


@pytest.fixture
def model(minimal_bot, tmp_path):
    out = tmp_path / "model"
    train(minimal_bot, out)
    return out


def test_manifest_lists_every_file_with_hashes(model):
    manifest = json.loads((model / "manifest.json").read_text())
    files = {p.relative_to(model).as_posix() for p in model.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert set(manifest["files"]) == files
    assert manifest["format"] == 1 and manifest["framework_version"]
    assert [c["name"] for c in manifest["components"]] == [
        "rule_entity_extractor",
        "keyword_intent_classifier",
        "flow_policy",
        "template_nlg",
    ]
    assert manifest["components"][1]["config"]["threshold"] == 0.3  # resolved defaults are saved
    assert not any(p.suffix in (".pkl", ".pickle", ".pt", ".bin") for p in model.rglob("*"))


def test_load_round_trip_gives_identical_predictions(model):
    a, b = Agent.load(model), Agent.load(model)
    for text in ["hi", "book a table for two", "something else entirely"]:
        assert a.parse(text) == b.parse(text)


def test_tampered_file_is_refused(model):
    target = next((model / "components").rglob("intent_model.json"))
    target.write_text(target.read_text().replace("greet", "greeT", 1))
    with pytest.raises(ArchiveError) as exc:
        Agent.load(model)
    assert exc.value.codes == ["DK503"] and "intent_model.json" in exc.value.issues[0].text


def test_truncated_file_is_refused(model):
    target = model / "domain.json"
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(ArchiveError) as exc:
        Agent.load(model)
    assert exc.value.codes == ["DK503"]


def test_missing_and_extra_files_are_refused(model):
    extra = model / "components" / "evil.pkl"
    extra.write_bytes(b"\x80\x04")
    with pytest.raises(ArchiveError) as exc:
        Agent.load(model)
    assert exc.value.codes == ["DK506"]
    extra.unlink()
    next((model / "components").rglob("entities.json")).unlink()
    with pytest.raises(ArchiveError) as exc:
        Agent.load(model)
    assert exc.value.codes == ["DK504"]


def test_incompatible_format_is_refused(model):
    m = json.loads((model / "manifest.json").read_text())
    m["format"] = 99
    (model / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ArchiveError) as exc:
        Agent.load(model)
    assert exc.value.codes == ["DK505"]


def test_component_code_version_mismatch_is_refused(model):
    m = json.loads((model / "manifest.json").read_text())
    m["components"][0]["code_version"] = "0"
    (model / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ArchiveError, match="rule_entity_extractor"):
        Agent.load(model)


def test_garbage_manifest_and_missing_archive(model, tmp_path, capsys):
    (model / "manifest.json").write_text("{not json")
    with pytest.raises(ArchiveError) as exc:
        Agent.load(model)
    assert exc.value.codes == ["DK502"]
    assert main(["shell", str(tmp_path / "nowhere")]) == 2
    assert "error DK501" in capsys.readouterr().err


def test_tarball_round_trip_and_unsafe_members(model, tmp_path):
    tar = tmp_path / "m.tar.gz"
    with tarfile.open(tar, "w:gz") as t:
        t.add(model, arcname="model")
    assert Agent.load(tar).parse("hi")["intent"]["name"] == "greet"
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as t:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 0
        t.addfile(info)
    with pytest.raises(ArchiveError) as exc:
        Agent.load(evil)
    assert exc.value.codes == ["DK507"]
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(tar.read_bytes()[:200])
    with pytest.raises(ArchiveError):
        Agent.load(broken)


def test_unchanged_components_are_reused_and_changes_retrain(minimal_bot, tmp_path):
    out = tmp_path / "m"
    first = train(minimal_bot, out)
    assert first.reused == [] and len(first.trained) == 4
    second = train(minimal_bot, out)
    assert second.trained == [] and len(second.reused) == 4
    # a new response changes what NLG and DM learn from, not what NLU learns from
    (minimal_bot / "domain.yml").write_text(MINIMAL.replace('    - "Hi!"', '    - "Hi!"\n    - "Hello!"'))
    third = train(minimal_bot, out)
    assert set(third.reused) == {"rule_entity_extractor", "keyword_intent_classifier"}
    assert set(third.trained) == {"flow_policy", "template_nlg"}
    # a config change retrains that component only
    text = (minimal_bot / "domain.yml").read_text()
    (minimal_bot / "domain.yml").write_text(
        text.replace(
            "  - name: keyword_intent_classifier\n", "  - name: keyword_intent_classifier\n    threshold: 0.5\n"
        )
    )
    fourth = train(minimal_bot, out)
    assert fourth.trained == ["keyword_intent_classifier"]
    assert train(minimal_bot, out, force=True).reused == []


def test_failed_training_keeps_the_previous_model(minimal_bot, tmp_path, capsys):
    out = tmp_path / "m"
    train(minimal_bot, out)
    before = (out / "manifest.json").read_text()
    (minimal_bot / "domain.yml").write_text(MINIMAL.replace(STAND_IN, "pipeline:\n  - name: no_such_component\n"))
    assert main(["train", str(minimal_bot), "--out", str(out)]) == 2
    assert "error DK601" in capsys.readouterr().err
    assert (out / "manifest.json").read_text() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".m-")]


def test_pipeline_missing_a_stage(minimal_bot, tmp_path):
    (minimal_bot / "domain.yml").write_text(
        MINIMAL.replace(STAND_IN, "pipeline:\n  - name: keyword_intent_classifier\n  - name: flow_policy\n")
    )
    with pytest.raises(ConfigError) as exc:
        train(minimal_bot, tmp_path / "m")
    assert exc.value.codes == ["DK605"] and "template_nlg" in exc.value.issues[0].fix


def test_bad_component_config_points_at_the_pipeline_entry(minimal_bot, tmp_path, capsys):
    (minimal_bot / "domain.yml").write_text(
        MINIMAL.replace(
            STAND_IN,
            "pipeline:\n  - name: keyword_intent_classifier\n    treshold: 2\n  - name: flow_policy\n  - name: "
            "template_nlg\n",
        )
    )
    assert main(["train", str(minimal_bot), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "domain.yml:5:5: error DK603" in err and "did you mean 'threshold'" in err


def test_train_cli_reports_reuse(minimal_bot, tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["train", str(minimal_bot), "--out", str(out), "--tar"]) == 0
    assert main(["train", str(minimal_bot), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "unchanged" in text and "reused" in text and (tmp_path / "m.tar.gz").is_file()
    shutil.rmtree(out)


def _tar(src, dest, arcname="model"):
    with tarfile.open(dest, "w:gz") as t:
        t.add(src, arcname=arcname)
    return dest


@pytest.fixture
def cache(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("DIALOGKIT_CACHE", str(path))
    return path / "models"


def test_tarball_is_unpacked_once_into_the_cache(model, tmp_path, cache):
    tar = _tar(model, tmp_path / "m.tar.gz")
    for _ in range(3):
        assert Agent.load(tar).parse("hi")["intent"]["name"] == "greet"
    assert len(list(cache.iterdir())) == 1  # one entry, reused; it used to leave a copy per load in /tmp


def test_tarball_over_the_size_cap_is_refused_before_anything_is_written(tmp_path, cache, monkeypatch):
    import io

    bomb = tmp_path / "zeros.tar.gz"
    with tarfile.open(bomb, "w:gz") as t:
        info = tarfile.TarInfo("model/zeros.bin")
        info.size = 50 * 1024 * 1024
        t.addfile(info, io.BytesIO(bytes(info.size)))
    monkeypatch.setenv("DIALOGKIT_MAX_MODEL_BYTES", str(10 * 1024 * 1024))
    with pytest.raises(ArchiveError) as exc:
        Agent.load(bomb)
    assert exc.value.codes == ["DK507"] and "more than 10485760 bytes" in str(exc.value)
    assert list(cache.iterdir()) == []  # no staging folder, no partial entry


def test_failed_loads_leave_nothing_behind(model, tmp_path, cache):
    (model / "domain.json").write_text("{}")  # fails its checksum
    with pytest.raises(ArchiveError):
        Agent.load(_tar(model, tmp_path / "tampered.tar.gz"))
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(_tar(model, tmp_path / "ok.tar.gz").read_bytes()[:300])
    with pytest.raises(ArchiveError):
        Agent.load(broken)
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize("entry, code, text", [
    ({"dir": "components/0_x", "config": {}}, "DK502", "needs a `name`"),
    ({"name": "flow_policy", "dir": "../../elsewhere", "config": {}}, "DK507", "outside the archive"),
])
def test_bad_manifest_component_entries_are_clear_errors(model, capsys, entry, code, text):
    manifest = json.loads((model / "manifest.json").read_text())
    manifest["components"][0] = entry
    (model / "manifest.json").write_text(json.dumps(manifest))
    assert main(["shell", str(model)]) == 2
    err = capsys.readouterr().err
    assert f"error {code}" in err and text in err and "Traceback" not in err and "internal error" not in err
