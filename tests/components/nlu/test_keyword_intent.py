from dialogkit.components.nlu.keyword_intent import KeywordIntentClassifier, mask
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.training_data import collect_examples
from dialogkit.framework.runtime.pipeline import TrainingContext, Turn, resolve_config
from tests.conftest import DOMAINS


def test_overfits_its_training_data_and_round_trips(tmp_path):
    loaded = load_domain(DOMAINS / "restaurant")
    examples = collect_examples(loaded)
    c = KeywordIntentClassifier(resolve_config("keyword_intent_classifier", {"threshold": 0.0}), loaded.domain)
    c.train(TrainingContext(loaded, examples))

    def predict(model, ex):
        turn = Turn(ex.text, entities=[{"start": s.start, "end": s.end, "entity": s.entity} for s in ex.entities])
        model.process(turn)
        return turn.intent["name"], turn.intent_ranking

    hits = sum(predict(c, ex)[0] == ex.intent for ex in examples)
    assert hits / len(examples) > 0.95
    c.save(tmp_path)
    again = KeywordIntentClassifier.load(tmp_path, c.config, c.domain)
    for ex in examples[:50]:
        assert predict(again, ex) == predict(c, ex)


def test_ranking_and_fallback():
    loaded = load_domain(DOMAINS / "restaurant")
    c = KeywordIntentClassifier(resolve_config("keyword_intent_classifier", {"threshold": 0.99}), loaded.domain)
    c.train(TrainingContext(loaded, collect_examples(loaded)))
    turn = Turn("zzqx")
    c.process(turn)
    assert turn.intent["name"] == "nlu_fallback"
    assert abs(sum(r["confidence"] for r in turn.intent_ranking) - 1) < 0.05 or len(turn.intent_ranking) == 10


def test_mask():
    assert mask("book 4 at 7pm", [(5, 6, "n"), (10, 13, "t")]) == "book  __n__  at  __t__ "
