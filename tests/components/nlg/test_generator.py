"""The T5 response generator: codec, guard, plain-torch runtime, train/save/load, fallback."""

from __future__ import annotations

import numpy as np
import pytest

from dialogkit.components.nlg.codec import WordPieceCodec
from dialogkit.components.nlg.generator import T5NLG
from dialogkit.components.nlg.guard import Lexicon, check
from dialogkit.components.nlg.plans import linearize, plan_responses, training_pairs
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.runtime.pipeline import TrainingContext, resolve_config

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` skips it (a quick run while developing)

TINY = {
    "d_model": 32,
    "d_ff": 64,
    "d_kv": 8,
    "num_heads": 4,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "min_steps": 40,
    "epochs": 5,
    "init_embeddings": False,
    "seed": 3,
    "gate": False,
}  # these tests judge the decoder itself


def domain() -> Domain:
    return Domain.model_validate(
        {
            "entities": {"cuisine": {"synonyms": {"italian": ["pasta"]}}},
            "slots": {
                "cuisine": {
                    "type": "categorical",
                    "values": ["italian", "thai"],
                    "mappings": [{"type": "from_entity", "entity": "cuisine"}],
                },
                "n": {"type": "int"},
                "ref": {"type": "text"},
            },
            "responses": {
                "utter_greet": {"variations": ["Hello there!"], "paraphrases": ["Hi! Nice to see you."]},
                "utter_confirm": {
                    "variations": [
                        "A table for {n}, {cuisine} food. OK?",
                        {"text": "Big group of {n} for {cuisine}! OK?", "condition": "n > 8"},
                    ],
                    "paraphrases": ["So {n} people, {cuisine}. Right?"],
                },
                "utter_area": ["We serve italian and thai food."],
                "utter_buttons": [{"buttons": [{"title": "Yes", "payload": "/affirm"}]}],
            },
        }
    )


@pytest.fixture(scope="module")
def codec():
    from dialogkit.components.nlu.encoder_source import resolve_encoder

    return WordPieceCodec.from_encoder(resolve_encoder("default"), slots=["n", "cuisine"])


@pytest.mark.parametrize("text", [
    "Hello! I can book you a table. What would you like?",
    "A table for {n}, {cuisine} food; large parties (over 8) may need a deposit.",
    "I'm a bot. It's OK, literal {{braces}} and \"quotes\" stay.",
    "Prices are £20-25 per person, 5 out of 5.",
])
def test_codec_round_trips_case_spacing_and_placeholders(codec, text):
    codec.grow([text])
    assert codec.decode(codec.encode(text)) == text


def test_codec_keeps_placeholders_as_single_tokens_and_escapes_literal_braces(codec):
    codec.grow(["{{n}}"])
    ids = codec.encode("{n}")
    assert len(ids) == 2 and codec.tokens[ids[0]] == "{n}"
    assert codec.decode(codec.encode("{{n}}")) == "{{n}}"  # a literal "{n}" never becomes a placeholder


def test_linearization_lists_name_placeholders_values_and_conditions():
    assert linearize("utter_x", ["b", "a"], {"food": "thai"}, ["n > 8"]) == "utter x | {a} {b} | food = thai | if n > 8"


def test_training_pairs_cover_variations_and_paraphrases():
    d = domain()
    pairs = training_pairs(d, plan_responses(d))
    targets = {b for _, b in pairs}
    assert {
        "Hello there!",
        "Hi! Nice to see you.",
        "So {n} people, {cuisine}. Right?",
        "Big group of {n} for {cuisine}! OK?",
    } <= targets
    assert ("utter confirm | {cuisine} {n} | if n > 8", "Big group of {n} for {cuisine}! OK?") in pairs
    assert "utter_buttons" not in plan_responses(d)  # nothing to generate: the template is used


# --- the guard ---------------------------------------------------------------------------

def judge(template, **kw):
    d = domain()
    args = {"required_placeholders": ["n", "cuisine"], "required_values": {}, "response_slots": ["n", "cuisine"],
            "filled": {"n": 4, "cuisine": "thai"}, "lexicon": Lexicon.from_domain(d)}
    args.update(kw)
    return check(template, **args)


def test_guard_passes_a_faithful_reply():
    assert judge("Table for {n}, {cuisine}?").ok


def test_guard_missing_value():
    v = judge("Table for {n}?")
    assert not v.ok and v.missing == ["cuisine"]


def test_guard_wrong_value():
    v = judge("Table for {n}, {cuisine}, or italian?")
    assert v.wrong == ["cuisine=italian"]
    assert judge("Table for {n}, {cuisine}, with pasta?").wrong == ["cuisine=italian"]  # a synonym counts


def test_guard_extra_value():
    assert judge("Table for {n}, {cuisine}, ref {ref}?").extra == ["{ref}"]
    v = judge("Hello, AB12!", required_placeholders=[], response_slots=[], filled={"ref": "AB12"})
    assert v.extra == ["ref=AB12"]
    # a value that is part of the response's own wording is not "extra"
    assert judge(
        "We serve italian and thai food.",
        required_placeholders=[],
        response_slots=[],
        filled={"cuisine": "thai"},
        own_wording="We serve italian and thai food.",
    ).ok


def test_guard_lexical_values_longest_form_wins():
    lex = Lexicon({"ff": {"yes": ["family friendly"], "no": ["not family friendly"]}}, {"ff": ["yes", "no"]})
    kw = {"required_placeholders": [], "response_slots": ["ff"], "lexicon": lex}
    assert check("It is not family-friendly.", required_values={"ff": "no"}, filled={"ff": "no"}, **kw).ok
    v = check("It is family-friendly.", required_values={"ff": "no"}, filled={"ff": "no"}, **kw)
    assert v.missing == ["ff=no"] and v.wrong == ["ff=yes"]
    # hallucinated: the response may state ff, it was not given, and the reply states it anyway
    assert check("It is family friendly.", required_values={}, filled={}, **kw).extra == ["ff=yes"]


# --- the T5 runtime ----------------------------------------------------------------------

@pytest.mark.parametrize("ff", ["relu", "gated-gelu"])
def test_numpy_t5_matches_transformers(tmp_path, ff):
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from dialogkit.components.nlg.t5_runtime import T5Runtime

    torch.manual_seed(0)
    cfg = T5Config(
        vocab_size=50,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        feed_forward_proj=ff,
        tie_word_embeddings=ff == "relu",
        decoder_start_token_id=0,
        eos_token_id=1,
        pad_token_id=0,
    )
    hf = T5ForConditionalGeneration(cfg).train(False)
    hf.save_pretrained(tmp_path)
    rt = T5Runtime.from_dir(tmp_path)
    ids = torch.randint(2, 50, (3, 7))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    dec = torch.randint(2, 50, (3, 5))
    dec[:, 0] = 0
    with torch.no_grad():
        want = torch.log_softmax(hf(input_ids=ids, attention_mask=mask, decoder_input_ids=dec).logits, -1).numpy()
        ref = hf.generate(input_ids=ids, attention_mask=mask, max_length=10, do_sample=False, num_beams=1)
    got = rt.logits(ids.numpy(), mask.numpy(), dec.numpy())
    assert isinstance(got, np.ndarray) and np.allclose(got, want, atol=1e-4)

    def until_eos(row):
        row = row[1:].tolist()
        return row[: row.index(1)] if 1 in row else row

    assert [h[0][0] for h in rt.generate(ids.numpy(), mask.numpy(), max_length=9)] == [until_eos(row) for row in ref]


def random_t5(path, seed):
    """A small random T5 (vocabulary 30, end token 1) saved to ``path`` and read by the numpy runtime, with three
    padded inputs."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from dialogkit.components.nlg.t5_runtime import T5Runtime, pad_batch

    torch.manual_seed(seed)
    cfg = T5Config(vocab_size=30, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
                   decoder_start_token_id=0, eos_token_id=1, pad_token_id=0)
    T5ForConditionalGeneration(cfg).train(False).save_pretrained(path)
    ids, mask = pad_batch([[5, 6, 7, 8], [9, 3], [4, 4, 2]], 0)
    return T5Runtime.from_dir(path), ids, mask


@pytest.mark.parametrize("beams", [1, 3])
def test_numpy_t5_scores_are_the_mean_log_prob_of_what_it_wrote(tmp_path, beams):
    """Each returned hypothesis's score is the mean log-probability (its end token included) the
    model gives it teacher-forced; beam search returns them best first, without duplicates."""
    rt, ids, mask = random_t5(tmp_path, seed=1)
    for row, hyps in enumerate(rt.generate(ids, mask, max_length=12, num_beams=beams, num_return=beams)):
        assert len(hyps) == beams and [h for h, _ in hyps] == [
            list(x) for x in dict.fromkeys(tuple(h) for h, _ in hyps)
        ]
        assert [sc for _, sc in hyps] == sorted((sc for _, sc in hyps), reverse=True)
        for tokens, score in hyps:
            target = [*tokens, 1] if len(tokens) < 12 else tokens  # cut at max_length: no end token
            logp = rt.logits(ids[row : row + 1], mask[row : row + 1], np.array([[0, *target[:-1]]]))[0]
            assert score == pytest.approx(float(np.mean(logp[np.arange(len(target)), target])), abs=1e-5)


@pytest.mark.parametrize("beams", [1, 3])
def test_constrained_decoding_says_each_required_placeholder_once_and_no_other(tmp_path, beams):
    """With a placement, every hypothesis of a random model says exactly the placeholder tokens its
    input requires, once each, before its end; without it, the same model says others or none."""
    from dialogkit.components.nlg.constraints import Placement

    rt, ids, mask = random_t5(tmp_path, seed=3)
    controlled = (20, 21, 22, 23)
    required = ((20, 23), (), (21,))
    placed = rt.generate(ids, mask, max_length=16, num_beams=beams, num_return=beams,
                         placement=Placement(controlled, required))
    for row, hyps in enumerate(placed):
        assert hyps
        for tokens, _ in hyps:
            said = [t for t in tokens if t in controlled]
            assert sorted(said) == sorted(required[row]), (row, tokens)
    free = rt.generate(ids, mask, max_length=16, num_beams=beams, num_return=beams)
    assert free != placed


SERVE_CHILD = """
import json, sys
from dialogkit import Agent
agent = Agent.load(sys.argv[1])
replies = [m for text in ("hi", "I'd like to book a table") for m in agent.handle(text, conversation_id="u")]
print(json.dumps({"torch": "torch" in sys.modules, "transformers": "transformers" in sys.modules,
                  "generated": [m.get("generated") for m in replies], "texts": [m["text"] for m in replies]}))
"""


def test_the_restaurant_bot_answers_with_its_generator_without_importing_torch(restaurant_model):
    """The example bot as served: ONNX NLU and the numpy T5, torch and transformers never imported."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", SERVE_CHILD, str(restaurant_model)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["torch"] is False and answer["transformers"] is False
    assert answer["generated"] == [True, True] and all(answer["texts"])


# --- the component -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = domain()
    gen = T5NLG(resolve_config("t5_nlg", TINY), d)
    gen.train(TrainingContext(None, [], 3))
    path = tmp_path_factory.mktemp("t5nlg")
    gen.save(path)
    return gen, path


def assert_same_candidates(got, want):
    """Same texts, same scores up to float noise (``want`` may come from the cache of the check
    after training, decoded in a larger, differently padded batch)."""
    assert [[c for c, _ in row] for row in got] == [[c for c, _ in row] for row in want]
    assert [s for row in got for _, s in row] == pytest.approx([s for row in want for _, s in row], abs=1e-5)


def test_tiny_generator_round_trips_through_save_and_load(trained):
    gen, path = trained
    loaded = T5NLG.load(path, gen.config, gen.domain)
    inputs = [gen.request("utter_confirm", {"n": 3, "cuisine": "thai"})[0], gen.request("utter_greet", {})[0]]
    assert_same_candidates(loaded.generate(inputs), gen.generate(inputs))
    assert (path / "t5" / "model.safetensors").is_file() and (path / "codec.json").is_file()


def test_generator_falls_back_to_the_template_and_says_why(trained):
    gen, _ = trained
    gen._cache.clear()
    gen._cache[gen.request("utter_confirm", {"n": 3, "cuisine": "thai"})[0]] = [("Table for {n}, italian.", -0.1)]
    msg = gen.render_batch([("utter_confirm", {"n": 3, "cuisine": "thai"})])[0]
    assert msg["generated"] is False
    assert msg["text"] == "A table for 3, thai food. OK?"
    assert "missing: cuisine" in msg["fallback"] and "wrong: cuisine=italian" in msg["fallback"]


def test_generated_reply_is_filled_once_and_marked(trained):
    gen, _ = trained
    gen._cache.clear()
    slots = {"n": 3, "cuisine": "thai", "ref": "{n}{0.__class__}"}
    gen._cache[gen.request("utter_confirm", slots)[0]] = [("So {n} people, {cuisine}. Right?", -0.1)]
    msg = gen.render_batch([("utter_confirm", slots)])[0]
    assert msg == {
        **msg,
        "text": "So 3 people, thai. Right?",
        "generated": True,
        "template": "A table for 3, thai food. OK?",
    }
    buttons = gen.render_batch([("utter_buttons", slots)])[0]
    assert buttons["generated"] is False and buttons["buttons"][0]["payload"] == "/affirm"


def test_pretrained_t5_from_a_local_directory(tmp_path):
    """`model: <dir>` fine-tunes a saved T5 with its own tokenizer (built here: no downloads)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    words = (
        "hello there ! hi nice to see you . a table for , food ok ? big group of so people right utter greet "
        "confirm | if n > 8 = 3".split()
    )
    tok.train_from_iterator([" ".join(words)], trainers.WordLevelTrainer(special_tokens=["<pad>", "</s>", "<unk>"]))
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    src = tmp_path / "my-t5"
    hf_tok.save_pretrained(src)
    config = T5Config(
        vocab_size=len(hf_tok),
        d_model=32,
        d_ff=64,
        d_kv=8,
        num_heads=4,
        num_layers=2,
        num_decoder_layers=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    T5ForConditionalGeneration(config).save_pretrained(src)

    d = domain()
    gen = T5NLG(resolve_config("t5_nlg", {**TINY, "model": str(src)}), d)
    gen.train(TrainingContext(None, [], 3))
    out = tmp_path / "saved"
    out.mkdir()
    gen.save(out)
    loaded = T5NLG.load(out, gen.config, d)
    x = gen.request("utter_greet", {})[0]
    assert_same_candidates(loaded.generate([x]), gen.generate([x]))
    assert "{n}" in loaded.codec.tokenizer.get_vocab()  # placeholders were added as tokens


def test_unknown_pretrained_model_is_a_clear_error(tmp_path):
    from dialogkit.framework.errors import ConfigError

    gen = T5NLG(resolve_config("t5_nlg", {**TINY, "model": str(tmp_path / "nope")}), domain())
    with pytest.raises(ConfigError) as e:
        gen.train(TrainingContext(None, [], 3))
    assert "cannot load generator model" in str(e.value)


def test_concurrent_requests_for_one_input_decode_once(trained, monkeypatch):
    import threading
    import time

    gen, _ = trained
    gen._cache.clear()
    calls = []
    real = gen._decode

    def slow_decode(inputs):
        calls.append(list(inputs))
        time.sleep(0.2)  # long enough for every thread to be waiting
        return real(inputs)

    monkeypatch.setattr(gen, "_decode", slow_decode)
    x = gen.request("utter_greet", {})[0]
    results = []
    threads = [threading.Thread(target=lambda: results.append(gen.generate([x]))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [[x]]
    assert len(results) == 8 and all(r == results[0] for r in results)


# --- the guard reads the whole reply ---------------------------------------------------------

PIZZAS = [
    "We have margherita, pepperoni, hawaiian and veggie pizzas.",
    "Our pizzas: margherita, pepperoni, hawaiian, veggie.",
]
ZH = ["你好！有什么可以帮您？", "您好！"]


@pytest.mark.parametrize(
    "candidate, texts, reason",
    [
        # the pizza bot: a correct template turned into "...pepperoni, hawaiian, hawaiian, veggie..."
        (
            "We have margherita, pepperoni, hawaiian, hawaiian, veggie pizzas.",
            PIZZAS,
            "repetition: 'hawaiian' twice in a row",
        ),
        ("Pepperoni, veggie and pepperoni: margherita, pepperoni, hawaiian.", PIZZAS, "repetition: 'pepperoni' x3"),
        (
            "Your table for {n} is booked, booked.",
            ["Your table for {n} is booked."],
            "repetition: 'booked' twice in a row",
        ),
        ("So so so {n} people?", ["So {n} people?"], "repetition: 'so' twice in a row"),
        ("南京南京的天气是{weather}。", ["{city}的天气是{weather}。"], "repetition: '南 京' x2"),
        # the zh bot: "你好" → "！。", "南京天气怎么样" → "南京，。"
        ("！。", ZH, "language: no words"),
        ("{city}，。", ["{city}的天气是{weather}。"], "language: no words"),
        ("Hello, how can I help?", ZH, "language: no CJK characters"),
        ("Booked! " * 20, ["Booked!", "All booked."], "length: 20 words where the response has 1-2"),
        # numbers written in the response are facts: dropped ("到20%" left out) or made up
        (
            "开车前可以在线退票，开车前8天以上免费，之后收5%的手续费。",
            ["开车前可以在线退票，开车前8天以上免费，之后收5%到20%的手续费。"],
            "numbers: 20 missing",
        ),
        ("We are open 9 to 11 daily.", ["We are open 9 to 10 daily.", "Open from 9 to 10."], "numbers: 10 missing"),
        ("Delivery takes 30 minutes for {n}.", ["Delivery takes 45 minutes for {n}."], "numbers: 45 missing"),
    ],
)
def test_guard_refuses_what_the_response_never_reads_like(candidate, texts, reason):
    from dialogkit.components.nlg.guard import style_problems

    problems = style_problems(candidate, texts)
    assert any(p.startswith(reason) for p in problems), problems


@pytest.mark.parametrize("candidate, texts", [
    ("Our pizzas are margherita, pepperoni, hawaiian and veggie.", PIZZAS),
    ("您好！有什么可以帮您的？", ZH),
    ("{city}天气{weather}。", ["{city}的天气是{weather}。"]),
    ("The table for {n} is ready and the time is {time}.", ["The table for {n} is ready; the time is {time}."]),
    ("开车前8天以上免费退票，之后收5%到20%的手续费。", ["开车前可以在线退票，8天以上免费，之后收5%到20%的手续费。"]),
    ("We open at 9, every day.", ["We are open from 9 every day.", "Open at 9 daily."]),
])
def test_guard_passes_replies_that_read_like_the_response(candidate, texts):
    from dialogkit.components.nlg.guard import style_problems

    assert style_problems(candidate, texts) == []


def test_a_repeating_candidate_falls_back_to_the_template_and_says_why(trained):
    gen, _ = trained
    gen._cache.clear()
    slots = {"n": 3, "cuisine": "thai"}
    gen._cache[gen.request("utter_confirm", slots)[0]] = [("A table table for {n}, {cuisine} food. OK?", -0.1)]
    msg = gen.render_batch([("utter_confirm", slots)])[0]
    assert msg["generated"] is False and msg["text"] == "A table for 3, thai food. OK?"
    assert msg["fallback"].startswith("repetition: 'table' twice in a row")


def test_a_zh_reply_of_punctuation_never_reaches_the_user(trained):
    gen, _ = trained
    zh = Domain.model_validate({"language": "zh", "responses": {"utter_greet": ["你好！", "您好！很高兴见到您。"]}})
    zh_gen = T5NLG(resolve_config("t5_nlg", TINY), zh)
    zh_gen.runtime = gen.runtime  # any trained runtime: the candidate is injected below
    zh_gen._cache[zh_gen.request("utter_greet", {})[0]] = [("！。", -0.1)]
    msg = zh_gen.render_batch([("utter_greet", {})])[0]
    assert msg["generated"] is False and msg["text"] in ("你好！", "您好！很高兴见到您。")
    assert msg["fallback"].startswith("language: no words")
