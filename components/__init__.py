"""Component implementations, looked up by name through dialogkit.framework.runtime.pipeline.BUILTIN_COMPONENTS."""
