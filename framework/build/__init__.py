"""Building a bot: validation (domain, flows, action code), training the pipeline, the model archive
and where each bot's model lives."""
