"""Component implementations, looked up by name through framework.components.BUILTIN_COMPONENTS."""
