"""Chat shorthand read as the words it stands for, before the NLU model reads a message.

People type "pls", "thx", "cya", "idk" and "acct" to a bot. These are no typos: a speller that only knows
the language's words reads them as the nearest word ("pls" → plus, "smth" → smith, "lemme" → femme, "bday"
→ day), and a model trained on the bot's examples has rarely seen them. The speller
(components/nlu/spelling.py) reads a word of this table as its full form ("pls" → please, "cya" → see you,
"acct" → account) unless the bot's own examples write it as typed, which the model has then learnt.
Entities keep what the user typed (the offsets do not move), and the turn's corrections show the reading.

The table is English chat usage, not any bot's: forms that stand for one thing in a chat with a bot.
Forms with two common readings are left out ("r", "n", "yr": year or your, "prob": problem or probably,
"k": okay or thousand, "gm": good morning or grams, "cos", "def", "diff"), as are words the language has
anyway ("ok", "yep", "nope", "info", "asap").
"lol" is kept as typed: a word of its own, no slip of "lola".
"""

from __future__ import annotations

__all__ = ["SHORTHAND", "shorthand"]

_EN = {
    # asking and thanking
    "pls": "please", "plz": "please", "plox": "please",
    "thx": "thanks", "thnx": "thanks", "thanx": "thanks", "tnx": "thanks", "ty": "thank you",
    "tysm": "thank you so much", "tyvm": "thank you very much", "yw": "you're welcome", "np": "no problem",
    "sry": "sorry", "soz": "sorry",
    # hello and goodbye
    "hiya": "hi", "cya": "see you", "cu": "see you", "ttyl": "talk to you later", "brb": "be right back",
    "gn": "good night", "sup": "what's up", "wassup": "what's up",
    "hru": "how are you", "hbu": "how about you", "wbu": "what about you", "omw": "on my way",
    # yes, no, not sure
    "kk": "okay", "okey": "okay", "okie": "okay", "oki": "okay", "yea": "yeah", "ofc": "of course",
    "ikr": "i know right",
    "idk": "i don't know", "dunno": "don't know", "idc": "i don't care", "nvm": "never mind", "jk": "just kidding",
    "btw": "by the way", "tbh": "to be honest", "imo": "in my opinion", "imho": "in my opinion",
    "fyi": "for your information", "afaik": "as far as i know", "omg": "oh my god", "lol": "lol",
    "rly": "really", "rlly": "really", "srsly": "seriously", "obv": "obviously", "obvs": "obviously",
    "prolly": "probably",
    # words cut short
    "u": "you", "ur": "your", "wanna": "want to", "gonna": "going to", "gotta": "got to", "lemme": "let me",
    "gimme": "give me", "kinda": "kind of", "sorta": "sort of", "outta": "out of", "cuz": "because",
    "coz": "because", "bc": "because", "tho": "though", "altho": "although", "thru": "through", "abt": "about",
    "b4": "before", "rn": "right now", "smth": "something", "sth": "something", "some1": "someone",
    "any1": "anyone", "ppl": "people", "gr8": "great", "l8r": "later", "convo": "conversation",
    # things a bot is asked about
    "msg": "message", "msgs": "messages", "txt": "text", "acct": "account", "accts": "accounts",
    "appt": "appointment", "appts": "appointments", "bday": "birthday", "addr": "address", "amt": "amount",
    "qty": "quantity", "pwd": "password", "pw": "password", "num": "number", "tmrw": "tomorrow",
    "tmr": "tomorrow", "tmw": "tomorrow", "2moro": "tomorrow", "2day": "today", "2nite": "tonight",
    "tonite": "tonight", "nite": "night", "nites": "nights",
}

SHORTHAND: dict[str, dict[str, str]] = {"en": _EN}


def shorthand(language: str) -> dict[str, str]:
    """The shorthand of ``language`` (lower case) and what each stands for; none for other languages."""
    return SHORTHAND.get(language.split("-")[0].split("_")[0].lower(), {})
