"""What the trainers share: the learning-rate schedule, early stopping and training on several devices."""
