"""Testing a bot: conversation tests, NLU evaluation (metrics, splits, folds) and the NLG check."""
