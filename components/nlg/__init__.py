"""nlg components."""
