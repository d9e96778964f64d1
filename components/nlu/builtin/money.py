"""Amounts of money in English and Chinese text: the amount and its currency (an ISO 4217 code).

A currency is said by a symbol ("$20", "20€", "10k$"), its code before or after the number
("EUR 20", "USD3.14", "42 MYR"), or its name ("ten pounds", "42 ringgit", "两百块", "港币3.14");
cents follow ("$20 and 43c", "20 dollars 43 cents", "20 euros 50" and "20€50" at the end of what is said,
"三块五毛二") or stand alone ("10¢", "ten
pennies", "两毛五"). A scale multiplies ("$4.7 billion", "5 lakh rupees"). Where a name is
several currencies (a "dinar", a "riyal") the name is the unit, as Duckling gives it.
"""

from __future__ import annotations

import re

from .money_ranges import money_interval, money_ranges
from .numbers import (
    CN_DECIMAL,
    CN_DIGITS,
    CN_ESTIMATES,
    CN_NUM,
    CN_SCALES,
    DIGITS,
    MONEY_SCALES,
    RANGE_OPENS,
    WORD_NUM,
    Found,
    alternation,
    cn_decimal,
    cn_number,
    digits_value,
    en_number,
    in_a_word,
    numbers,
    whole,
)

__all__ = ["CURRENCY_WORDS", "SYMBOLS", "amounts"]

SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "₹": "INR", "₪": "ILS",
           "₩": "KRW", "₽": "RUB", "Rs.": "INR", "Rs": "INR", "RM": "MYR"}
# ISO 4217 codes read in capitals (a lower-case "try" or "all" is a word)
CODES = frozenset(
    "USD EUR GBP JPY CNY RMB HKD TWD INR CAD AUD NZD CHF SEK NOK DKK PLN CZK HUF RUB UAH TRY ILS AED SAR QAR KWD "
    "BHD OMR JOD EGP LBP MAD ZAR NGN KES BRL MXN ARS CLP COP PEN SGD MYR THB IDR PHP VND KRW BGN RON MNT PKR".split()
)
CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "bucks": "USD", "buck": "USD", "euro": "EUR", "euros": "EUR",
    "pound": "GBP", "pounds": "GBP", "quid": "GBP", "yen": "JPY", "yuan": "CNY", "renminbi": "CNY",
    "rupee": "INR", "rupees": "INR", "ringgit": "MYR", "ringgits": "MYR", "shekel": "ILS", "shekels": "ILS",
    "franc": "CHF", "francs": "CHF", "tugrik": "MNT", "tugriks": "MNT", "hryvnia": "UAH", "hryvnias": "UAH",
    "dinar": "dinar", "dinars": "dinar", "riyal": "riyal", "riyals": "riyal", "rial": "rial", "rials": "rial",
    "dirham": "dirham", "dirhams": "dirham",
    # codes that are no English word, in any case ("3k usd")
    **{code.lower(): code for code in ("USD", "EUR", "GBP", "JPY", "CNY", "INR", "AUD", "NZD", "CHF", "HKD", "SGD")},
    "rmb": "CNY",
}
# a currency's name after its country's: that country's currency ("50 canadian dollars" are CAD, not USD)
COUNTRY_CURRENCY = {
    "dollar": {"us": "USD", "american": "USD", "canadian": "CAD", "australian": "AUD", "hong kong": "HKD",
               "singapore": "SGD", "new zealand": "NZD", "taiwan": "TWD"},
    "pound": {"british": "GBP", "sterling": "GBP", "egyptian": "EGP", "lebanese": "LBP"},
    "dinar": {"kuwaiti": "KWD", "bahraini": "BHD", "jordanian": "JOD"},
    "riyal": {"saudi": "SAR", "qatari": "QAR"},
    "rial": {"omani": "OMR"},
    "dirham": {"emirati": "AED", "uae": "AED", "moroccan": "MAD"},
    "rupee": {"indian": "INR", "pakistani": "PKR"},
    "ringgit": {"malaysian": "MYR", "malaysia": "MYR"},
    "franc": {"swiss": "CHF"},
    "yen": {"japanese": "JPY"},
    "yuan": {"chinese": "CNY"},
}
_COUNTRIES = "|".join(sorted({c.replace(" ", r"\s+") for names in COUNTRY_CURRENCY.values() for c in names},
                             key=len, reverse=True))
CENT_WORDS = r"cents?|¢|pennies|penny|pence|p|c|sens?|kopiykas?|kopecks?"
_SCALE = MONEY_SCALES
_SCALES = alternation(MONEY_SCALES)
_SYMBOL = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_NAMES = alternation(CURRENCY_WORDS)
_CODE = "|".join(sorted(CODES))
# what may name the currency: a symbol, a code (capitals), a name, optionally after a country ("malaysian ringgit")
_CUR = rf"(?:{_SYMBOL}|(?-i:{_CODE})|(?:(?:{_COUNTRIES})\s+)?(?:{_NAMES}))"
# a decimal comma beside a currency: two digits after it are cents, never thousands ("2,50€", "€ 12,99")
_CENTS_AFTER_COMMA = r"\d+,\d{2}(?![\d,.])"
_EN_AMOUNT = re.compile(
    rf"(?<![\w$€£¥￥₹])(?:(?P<pre>{_CUR})\s?(?P<n1>{_CENTS_AFTER_COMMA}|{DIGITS})(?:\s?(?P<s1>{_SCALES})\b)?"
    rf"|(?P<n2>{_CENTS_AFTER_COMMA}|{WORD_NUM}|an?)(?:\s?(?P<s2>{_SCALES})\b)?\s?(?P<post>{_CUR})"
    rf"(?:(?!\w)|(?<=[€$£¥￥₹₪₩₽])(?=\d{{2}}(?!\w)))(?<!pound(?=\s+of\b))"  # a symbol may have cents after it
    rf"(?<!pounds(?=\s+of\b)))"  # "a pound of flour" is a weight
    rf"(?:\s*(?:and\s+)?(?P<cents>\d{{1,2}}|{WORD_NUM})\s?(?:{CENT_WORDS})\b"
    rf"|\s+and\s+(?P<cents2>\d{{1,2}}|{WORD_NUM})\b(?!\s?{_CUR})"  # "and 20" with no currency: cents
    # two digits after the currency named after the number, ending what is said: cents ("20 euros 50", "20€50")
    rf"|(?<=[^\W\d_]|[€$£¥￥₹₪₩₽])\s?(?P<cents3>\d{{2}})(?=\s*(?:$|[.,!?;)]))"
    rf"|(?<=[€$£¥￥₹₪₩₽])(?P<cents4>\d{{2}})(?!\w))?",  # "20€50 please": the symbol between, no space
    re.I,
)
_EN_CENTS = re.compile(rf"\b(?P<n>\d{{1,3}}|{WORD_NUM})\s?(?:¢|cents?\b|pennies\b|pence\b)", re.I)
_CN_CURRENCY = {"块钱": "CNY", "人民币": "CNY", "元": "CNY", "块": "CNY", "蚊": "HKD", "港币": "HKD", "港元": "HKD",
                "美元": "USD", "美金": "USD", "欧元": "EUR", "英镑": "GBP", "日元": "JPY"}
_CN_CUR = alternation(_CN_CURRENCY)
_PRICED_BY = "个张位名人天晚夜次本件只条份杯瓶碗双对打家辆台部座站趟班场口斤公克米间套层箱盒包"  # measure words
_CN_AMOUNT = re.compile(
    rf"(?P<pre>人民币|港币|港元|美元|欧元)?(?P<n>{CN_DECIMAL})(?P<cur>{_CN_CUR})?"
    # after the yuan: its hundredths said so (三块四分, 三块零四: 3.04), or tenths, then hundredths (三块四, 三块四毛二,
    # 十块零五毛)
    r"(?:(?P<fen1>[一二两三四五六七八九\d])分|零(?P<fen0>[一二两三四五六七八九\d])(?![毛角毫])分?"
    r"|零?(?P<jiao>[一二两三四五六七八九\d])(?:[毛角毫](?:(?P<fen>[一二两三四五六七八九\d])分?)?"
    # a digit alone after the yuan is its tenths, unless it counts what the price is for (十块一张: ten a ticket)
    rf"|(?![{_PRICED_BY}])))?"
)
# money estimated: two digits side by side before a unit (五六百块: 500 to 600, 两三百块钱) or 多 after a round number
# (一百多块: more than 100, less than 200; 二十多元)
_CN_ESTIMATED = re.compile(
    rf"(?P<pair>{CN_ESTIMATES})(?P<scale>[十百千万]*)(?P<cur>{_CN_CUR})"
    rf"|(?P<n>{CN_NUM})多(?P<cur2>{_CN_CUR})"
)
_CN_SMALL = re.compile(r"(?P<jiao>[一二两三四五六七八九\d])[毛角毫](?P<fen>[一二两三四五六七八九\d])?分?")


def _unit(said: str) -> str:
    said = said.strip()
    if said in SYMBOLS:
        return SYMBOLS[said]
    if said.upper() in CODES and said.isupper():
        return "CNY" if said == "RMB" else said
    *country, name = said.lower().split()
    singular = name[:-1] if name.endswith("s") and name[:-1] in COUNTRY_CURRENCY else name
    return COUNTRY_CURRENCY.get(singular, {}).get(" ".join(country)) or CURRENCY_WORDS[name]


def _count(raw: str) -> float | None:
    raw = raw.strip()
    if raw.lower() in ("a", "an"):
        return 1.0
    if re.fullmatch(DIGITS, raw) or re.fullmatch(_CENTS_AFTER_COMMA, raw):
        return digits_value(raw)
    value = en_number(raw)
    return None if value is None else float(value)


def _found(start: int, end: int, value: float, unit: str) -> Found:
    value = whole(round(value, 2))
    return Found(start, end, "amount-of-money", value, {"value": value, "unit": unit})


def _digit(c: str) -> int:
    return CN_DIGITS[c] if c in CN_DIGITS else int(c)


def amounts(text: str, lang: str) -> list[Found]:
    out: list[Found] = []
    said: dict[int, Found] = {}  # each number by where it ends, the longest ("60 million", not its "million")
    for f in numbers(text, "en"):
        if f.end not in said or f.start < said[f.end].start:
            said[f.end] = f
    for m in _EN_AMOUNT.finditer(text):
        n = _count(m.group("n1") or m.group("n2"))
        scale = (m.group("s1") or m.group("s2") or "").lower()
        # the number said before the currency, as the number grammar reads it, in full ("half a million dollars",
        # "two and a half thousand euros"; "twenty" of "between ten and twenty dollars")
        end = m.end("s2") if m.group("s2") else m.end("n2")
        number = said.get(end) if m.group("n2") and not re.fullmatch(_CENTS_AFTER_COMMA, m.group("n2")) else None
        if (n is None and number is None) or (
                scale == "m" and (m.group("s1") or m.group("s2")) != "M" and not m.group("pre")):
            continue  # "20m dollars" is millions only with a capital or a symbol before it
        cents_said = m.group("cents") or m.group("cents2") or (
            m.group("cents3") or m.group("cents4") if m.group("post") else None)
        stop = m.end()
        if m.group("cents2") and RANGE_OPENS.search(text[max(0, m.start() - 40):m.start()]):  # "between $10 and 20"
            cents_said = None
            stop = m.end("post") if m.group("post") else m.end("s1") if m.group("s1") else m.end("n1")
        cents = _count(cents_said) if cents_said else 0.0
        if cents is None or not 0 <= cents < 100:
            continue
        start, value = (number.start, number.value) if number else (m.start(), (n or 0) * _SCALE.get(scale, 1))
        out.append(_found(start, stop, value + cents / 100, _unit(m.group("pre") or m.group("post"))))
    for m in _EN_CENTS.finditer(text):
        n = _count(m.group("n"))
        if n is not None and not any(f.start <= m.start() < f.end for f in out):
            out.append(_found(m.start(), m.end(), n / 100, "USD"))
    if lang == "zh":
        for m in _CN_AMOUNT.finditer(text):
            n = cn_decimal(m.group("n"))
            if n is None or not (m.group("pre") or m.group("cur")):
                continue
            value = n + (_digit(m.group("jiao")) / 10 if m.group("jiao") else 0)
            fen = m.group("fen") or m.group("fen0") or m.group("fen1")
            value += _digit(fen) / 100 if fen else 0
            found = _found(m.start(), m.end(), value, _CN_CURRENCY[m.group("pre") or m.group("cur")])
            if not in_a_word(text, found):  # 三元区 is a district, no three yuan
                out.append(found)
        for m in _CN_ESTIMATED.finditer(text):
            if m.group("pair"):
                scale = cn_number("一" + m.group("scale")) if m.group("scale") else 1
                low, high = (CN_DIGITS[c] * (scale or 1) for c in m.group("pair"))
                unit = _CN_CURRENCY[m.group("cur")]
            else:
                rough, low = m.group("n"), cn_number(m.group("n")) or 0
                zeros = len(rough) - len(rough.rstrip("0"))
                step = CN_SCALES.get(rough[-1]) or (10 ** zeros if rough.isdigit() and zeros else 0)
                high = low + step if low and step else 0  # 一百多, 一百五十多: up to the next hundred, ten
                unit = _CN_CURRENCY[m.group("cur2")]
            if low and high:
                out = [f for f in out if not (m.start() <= f.start < m.end())]  # 一百多块's 多块 is no amount
                out.append(money_interval(m.start(), m.end(), low, high, unit))
        for m in _CN_SMALL.finditer(text):  # 两毛五: tenths, and hundredths, of a yuan
            if not any(f.start <= m.start() < f.end for f in out):
                value = _digit(m.group("jiao")) / 10 + (_digit(m.group("fen")) / 100 if m.group("fen") else 0)
                out.append(_found(m.start(), m.end(), value, "CNY"))
    return out + money_ranges(text, lang, out)
