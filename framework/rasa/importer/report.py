"""The import report: what mapped approximately, what was not represented, what conflicted (each with file:line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import Location


@dataclass
class Note:
    """One line of the import report."""

    kind: str  # "mapped" (approximate but working), "dropped" (not represented), "conflict"
    what: str
    where: str | None = None

    def render(self) -> str:
        return f"- **{self.kind}** {self.what}" + (f" ({self.where})" if self.where else "")

@dataclass
class ImportReport:
    source: str
    dest: str
    notes: list[Note] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # (section, name) of the written domain -> Rasa file:line
    sources: dict[tuple[str, str], Location | None] = field(default_factory=dict)

    def add(self, kind: str, what: str, where: Location | str | None = None) -> None:
        self.notes.append(Note(kind, what, str(where) if where else None))

    @property
    def dropped(self) -> list[Note]:
        return [n for n in self.notes if n.kind in ("dropped", "conflict")]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dest": self.dest,
            "counts": self.counts,
            "notes": [n.__dict__ for n in self.notes],
        }

    def to_markdown(self) -> str:
        lines = [f"# Rasa import report: {self.source}", "", "| imported | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in self.counts.items()]
        for kind, title in (
            ("conflict", "Conflicts (the first one was kept)"),
            ("dropped", "Not represented"),
            ("mapped", "Mapped approximately"),
        ):
            notes = [n for n in self.notes if n.kind == kind]
            lines += ["", f"## {title}", ""] + ([n.render() for n in notes] or ["(none)"])
        return "\n".join(lines) + "\n"
