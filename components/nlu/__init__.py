"""nlu components."""
