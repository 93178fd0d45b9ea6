"""Each chapter's goal, time, prerequisites and exercises, read from its release notebook.

Nothing is retyped: the title is the notebook's ``# `` heading, the goal its first paragraph, the
time the sum of the section headings' "(about N minutes)" estimates, the prerequisites the
paragraph that says what the chapter assumes, the exercises its "Exercise n (k points): ..."
headings (chapter contract, docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TIME = re.compile(r"\(about (\d+) min(?:ute)?s?\)")
EXERCISE = re.compile(r"^#+\s*(Exercise\s+\d+)\s*\(([^)]*)\)\s*:?\s*(.*)$")
ASSUMES = re.compile(r"assumes?|assume from|builds on|prerequisite", re.IGNORECASE)


@dataclass
class Chapter:
    """What the landing page says about one chapter."""

    name: str                     # folder name, e.g. "ch02_quantization_fundamentals"
    title: str                    # "Chapter 2: Quantization fundamentals"
    goal: str                     # the first paragraph (Markdown)
    minutes: int | None           # sum of the sections' estimates; None if none are given
    prerequisites: str            # the "assumes" paragraph (Markdown), or "none stated"
    exercises: list[tuple[str, str, str]] = field(default_factory=list)  # (name, points, title)

    @property
    def number(self) -> str:
        return self.name[2:4]

    @property
    def time_text(self) -> str:
        return "not yet estimated" if self.minutes is None else f"about {self.minutes} minutes"


def _paragraphs(markdown: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]


def chapter_info(name: str, nb) -> Chapter:
    """The :class:`Chapter` of notebook ``nb`` (a release notebook) in folder ``name``."""
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    title, goal, prerequisites = name, "", ""
    minutes: list[int] = []
    exercises = []
    for source in markdown:
        for line in source.splitlines():
            if line.startswith("# ") and title == name:
                title = line[2:].strip()
            if re.match(r"^#{2,}\s", line):
                minutes += [int(m) for m in TIME.findall(line)]
            m = EXERCISE.match(line)
            if m:
                exercises.append((m.group(1), m.group(2), m.group(3).strip()))
    # the introduction: the markdown before the chapter's first "## " section
    first_section = next((i for i, s in enumerate(markdown) if re.match(r"^##\s", s)), 1)
    intro = [p for p in _paragraphs("\n\n".join(markdown[:max(first_section, 1)]))
             if not p.startswith("#")]
    if intro:
        goal = intro[0]
    prerequisites = next((p for p in intro if ASSUMES.search(p)),
                         "none: the course starts here" if name.startswith("ch00")
                         else "not stated in the chapter")
    return Chapter(name=name, title=title, goal=goal, minutes=sum(minutes) or None,
                   prerequisites=prerequisites, exercises=exercises)


def landing_markdown(chapters: list[Chapter], page_of) -> str:
    """The course map in Markdown; ``page_of(name)`` is a chapter page's document path."""
    total = sum(c.minutes or 0 for c in chapters)
    lines = ["## The course map", "",
             f"{len(chapters)} chapters; the estimated ones add up to about "
             f"{total / 60:.1f} hours. Each goal, time, prerequisite and exercise below is read "
             "from the chapter's notebook.", "",
             "| chapter | time | exercises |", "|---|---|---|"]
    for c in chapters:
        points = sum(int(m) for _, pts, _ in c.exercises for m in re.findall(r"\d+", pts)[:1])
        lines.append(f"| [{c.title}]({page_of(c.name)}.ipynb) | {c.time_text} | "
                     f"{len(c.exercises)} ({points} points) |")
    lines.append("")
    for c in chapters:
        lines += [f"### {c.title}", "", f"[Read the chapter]({page_of(c.name)}.ipynb).", "",
                  f"**Time:** {c.time_text}.", "",
                  f"**Goal.** {c.goal}", "",
                  f"**Prerequisites.** {c.prerequisites}", ""]
        if c.exercises:
            lines.append("**Exercises.**")
            lines.append("")
            lines += [f"- {n} ({pts}): {t}" for n, pts, t in c.exercises]
            lines.append("")
        else:
            lines += ["**Exercises.** none", ""]
    return "\n".join(lines)
