"""The running bot: the agent's turn loop, the turn records, the tracker, the DM's decision contract,
the component contract and pipeline, and where actions run."""
