"""Dates and times in Chinese text ("明天晚上七点", "下周三", "三天后", "差五分十点"): the pieces times joins and
resolves."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from .days import (
    CN_WEEKDAYS,
    Piece,
    add_months,
    future_date,
    next_day_of_month,
    next_weekday,
    now_piece,
    two_digit_year,
    with_weekday,
)
from .holidays import NAMES_ZH as HOLIDAY_NAMES
from .holidays import holiday_on, nth_weekday
from .numbers import CN_NUM, a_little, cn_int, cn_number, inside_a_word

_YEAR_REL = {"前年": -2, "去年": -1, "上年": -1, "今年": 0, "这一年": 0, "明年": 1, "下年": 1, "后年": 2}
_YR = "|".join(_YEAR_REL)
_ZH_DAY = re.compile(
    rf"(?P<now>现在|此时|此刻|当前(?!个?(?:周|星期|礼拜|月))|宜家|而家|依家)"
    rf"|(?:(?P<hy>\d{{4}})年|(?P<hrel>{_YR})的?)?(?P<hol>{HOLIDAY_NAMES})"
    rf"|(?P<rel>今天|今日|今晚|明天|明日|明晚|明早|听日|大后天|大后日|后天|后日|昨天|昨日|寻日|大前天|前天|前日)"
    rf"|(?P<nm>{CN_NUM})月的?(?:第(?P<nn>[一二三四五])个|(?P<nlast>最后一个))(?:周|星期|礼拜)(?P<nwd>[一二三四五六日天1-7])"
    rf"|(?P<wrel>下下|下个|下|这个|这|今个|今|本|上个|上)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    rf"|(?P<mrel>下|这|本|今|上)个?月(?P<md>{CN_NUM})[日号]"
    rf"|(?P<nu>下下|下|这一|这|本|今|上上|上|当前)(?:个)?(?P<unit>周|星期|礼拜|月)(?![一二三四五六日天1-7])"
    rf"|(?P<yr>{_YR})(?:(?P<ymo>{CN_NUM})月(?:(?P<yd>{CN_NUM})[日号])?)?"
    rf"|(?:(?P<y>\d{{4}}|(?<!\d)\d{{2}}|[〇零一二三四五六七八九]{{4}})年)?(?P<mo>{CN_NUM})月(?:(?P<d>{CN_NUM})[日号])?"
    rf"|(?P<zai>再过|(?<![\u4e00-\u9fff])过)?(?P<n>{CN_NUM}|半)(?:个)?(?P<nunit>天|日|星期|礼拜|周|月|年)"
    rf"(?:(?P<ndir>以后|之后|后|以前|之前|前)|(?<=[天日周月年期拜])(?(zai)|(?!)))"  # 三天后, 两天前; 再过两天
    rf"|(?P<dom>{CN_NUM})(?:号|日(?![前后之以]))"  # 五日后 is five days on; 五号以后 after the 5th
    rf"|(?<!\d)(?:(?P<iso>\d{{4}}-\d{{1,2}}-\d{{1,2}})|(?P<num>\d{{1,2}}/\d{{1,2}}(?:/(?:\d{{4}}|\d{{2}}))?))(?![\d/-])")


_ZH_POD = re.compile("早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|夜间|凌晨|半夜|午夜")


# minutes to an hour, before or after it: 差五分十点 and 十点差五分 are 9:55, 差一刻三点 2:45
_ZH_CLOCK = re.compile(
    rf"(?:差(?:(?P<b>{CN_NUM})分钟?|(?P<bq>一)刻钟?))?(?P<h>{CN_NUM})(?:点钟|点|时)"
    rf"(?:(?P<half>半)|(?P<q>[一三])刻|差(?:(?P<a>{CN_NUM})分钟?|(?P<aq>一)刻钟?)|(?P<m>{CN_NUM})分?)?"
    rf"|(?P<h24>\d{{1,2}}):(?P<m24>\d{{2}})(?:\s*(?P<ampm>[ap])\.?m\b\.?)?"
    r"|(?P<h12>\d{1,2})\s*(?P<ampm12>[ap])\.?m\b\.?"  # 明天3pm: an English clock in a Chinese message
)


_ZH_IN = re.compile(
    rf"(?P<n>{CN_NUM}|半)(?:个)?(?P<half>半)?(?P<unit>小时|钟头|分钟|秒钟|秒|(?<=个)钟)(?P<dir>以后|之后|后|以前|之前|前)"
)


_REL_DAYS = {"今天": 0, "今日": 0, "今晚": 0, "明天": 1, "明日": 1, "明晚": 1, "明早": 1, "听日": 1, "后天": 2,
             "后日": 2, "大后天": 3, "大后日": 3, "昨天": -1, "昨日": -1, "寻日": -1, "前天": -2, "前日": -2,
             "大前天": -3}
_WEEK_SHIFT = {"下下": 2, "下个": 1, "下": 1, "这个": 0, "这": 0, "这一": 0, "本": 0, "今": 0, "今个": 0, "当前": 0,
               "上个": -1, "上": -1, "上上": -2}


def _zh_day(g: dict[str, str], today: date) -> tuple[date | None, str]:
    """The day (or first day of the week, month, year) a match of _ZH_DAY names, and its grain."""
    monday = today - timedelta(days=today.weekday())
    if "hol" in g:
        if "hy" in g or "hrel" in g:
            return holiday_on(g["hol"], int(g["hy"]) if "hy" in g else today.year + _YEAR_REL[g["hrel"]]), "day"
        this_year = holiday_on(g["hol"], today.year)
        return (this_year if this_year is None or this_year >= today else holiday_on(g["hol"], today.year + 1)), "day"
    if "rel" in g:
        return today + timedelta(days=_REL_DAYS[g["rel"]]), "day"
    if "nm" in g:  # 十月第一个星期一
        month = cn_int(g["nm"])
        if month is None or not 1 <= month <= 12:
            return None, "day"
        year = today.year if month >= today.month else today.year + 1
        nth = -1 if "nlast" in g else "一二三四五".index(g["nn"]) + 1
        return nth_weekday(year, month, CN_WEEKDAYS[g["nwd"]], nth), "day"
    if "wd" in g:
        weekday, wrel = CN_WEEKDAYS[g["wd"]], g.get("wrel")
        if wrel is None:  # a weekday alone: the next one after today
            return next_weekday(today, weekday), "day"
        return monday + timedelta(weeks=_WEEK_SHIFT[wrel], days=weekday), "day"
    if "mrel" in g:  # 下个月二十号
        first, md = add_months(today, _WEEK_SHIFT[g["mrel"]]), cn_int(g["md"])
        return (future_date(first, first.month, md, first.year) if md else None), "day"
    if "unit" in g:
        shift = _WEEK_SHIFT[g["nu"]]
        if g["unit"] == "月":
            return add_months(today, shift), "month"
        return monday + timedelta(weeks=shift), "week"
    if "yr" in g:
        year = today.year + _YEAR_REL[g["yr"]]
        if "ymo" not in g:
            return date(year, 1, 1), "year"
        month, dom = cn_int(g["ymo"]), cn_int(g["yd"]) if "yd" in g else 1
        if month is None or dom is None or not 1 <= month <= 12:
            return None, "day"
        return future_date(today, month, dom, year), "day" if "yd" in g else "month"
    if "mo" in g:
        month, dom = cn_int(g["mo"]), cn_int(g["d"]) if "d" in g else 1
        said_year = cn_number(g["y"]) if "y" in g else None
        said_year = two_digit_year(int(said_year)) if said_year is not None and len(g["y"]) == 2 else said_year  # 18年
        if month is None or dom is None or not 1 <= month <= 12:
            return None, "day"
        return future_date(today, month, dom, int(said_year) if said_year is not None else None), (
            "day" if "d" in g else "month")
    if "dom" in g:
        n = cn_int(g["dom"])
        return (next_day_of_month(today, n) if n is not None and 1 <= n <= 31 else None), "day"
    if "n" in g:
        unit = g["nunit"]
        if g["n"] == "半":  # 半个月后: fifteen days; 半年后: six months
            if unit not in ("月", "年"):
                return None, "day"
            days, months = (15, 0) if unit == "月" else (0, 6)
        else:
            n = cn_int(g["n"])
            if n is None:
                return None, "day"
            days = n if unit in ("天", "日") else 7 * n if unit not in ("月", "年") else 0
            months = n if unit == "月" else 12 * n if unit == "年" else 0
        if g.get("ndir", "").endswith("前"):  # 三天后, 两天前; 再过两天 is two days on
            days, months = -days, -months
        day = add_months(today, months).replace(day=min(today.day, 28)) if months else today
        return day + timedelta(days=days), "day"
    if "iso" in g:
        y, mo, d = (int(p) for p in g["iso"].split("-"))
        return future_date(today, mo, d, y), "day"
    if "num" in g:  # month/day[/year], as the English default
        parts = [int(p) for p in g["num"].split("/")]
        if not 1 <= parts[0] <= 12:
            return None, "day"
        return future_date(today, parts[0], parts[1], two_digit_year(parts[2]) if len(parts) > 2 else None), "day"
    return None, "day"


_ON_THE_DAY = frozenset("夜节日天晚前后当期间假")  # what a word may add to a day's name and still name the day (除夕夜)


def zh_pieces(text: str, now: datetime) -> list[Piece]:
    today = now.date()
    days: list[Piece] = []
    for m in _ZH_DAY.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        if "now" in g:
            days.append(now_piece(m.start(), m.end(), now))
            continue
        day, grain = _zh_day(g, today)
        if day is None or ("hol" in g and inside_a_word(text, m.start("hol"), m.end("hol"), _ON_THE_DAY)):
            continue  # 五一 of 五一路 (a street), 圣诞 of 圣诞树; not 除夕 of 除夕夜
        piece = Piece(m.start(), m.end(), day=day, grain=grain,
                      pod=g["rel"] if g.get("rel") in ("今晚", "明晚", "明早") else None)
        if "wd" in g and "wrel" not in g:
            piece.weekday = CN_WEEKDAYS[g["wd"]]
        if "mo" in g and "d" in g or "iso" in g or "num" in g:
            piece.dated, piece.said_year = True, "y" in g or "iso" in g or g.get("num", "").count("/") == 2
        days.append(piece)
    out = with_weekday(text, days, today)
    out += [Piece(m.start(), m.end(), pod=m.group(), grain="pod") for m in _ZH_POD.finditer(text)]
    for m in _ZH_CLOCK.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        hour = cn_number(g["h"]) if "h" in g else int(g.get("h24") or g["h12"])
        meridiem = (g.get("ampm") or g.get("ampm12") or "").lower()
        minute = (
            30
            if "half" in g
            else (15 if g["q"] == "一" else 45)
            if "q" in g
            else cn_number(g["m"])
            if "m" in g
            else int(g.get("m24", 0))
        )
        if m.group() == "一点" and a_little(text, m.start()):
            continue
        if "m" in g and len(g["m"]) == 1 and g["m"] != "零" and not m.group().endswith("分"):
            continue  # 两点五 (公里), 零点五: a decimal; five past two is 两点五分, 两点零五
        if g.keys() & {"b", "a", "bq", "aq"}:  # minutes to the hour: the hour before, 60 less them
            short = 15 if "bq" in g or "aq" in g else cn_number(g.get("b") or g["a"])
            if not isinstance(hour, int) or not isinstance(short, int) or not 0 < short < 60 or "m" in g:
                continue
            hour, minute = (hour - 1) % 24, 60 - short
        if meridiem and not (isinstance(hour, int) and 1 <= hour <= 12):
            continue
        if isinstance(hour, int) and isinstance(minute, int) and 0 <= hour <= 24 and 0 <= minute <= 59:
            out.append(Piece(m.start(), m.end(), hour=hour % 24, minute=minute, grain="minute" if minute else "hour",
                             meridiem=meridiem + "m" if meridiem else None))
    for m in _ZH_IN.finditer(text):
        n = 0.5 if m.group("n") == "半" else cn_number(m.group("n"))
        if n is None:
            continue
        unit = m.group("unit")
        each = 1 if unit.startswith("秒") else 60 if unit == "分钟" else 3600
        seconds = (n + (0.5 if m.group("half") else 0)) * each
        sign = -1 if m.group("dir").endswith("前") else 1  # 两小时前: two hours ago
        out.append(Piece(m.start(), m.end(), grain="second" if unit.startswith("秒") else "minute",
                         instant=now + sign * timedelta(seconds=seconds)))
    return out
