"""``dialogkit serve``: the HTTP app (Rasa's REST channel, parse, tracker, health, the chat page)."""
