"""Numbers, ordinals and the numbers of amounts of money in English and Chinese text (durations: durations.py).

Each finder returns :class:`Found` records (character span, Duckling's dimension name, the
normalised value, Duckling-style ``info``). Numbers are ints when whole, else floats.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CN_DECIMAL", "CN_ESTIMATES", "CN_NUMERALS", "Found", "a_little", "alternation", "cn_decimal", "cn_int",
    "cn_number", "digits_value", "en_number", "in_a_word", "inside_a_word", "numbers", "ordinals", "simplified",
]


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    dim: str  # Duckling's dimension: number, ordinal, amount-of-money, duration, time, email, url, phone-number
    value: Any
    info: dict[str, Any] = field(default_factory=dict, compare=False)


def whole(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


# --- English --------------------------------------------------------------------------

UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}
# scale words shortened after digits ("5 mln", "2 mil", "3 bn") and those of India ("30 lakh", "2 crore")
SHORT_SCALES = {"mln": 10**6, "mil": 10**6, "mn": 10**6, "bn": 10**9, "lakh": 10**5, "lkh": 10**5, "crore": 10**7}
ORDINAL_WORDS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split())}
ORDINAL_WORDS |= {"thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
                  "eightieth": 80, "ninetieth": 90, "hundredth": 100}
def alternation(words: Iterable[str]) -> str:
    """A regex alternation of plain ``words``, the longer first, so that a longer word wins ("mln" before "m")."""
    return "|".join(sorted(words, key=len, reverse=True))


_NUMBER_WORD = alternation([*UNITS, *TENS, *(f"{w}s?" for w in (*SCALES, "dozen")), "couple", "pair", "point", "grand"])
_EN_WORDS = re.compile(
    r"\b(?:(?:a couple of|a pair of|one and a|half an?|an?)\s+)?"  # the longest first: "a couple of hundred"
    rf"(?:(?:{_NUMBER_WORD}|half)(?:[\s-]+(?:and\s+)?(?:a\s+)?)?)*(?:{_NUMBER_WORD}|half)\b",
    re.I,
)
# digits: "1,500.50", "1500", "0.25", and the European "1.234,56" (a decimal comma after points between thousands)
DIGITS = r"\d{1,3}(?:\.\d{3})+,\d{2}(?![\d,.])|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"


def digits_value(said: str) -> float:
    """The value of DIGITS as written: "1,500.50" and "1.500,50" are both 1500.5; "2,50" (two digits after a
    comma: money's) is 2.5."""
    if re.fullmatch(r"[\d.]*\d,\d{2}", said):
        return float(said.replace(".", "").replace(",", "."))
    return float(said.replace(",", ""))


# digits and what multiplies them: "3 million", "2 dozens", "30 lakh", "100k", "1.2M" (a capital M: "2m" is
# as often metres or minutes)
DIGIT_SCALES = {**SCALES, **SHORT_SCALES, "grand": 1000, "dozen": 12, "k": 1000, "m": 10**6, "g": 10**9}
_DIGIT_SCALE_WORDS = alternation(w for w in DIGIT_SCALES if len(w) > 1)
_EN_DIGITS = re.compile(
    rf"(?<![^\W\u3400-\u9fff]|[.,:/-])(?P<neg>-\s?)?(?P<n>{DIGITS}|\.\d+)"  # after a letter none; a Chinese one may
    rf"(?:(?P<suffix>[kK]|M|G)|\s*(?P<scale>{_DIGIT_SCALE_WORDS})s?\b)?"
    r"(?![\w]|[.,:/]\d)"
)
_AFTER_A_NUMBER = re.compile(r"\d\s*$")
# the words that open a range just before its first end ("between 10 and 20 dollars", "from about 10 to 12")
RANGE_OPENS = re.compile(r"\b(?:between|from)\s+(?:about\s+|around\s+)?$", re.I)
# what multiplies an amount of money ("$4.7 billion", "10k dollars", "5 lakh rupees"), and its words
MONEY_SCALES = {**{w: n for w, n in SCALES.items() if n >= 1000}, **SHORT_SCALES, "k": 1000, "m": 10**6,
                "lakhs": 10**5, "crores": 10**7}
# digits, or number words ("twenty five", "a hundred")
WORD_NUM = rf"(?:{DIGITS}|(?:an?\s+)?(?:{_NUMBER_WORD})(?:[\s-]+(?:and\s+)?(?:{_NUMBER_WORD}))*)"
_NEGATIVE = re.compile(r"\b(?:minus|negative)\s+$|负\s?$", re.I)  # 负 1,200,000
# "one" standing for a thing already named, no number: after a determiner ("this one", "which one", "the other
# one"), or after one with a word between ("the second one", "a cheaper one", "that blue one"); "a table for one",
# "just one", "more than one", "number one" are numbers
_PRONOUN_ONE = re.compile(
    r"\b(?:(?:this|that|these|those|which|whichever|another|other|each|every|any|the)"
    r"|(?:the|this|that|a|an|which|another|any|each|every)\s+(?!(?:number|no|and|or|than|of|for|to|in|at|by|just"
    r"|only|about|around|over|under)\b)[a-z]+(?:-[a-z]+)?)\s+$",
    re.I,
)


def en_number(words: str) -> int | float | None:
    """The value of English number words ("two hundred and five", "a dozen", "twenty-one")."""
    tokens = [t for t in re.split(r"[\s-]+", words.lower().strip()) if t]
    total, current, seen, half, point = 0.0, 0.0, False, False, ""
    for i, t in enumerate(tokens):
        if t.endswith("s") and t[:-1] in (*SCALES, "dozen"):
            if not seen:
                return None  # "hundreds of people" is no number; "three billions" is
            t = t[:-1]
        if point and t in UNITS and UNITS[t] < 10:  # "two point five": its digits one by one
            point += str(UNITS[t])
            continue
        if t == "point" and seen and not point:
            point = "."
            continue
        if point:
            current, point = current + (float(point) if point != "." else 0), ""
            if t not in (*SCALES, "dozen"):
                return None  # "two point five" ends at its digits, or a scale ("two point two million")
        if t in UNITS:
            if current % 100 and (current % 10 or UNITS[t] >= 10):
                return None  # "two and three", "one twenty": two numbers; "twenty one", "a hundred and five": one
            current += UNITS[t]
        elif t in TENS:
            if current % 100:
                return None  # "five thirty" is no number (a time, or two numbers); "thirty five" is
            current += TENS[t]
        elif t in ("hundred", "dozen"):
            current, half = _counted(current, half) * (100 if t == "hundred" else 12), False
        elif t in SCALES:  # thousand and up (hundred: above)
            if not current and not half and total:  # "three thousand millions": the whole times the scale
                total *= SCALES[t]
            else:
                total += _counted(current, half) * SCALES[t]
            current, half = 0, False
        elif t == "grand":  # "twenty grand": thousands, after a number only ("the grand total" is none)
            if not current:
                return None
            total, current = total + current * 1000, 0
        elif t in ("couple", "pair") and (i + 1 == len(tokens) or tokens[i + 1] in ("of", *SCALES, "dozen")):
            current += 2
        elif t == "half":
            if i and tokens[i - 1] in UNITS and current:  # "one half" is a half of one, "one and a half" more
                current /= 2
                continue
            half = True
            continue
        elif t in ("a", "an", "and", "of"):
            continue
        else:
            return None
        seen = True
    if not seen or point == ".":
        return None
    return whole(total + current + (float(point) if point else 0) + (0.5 if half else 0))


def _counted(current: float, half: bool) -> float:
    """How many of a scale word were said before it: "a dozen" one, "half a dozen" a half, "two and a half
    thousand" two and a half."""
    return current + 0.5 if half else max(current, 1)


def _en_numbers(text: str) -> list[Found]:
    out = []
    for m in _EN_DIGITS.finditer(text):
        value = digits_value(m.group("n"))
        times = m.group("suffix") or m.group("scale")
        value *= DIGIT_SCALES[times.lower()] if times else 1
        # "10 - 12 people": a dash after a number, no sign
        if m.group("neg") and _AFTER_A_NUMBER.search(text, max(0, m.start() - 20), m.start()):
            out.append(_signed(text, m.start("n"), m.end(), value))
            continue
        out.append(_signed(text, m.start(), m.end(), -value if m.group("neg") else value))
    for m in _EN_WORDS.finditer(text):
        phrase = m.group()
        if phrase.lower().split()[0] in ("a", "an") and not re.search(
            r"hundred|thousand|million|dozen|couple|half", phrase, re.I
        ):
            start = m.start() + len(phrase.split()[0]) + 1  # "a one"? keep the number word only
            phrase = text[start:m.end()]
        else:
            start = m.start()
        edge = re.match(r"(?:point\s+)?(.*?)(?:\s+point)?$", phrase, re.I | re.S)  # "good point two", "one point"
        if edge is not None and edge.group(1) and edge.group(1) != phrase:
            start, phrase = start + edge.start(1), edge.group(1)
        said = en_number(phrase)
        if phrase.lower() == "one" and _PRONOUN_ONE.search(text, max(0, start - 40), start):
            continue  # "the second one": a thing, not a number
        if said is not None and phrase.lower() != "half":
            out.append(_signed(text, start, start + len(phrase), said))
        elif said is None:  # "between two and three": each number its own
            at = start
            for piece in re.split(r"(\s+and\s+)", phrase, flags=re.I):
                each = None if not piece.strip() or piece.strip().lower() in ("and", "half") else en_number(piece)
                if each is not None:
                    out.append(_signed(text, at, at + len(piece), each))
                at += len(piece)
    return out


def _signed(text: str, start: int, end: int, value: float) -> Found:
    """A number, negative when "minus" or "negative" comes just before it."""
    before = _NEGATIVE.search(text[:start])
    if before is not None:
        return Found(before.start(), end, "number", whole(-value))
    return Found(start, end, "number", whole(value))


# --- Chinese --------------------------------------------------------------------------

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
             "俩": 2, "仨": 3}  # 俩, 仨: two, three (of people: 我们俩, 仨人)
CN_SCALES = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
CN_TENS = {"廿": 20, "卅": 30, "卌": 40}  # one character for twenty, thirty, forty (廿三 is 23)
CN_NUMERALS = "零〇一二两俩仨三四五六七八九十百千万亿廿卅卌"  # the characters a Chinese numeral is written with
CN_NUM = f"(?:\\d{{1,3}}(?:,\\d{{3}})+|\\d+)(?:\\.\\d+)?[十百千万亿]*|[{CN_NUMERALS}]+"
_CN = re.compile(CN_NUM)
# Traditional characters as the grammar reads them, one character for one so that spans stay the user's: 兩個鐘
# is read as 两个钟
_TRADITIONAL = str.maketrans(
    "萬億點鐘時個週禮後號兩倆幣塊這從間來對雙錢負尋聽節慶聖誕勞動兒婦愛國現軍復難齋頭歲幾碼參陸",
    "万亿点钟时个周礼后号两俩币块这从间来对双钱负寻听节庆圣诞劳动儿妇爱国现军复难斋头岁几码参陆",
)
# the financial numerals (written on cheques: 參萬肆仟 is 三万四千), read as numerals only beside another numeral or
# before a unit of money, or said alone: in a sentence they are words (队伍 "team", 大陆 "mainland", 參加 "take
# part", 放肆)
_FINANCIAL_CHARS = "壹貳贰參叁肆伍陸陆柒捌玖拾佰仟"
_FINANCIAL = str.maketrans(_FINANCIAL_CHARS, "一二二三三四五六六七八九十百千")
_FINANCIAL_RUN = re.compile(f"[{_FINANCIAL_CHARS}{CN_NUMERALS}萬億]{{2,}}|[{_FINANCIAL_CHARS}](?=[元圆圓块塊角分整])"
                            f"|(?<=^)[{_FINANCIAL_CHARS}]$")


def simplified(text: str) -> str:
    """``text`` as the Chinese grammar reads it, one character for one (traditional characters as simplified, the
    financial numerals as numerals where they are numerals)."""
    text = _FINANCIAL_RUN.sub(lambda m: m.group().translate(_FINANCIAL), text)
    return text.translate(_TRADITIONAL)


def cn_number(text: str) -> int | float | None:
    """The value of a Chinese numeral ("二十五", "两", "一百零八", "3万") or Arabic digits."""
    digits = re.match(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?", text)  # 1,200元
    if digits:
        rest = cn_number("一" + text[digits.end():]) if digits.end() < len(text) else 1
        return None if rest is None else whole(float(digits.group().replace(",", "")) * rest)
    if text[0] in "万亿百千":
        return None
    if text and all(c in CN_DIGITS for c in text) and (len(text) > 2 or "〇" in text or "零" in text):
        return int("".join(str(CN_DIGITS[c]) for c in text))  # read digit by digit: 二〇二六, 一二三
    # two digits side by side are no one numeral: an estimate (七八个人: seven or eight, 一两天; _cn_numbers reads
    # its lower end) or two numbers
    total, section, digit = 0, 0, None
    unit = 1  # what a last digit right after a unit counts in: 一千五 is 1500, 一万二 12000 (一千零五 is 1005)
    for c in text:
        if c in CN_TENS:
            section += CN_TENS[c]
            digit, unit = None, 1
        elif c in CN_DIGITS:
            if digit and CN_DIGITS[c]:
                return None  # 三百五一: two digits without a unit between are no one numeral (350, then 一)
            digit = CN_DIGITS[c]
            unit = 1 if c in "零〇" else unit
        elif c in ("万", "亿"):
            section = (section + (digit or 0)) * CN_SCALES[c]
            total, section, digit, unit = total + section, 0, None, CN_SCALES[c] // 10
        elif c in CN_SCALES:
            section += (digit or 1) * CN_SCALES[c]  # 零十五 (after 一小时) is 15
            digit, unit = None, CN_SCALES[c] // 10 if CN_SCALES[c] >= 100 else 1
        else:
            return None
    return total + section + (digit or 0) * unit


def cn_decimal(said: str) -> int | float | None:
    """A Chinese numeral with its decimals said after 点 ("一点五", "三十点二五"; "三点五万" is 35000), or without."""
    whole_part, point, frac = said.partition("点")
    value = cn_number(whole_part) if whole_part else None
    if value is None or not point:
        return value
    times = re.search("[十百千万亿]+$", frac)
    scale = cn_number("一" + times.group()) if times else 1
    frac = frac[:times.start()] if times else frac
    if not frac or scale is None or any(c not in CN_DIGITS for c in frac):
        return None
    return whole(float(f"{value}.{''.join(str(CN_DIGITS[c]) for c in frac)}") * scale)


def cn_int(said: str) -> int | None:
    """A whole number written in Chinese numerals or digits ("二十", "20"), else None."""
    n = cn_number(said)
    return n if isinstance(n, int) else None


_CN_COUNTED = re.compile(
    rf"(?P<neg>负\s?)?(?P<n>{CN_NUM})(?:点(?P<frac>[零〇一二三四五六七八九]+)(?P<times>[十百千万亿]+)?)?(?P<by>[对双打])?")
_CN_BY = {"对": 2, "双": 2, "打": 12}  # a pair, a pair (of shoes), a dozen


# an estimate, read as its lower end: two digits side by side, the second one more (七八个人 "seven or eight
# people", 一两天, 十一二), or 三五 ("a few"); 十几 ("ten-odd") is ten, but 几十 ("some tens") no number
CN_ESTIMATES = "一两|一二|两三|二三|三四|四五|五六|六七|七八|八九|三五"
_CN_ESTIMATE = re.compile(f"(?:{CN_ESTIMATES})$")
CN_DECIMAL = rf"(?:{CN_NUM})(?:点[零〇一二三四五六七八九]+[十百千万亿]*)?"  # 三点五万, as cn_decimal reads it
# fractions (三分之一 a third) and percentages (百分之二十: 20, as "20%" is read); a half (一半, 半个苹果)
_CN_FRACTION = re.compile(rf"(?P<neg>负\s?)?(?P<d>{CN_NUM})分之(?P<n>{CN_DECIMAL})")
_CN_HALF = re.compile(
    rf"(?<![\d点个天年月周时分秒{CN_NUMERALS}])(?:一半|半个(?!小时|钟|月|星期|礼拜|年|世纪))")


def _cn_numbers(text: str) -> list[Found]:
    out = []
    for m in _CN_COUNTED.finditer(text):
        value = cn_number(m.group("n"))
        if text[m.start() - 1:m.start()] == "几":
            continue
        if value is None and len(m.group("n")) > 1 and (shorter := cn_number(m.group("n")[:-1])) is not None and (
                _CN_ESTIMATE.search(m.group("n")) or re.search(r"[\d十百千万亿廿卅卌]", m.group("n")[:-1])):
            # an estimate, or the numeral ran on into the next word's digit (三百五|一晚): read without its last
            # digit; two other digits alone (五一, May Day) are no number
            out.append(Found(m.start(), m.end("n") - 1, "number", whole(-shorter if m.group("neg") else shorter)))
        if m.group("frac") and value is not None:  # 一点一, 零点五: a decimal point; 三点五万 is 35000
            value = cn_decimal(f"{m.group('n')}点{m.group('frac')}{m.group('times') or ''}")
        if value is not None:
            by = m.group("by")
            value = value * _CN_BY[by] if by else value
            out.append(Found(m.start(), m.end(), "number", whole(-value if m.group("neg") else value)))
    for m in _CN_FRACTION.finditer(text):
        said = cn_decimal(m.group("n"))
        if said is None:
            continue
        parts = 1 if m.group("d") == "百" else cn_number(m.group("d"))  # 百分之二十: 20, as 20%
        if parts:
            value = said / parts
            out.append(Found(m.start(), m.end(), "number", whole(-value if m.group("neg") else value)))
    out += [Found(m.start(), m.end(), "number", 0.5) for m in _CN_HALF.finditer(text)]
    return [f for f in out if not in_a_word(text, f)] if any(not c.isdigit() for c in text) else out


# what may stand beside a numeral in one dictionary word and keep it a number (两张, 三个, 一千五百块, 十分钟)
_CN_MEASURES = frozenset("个張张位名人天晚夜次本件只条块元钱毛角分秒斤两公克米里岁号点时小钟刻周年月日倍层楼"
                         "间套份杯瓶碗双对打家辆台部座站趟班场口半多余来几")


def in_a_word(text: str, number: Found) -> bool:
    """A Chinese numeral that is part of a word of the dictionary with another meaning: 一 of 一共 ("in all"),
    一起 ("together"), 一下 ("a moment"), 统一, 唯一; not of 两张, 三个, 一千五 (numerals and measure words)."""
    if text[number.start:number.end + 1] == "一点" and a_little(text, number.start):
        return True  # 便宜一点: "a little"
    return inside_a_word(text, number.start, number.end, _NUMERAL_WORDS)


_NUMERAL_WORDS = _CN_MEASURES | set(CN_DIGITS) | set(CN_SCALES) | set("0123456789")


def inside_a_word(text: str, start: int, end: int, keeps: Collection[str]) -> bool:
    """``text[start:end]`` is part of a longer word of the dictionary (jieba's) that adds to it characters other than
    ``keeps``: a word of another meaning (一 of 一共, 五一 of 五一路)."""
    from dialogkit.components.nlu.word_boundaries import dictionary_words

    for word, at, stop in dictionary_words(text):
        if at < end and start < stop:
            outside = word[:max(start - at, 0)] + word[end - at:]
            if any(c not in keeps for c in outside):
                return True
    return False


# words before 一点 that make it "a little", not one o'clock, besides adjectives (便宜一点, 快一点)
_A_LITTLE_AFTER = frozenset({"有", "稍微", "稍稍", "稍", "再", "了"})


def a_little(text: str, start: int) -> bool:
    """一点 at ``start`` is "a little" (便宜一点, 有一点贵, 一点点, 晚一点, 多一点, 给我一点时间), not one o'clock
    (下午一点, 我一点到, 会议一点开始, 等到一点, 一点的票): by jieba's words and their parts of speech."""
    from dialogkit.components.nlu.word_boundaries import tagged_words

    if text[start + 2:start + 3] in ("点", "儿"):
        return True
    words = tagged_words(text)
    for i, (word, _flag, at) in enumerate(words):
        if at < start < at + len(word) or (at == start and len(word) > 2):
            return True  # inside a word with another meaning: 晚一点, 多一点
        if at == start:
            before = [(w, f) for w, f, _ in words[:i] if w != "了"]
            after = words[i + 1][1] if i + 1 < len(words) else ""
            # after an adjective (便宜一点) or 有 (有一点贵); before a noun: 一点时间, "a little time"
            return bool(before) and (before[-1][1].startswith("a") or before[-1][0] in _A_LITTLE_AFTER) \
                or after.startswith("n")
    return False


def numbers(text: str, lang: str) -> list[Found]:
    return _en_numbers(text) + (_cn_numbers(text) if lang == "zh" else [])


# --- ordinals -------------------------------------------------------------------------

_EN_ORD = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b|\b(?:(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[\s\-—]?)?("
                     + "|".join(ORDINAL_WORDS) + r")\b", re.I)
_CN_ORD = re.compile(rf"第({CN_NUM})")


def ordinals(text: str, lang: str) -> list[Found]:
    out = []
    for m in _EN_ORD.finditer(text):
        if m.group(1):
            value = int(m.group(1))
        else:
            value = ORDINAL_WORDS[m.group(3).lower()] + (TENS[m.group(2).lower()] if m.group(2) else 0)
        out.append(Found(m.start(), m.end(), "ordinal", value))
    if lang == "zh":
        for m in _CN_ORD.finditer(text):
            n = cn_number(m.group(1))
            if n is not None:
                out.append(Found(m.start(), m.end(), "ordinal", n))
    return out
