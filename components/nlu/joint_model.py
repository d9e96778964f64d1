"""Joint intent classification and slot tagging: a BERT encoder, an intent head, a CRF tagger.

One forward pass per message (or two encoders when ``slot_encoder`` is given):

    input_ids (B, T) ─► encoder ─► hidden (B, T, H)
        mean over real tokens ──► dropout ─► intent_head ─► intent_logits (B, I)
        first piece of each word ─► (B, W, H) ─► dropout ─► tag_head ─► emissions (B, W, K) ─► CRF

With ``sparse_features`` (the bot's character n-gram and word features,
:mod:`dialogkit.components.nlu.sparse_features`), each word's bag and the message's bag are embedded
(``EmbeddingBag``, a linear layer over the counts) and concatenated to the encoder's word
and pooled vectors before the heads:

    word bags (B*W) ─► EmbeddingBag ─► ReLU ─► (B, W, S) ─┐ concat with words ─► tag_head
    message bag (B) ─► EmbeddingBag ─► ReLU ─► (B, S) ────┘ concat with pooled ─► intent_head

Before the heads are trained, a bot with few examples per intent gets pair training of the
encoder (``contrastive_epochs``, as SetFit's first step): the messages' mean-pooled vectors drawn
together for one intent and apart for two (:func:`~dialogkit.components.nlu.trainer.pair_training`).

Tags are BIO labels over words. Training minimises cross-entropy (with label smoothing,
for softer confidences) plus the CRF negative log-likelihood; decoding is Viterbi.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchcrf import CRF


class JointIntentSlotModel(nn.Module):
    def __init__(
        self,
        encoder: nn.Module,
        n_intents: int,
        n_tags: int,
        dropout: float = 0.1,
        slot_encoder: nn.Module | None = None,
        label_smoothing: float = 0.1,
        sparse_features: int = 0,
        sparse_dim: int = 128,
    ):
        super().__init__()
        self.encoder = encoder
        self.slot_encoder = slot_encoder  # None: the intent and slot heads share one encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        extra = sparse_dim if sparse_features else 0
        self.word_bag = nn.EmbeddingBag(sparse_features, sparse_dim, mode="mean") if sparse_features else None
        self.sentence_bag = nn.EmbeddingBag(sparse_features, sparse_dim, mode="mean") if sparse_features else None
        self.intent_head = nn.Linear(hidden + extra, n_intents)
        self.tag_head = nn.Linear((slot_encoder or encoder).config.hidden_size + extra, n_tags)
        self.crf = CRF(n_tags, batch_first=True)
        self.intent_loss = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, word_index: torch.Tensor,
                sparse: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Return intent logits (B, I) and tag emissions (B, W, K).

        ``word_index`` (B, W) holds, for each word, the position of its first sub-word piece;
        ``sparse`` (a :class:`~dialogkit.components.nlu.sparse_features.SparseBatch`) the feature
        bags when the model has sparse features.
        """
        word_feats, sentence_feats = self.bag_features(word_index, sparse)
        return self.from_features(input_ids, attention_mask, word_index, word_feats, sentence_feats)

    def bag_features(self, word_index: torch.Tensor, sparse: Any) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The pooled feature bags: per word (B, W, S) and per message (B, S); ``(None, None)``
        for a model without sparse features."""
        if self.word_bag is None or self.sentence_bag is None:
            return None, None
        if sparse is None:
            raise ValueError("this model reads sparse features: pass the batch's SparseBatch")
        b, w = word_index.shape
        word_feats = torch.relu(self.word_bag(sparse.word_ids, sparse.word_offsets)).view(b, sparse.words_per_row, -1)[
            :, :w
        ]
        return word_feats, torch.relu(self.sentence_bag(sparse.sentence_ids, sparse.sentence_offsets))

    def from_features(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        word_index: torch.Tensor,
        word_feats: torch.Tensor | None = None,
        sentence_feats: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`forward` with the sparse feature bags already pooled: ``word_feats`` (B, W, S)
        and ``sentence_feats`` (B, S) (what the ONNX graph takes: its bags are summed outside)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, H)
        pooled = mean_pool(hidden, attention_mask)  # (B, H)
        tag_hidden = (
            hidden
            if self.slot_encoder is None
            else self.slot_encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        )
        index = word_index.unsqueeze(-1).expand(-1, -1, tag_hidden.size(-1))  # (B, W, H)
        words = torch.gather(tag_hidden, 1, index)  # (B, W, H)
        if word_feats is not None and sentence_feats is not None:
            words = torch.cat([words, word_feats.to(words.dtype)], -1)  # (B, W, H + S)
            pooled = torch.cat([pooled, sentence_feats.to(pooled.dtype)], -1)
        intent_logits = self.intent_head(self.dropout(pooled))  # (B, I)
        emissions = self.tag_head(self.dropout(words))  # (B, W, K)
        return intent_logits, emissions

    def loss(
        self,
        intent_logits: torch.Tensor,
        emissions: torch.Tensor,
        intents: torch.Tensor,
        tags: torch.Tensor,
        word_mask: torch.Tensor,
    ) -> torch.Tensor:
        nll = -self.crf(emissions.float(), tags, mask=word_mask, reduction="mean")
        return self.intent_loss(intent_logits.float(), intents) + nll

    def sentence_vectors(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The messages' vectors the intent head reads (B, H), before the bot's own features: what
        pair training (:func:`~dialogkit.components.nlu.trainer.pair_training`) shapes."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(hidden, attention_mask)

    def decode(self, emissions: torch.Tensor, word_mask: torch.Tensor) -> list[list[int]]:
        """Viterbi-best tag sequence per message (length = number of words)."""
        return self.crf.decode(emissions.float(), mask=word_mask)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The mean of each message's token vectors (B, T, H) over its real tokens: (B, H)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
