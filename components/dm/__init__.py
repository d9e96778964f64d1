"""dm components."""
