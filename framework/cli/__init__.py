"""The command line: argument parsing, what each command does, the shell, interactive learning,
the flow drawing and the starter bot ``dialogkit init`` writes."""
