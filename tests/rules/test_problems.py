"""Each rule's sentence is written once (alliances/rules/problems.py) and the constraints take theirs from there."""

import ast
import re
import string
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from alliances.rules import problems
from alliances.store import constraints

SOURCE = Path(problems.__file__).resolve().parent.parent  # alliances/


def kinds():
    found, stack = [], [problems.Problem]
    while stack:
        kind = stack.pop()
        found += kind.__subclasses__()
        stack += kind.__subclasses__()
    return sorted(found, key=lambda kind: kind.__name__)


def pattern(text):
    """A template's literal pieces (between its ``{p.…}`` fields), in order, as a regex a copy would match."""
    pieces = [literal.strip(" ,;:.()") for literal, *_ in string.Formatter().parse(text)]
    pieces = [piece for piece in pieces if len(piece) >= 3]
    return re.compile(r"[\s\S]{0,120}?".join(map(re.escape, pieces))) if pieces else None


def string_constants():
    """``{path: the text of its string literals}`` for every Python file of the app but the migrations.

    Read from the syntax tree, so a sentence split over two literals, or around an f-string's
    fields, is found as written; docstrings (which may name a rule) are left out, and so are the
    migrations (a record of the past, not a rule).
    """
    found = {}
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        texts = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        ]
        found[path.relative_to(SOURCE.parent)] = "\n".join(texts)
    return found


STRINGS = string_constants()


@pytest.mark.parametrize("kind", kinds(), ids=lambda kind: kind.__name__)
def test_each_sentence_is_written_once_in_the_source(kind):
    """grep finds a rule's words in alliances/rules/problems.py and nowhere else."""
    if kind is problems.PeriodOutsideExistence:
        return  # names a period, then says another problem's sentence: no words of its own
    for text in {kind.template, *([kind.refusal] if kind.refusal else [])}:
        copy = pattern(text)
        assert [path for path, strings in STRINGS.items() if copy.search(strings)] == [
            Path("alliances/rules/problems.py")
        ], text


def constraints_of_our_models():
    for model in apps.get_app_config("alliances").get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.CheckConstraint | models.UniqueConstraint):
                yield model, constraint


def test_every_constraint_takes_its_message_from_the_problem_it_enforces():
    named = problems.by_constraint()
    found = list(constraints_of_our_models())
    assert len(found) == 33  # 20 of states' periods, citations and aliases; 13 of organizations' own life
    for model, constraint in found:
        assert constraint.name in named, constraint.name
        field, refusal = named[constraint.name]
        assert constraint.violation_error_message == refusal, constraint.name
        model._meta.get_field(field)  # the field the refusal is shown on exists
    # PostgreSQL's exclusion constraint (migration 0002) is not a model constraint, but is named too.
    # and the two exclusion constraints of migrations 0002 and 0042 (PostgreSQL)
    assert set(named) == {c.name for _, c in found} | {
        "membership_no_overlapping_periods",
        "orgmembership_no_overlapping_periods",
    }
    assert constraints.NAMED == named


@pytest.mark.parametrize("kind", kinds(), ids=lambda kind: kind.__name__)
def test_no_sentence_uses_a_name_its_problem_does_not_have(kind):
    for _, field, _, _ in string.Formatter().parse(kind.template):
        if field is not None:
            assert re.fullmatch(r"p\.\w+(\.\w+)?", field), field
            assert hasattr(kind, field.split(".")[1]) or field.split(".")[1] in kind.__dataclass_fields__, field
