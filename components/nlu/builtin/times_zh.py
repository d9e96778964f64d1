"""Dates and times in Chinese text ("明天晚上七点", "下周三", "三天后"): the pieces times joins and resolves."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .days import CN_WEEKDAYS, Piece, add_months, future_date, next_weekday
from .numbers import CN_NUM, cn_number

_ZH_DAY = re.compile(
    rf"(?P<rel>今天|今日|今晚|明天|明日|明晚|明早|后天|大后天|昨天|前天)"
    rf"|(?P<wrel>下下|下个|下|这个|这|本|上个|上)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    rf"|(?P<nu>下|这|本)(?:个)?(?P<unit>周|星期|礼拜|月)(?![一二三四五六日天1-7])"
    rf"|(?:(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})年)?(?P<mo>{CN_NUM})月(?:(?P<d>{CN_NUM})[日号])?"
    rf"|(?P<dom>{CN_NUM})[日号]"
    rf"|(?P<n>{CN_NUM})(?:个)?(?P<nunit>天|星期|礼拜|周|月)(?:以后|之后|后)")


_ZH_POD = re.compile("早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|夜间|凌晨")


_ZH_CLOCK = re.compile(
    rf"(?P<h>{CN_NUM})(?:点钟|点|时)(?:(?P<half>半)|(?P<q>[一三])刻|(?P<m>{CN_NUM})分?)?|(?P<h24>\d{{1,2}}):(?P<m24>\d{{2}})"
)


_ZH_IN = re.compile(rf"(?P<n>{CN_NUM}|半)(?:个)?(?P<half>半)?(?P<unit>小时|钟头|分钟)(?:以后|之后|后)")


def zh_pieces(text: str, now: datetime) -> list[Piece]:
    today = now.date()
    out: list[Piece] = []
    rel = {
        "今天": 0,
        "今日": 0,
        "今晚": 0,
        "明天": 1,
        "明日": 1,
        "明晚": 1,
        "明早": 1,
        "后天": 2,
        "大后天": 3,
        "昨天": -1,
        "前天": -2,
    }
    for m in _ZH_DAY.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        day, grain, pod = None, "day", None
        if "rel" in g:
            day = today + timedelta(days=rel[g["rel"]])
            pod = g["rel"] if g["rel"] in ("今晚", "明晚", "明早") else None
        elif "wd" in g:
            weekday, wrel = CN_WEEKDAYS[g["wd"]], g.get("wrel", "")
            this_week = today - timedelta(days=today.weekday()) + timedelta(days=weekday)
            day = (
                this_week + timedelta(weeks=2)
                if wrel == "下下"
                else this_week + timedelta(weeks=1)
                if wrel in ("下", "下个")
                else this_week - timedelta(weeks=1)
                if wrel in ("上", "上个")
                else this_week
                if wrel
                else next_weekday(today, weekday, include_today=True)
            )
        elif "unit" in g:
            shift = 0 if g["nu"] in ("这", "本") else 1
            grain = "month" if g["unit"] == "月" else "week"
            day = (
                add_months(today, shift)
                if grain == "month"
                else today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
            )
        elif "mo" in g:
            month = cn_number(g["mo"])
            dom = cn_number(g["d"]) if "d" in g else 1
            year = cn_number(g["y"]) if "y" in g else None
            if not isinstance(month, int) or not isinstance(dom, int) or not 1 <= month <= 12:
                continue
            day = future_date(today, month, dom, int(year) if year is not None else None)
            grain = "day" if "d" in g else "month"
        elif "dom" in g:
            n = cn_number(g["dom"])
            if not isinstance(n, int) or not 1 <= n <= 31:
                continue
            day = future_date(today, today.month, n, None) if n >= today.day else None
            nxt = add_months(today, 1)
            day = day or future_date(today, nxt.month, n, nxt.year)
        elif "n" in g:
            n = cn_number(g["n"])
            if not isinstance(n, int):
                continue
            unit = g["nunit"]
            day = (today + timedelta(days=n) if unit == "天" else today + timedelta(weeks=n) if unit != "月"
                   else add_months(today, n).replace(day=min(today.day, 28)))
        if day is not None:
            out.append(Piece(m.start(), m.end(), day=day, grain=grain, pod=pod))
    out += [Piece(m.start(), m.end(), pod=m.group(), grain="pod") for m in _ZH_POD.finditer(text)]
    for m in _ZH_CLOCK.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        hour = cn_number(g["h"]) if "h" in g else int(g["h24"])
        minute = (
            30
            if "half" in g
            else (15 if g["q"] == "一" else 45)
            if "q" in g
            else cn_number(g["m"])
            if "m" in g
            else int(g.get("m24", 0))
        )
        if isinstance(hour, int) and isinstance(minute, int) and 0 <= hour <= 24 and 0 <= minute <= 59:
            out.append(Piece(m.start(), m.end(), hour=hour % 24, minute=minute, grain="minute" if minute else "hour"))
    for m in _ZH_IN.finditer(text):
        n = 0.5 if m.group("n") == "半" else cn_number(m.group("n"))
        if n is None:
            continue
        minutes = (n + (0.5 if m.group("half") else 0)) * (1 if m.group("unit") == "分钟" else 60)
        out.append(Piece(m.start(), m.end(), grain="minute", instant=now + timedelta(minutes=minutes)))
    return out
