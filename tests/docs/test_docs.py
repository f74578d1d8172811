"""The README and the manual (docs/) stay true.

- Every ```console block in them is run against the test database and prints what it shows
  (docs/development.md, "The manual", states the convention).
- The README stays a front door: under 150 lines, the two commands, the website at `/`.
- No internal ticket number reaches a reader: README, manual, templates, the API schema,
  the commands' help.
- The traced request of docs/architecture.md names only code that exists, in the order the
  settings run it.
- The configuration table of docs/operations.md names every variable the settings read.
- `mkdocs build --strict` passes.
"""

import ast
import importlib
import importlib.util
import inspect
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command, get_commands, load_command_class
from django.test import Client
from django.urls import resolve

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
README = REPO / "README.md"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
SITE = "http://127.0.0.1:8000"
IN_CI = bool(os.environ.get("CI"))


# --- runnable examples -----------------------------------------------------------------------


def console_blocks(path):
    """``[(line number, [(command, [expected lines])])]`` of every ```console block in ``path``."""
    blocks, block, start = [], None, 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if block is None:
            if stripped == "```console":
                block, start = [], number
        elif stripped.startswith("```"):
            blocks.append((start, block))
            block = None
        elif stripped.startswith("$ "):
            block.append((stripped[2:], []))
        else:
            assert block, f"{path.name}:{number}: output before any `$ ` command"
            block[-1][1].append(line)
    return blocks


EXAMPLES = [
    pytest.param(commands, id=f"{path.name}:{line}") for path in PAGES for line, commands in console_blocks(path)
]

CURL = re.compile(r"curl -s '" + re.escape(SITE) + r"(?P<path>/[^']*)'(?:\s*\|\s*(?P<pipe>.+))?")


def pipeline_commands(pipe):
    """The programs a shell pipeline runs (``jq``, ``head``), not words inside its quoted arguments."""
    lexer = shlex.shlex(pipe, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    return [tokens[0]] + [tokens[i + 1] for i, token in enumerate(tokens[:-1]) if token == "|"]


def run(command, client):
    """What ``command`` prints, run the way the docs say it runs (development.md, "The manual")."""
    if command.startswith("python manage.py "):
        out = io.StringIO()
        call_command(*shlex.split(command)[2:], stdout=out, stderr=io.StringIO(), no_color=True)
        return out.getvalue()
    match = CURL.fullmatch(command)
    assert match, f"not a runnable example (python manage.py … or curl -s '{SITE}/…' [| …]): {command}"
    response = client.get(match["path"])
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if not match["pipe"]:
        return body.decode()
    for tool in pipeline_commands(match["pipe"]):
        if shutil.which(tool) is None:
            if IN_CI:
                pytest.fail(f"{tool} is needed by the example {command!r} (.ci/run installs it)")
            pytest.skip(f"{tool} is not installed (needed by {command!r}; CI requires it)")
    result = subprocess.run(["bash", "-c", match["pipe"]], input=body, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def normalized(text):
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def output_pattern(expected):
    """A line ``...`` stands for any number of lines; ``...`` inside a line for any text."""
    parts = []
    for line in normalized("\n".join(expected)):
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(piece) for piece in line.split("...")) + r"\n")
    return re.compile("".join(parts))


@pytest.fixture
def releases_dir(settings, tmp_path):
    settings.RELEASES_DIR = tmp_path / "releases"


@pytest.mark.django_db
@pytest.mark.parametrize("commands", EXAMPLES)
def test_each_example_prints_what_the_docs_show(commands, releases_dir):
    client = Client()
    for command, expected in commands:
        actual = "".join(line + "\n" for line in normalized(run(command, client)))
        assert output_pattern(expected).fullmatch(actual), (
            f"$ {command}\n--- the docs show:\n" + "\n".join(expected) + f"\n--- it prints:\n{actual}"
        )


def test_the_docs_have_a_modest_number_of_runnable_examples():
    assert 5 <= len(EXAMPLES) <= 14  # each runs in the suite: a handful that matter, not a catalogue


def test_the_pipeline_runs_only_the_programs_it_names():
    assert pipeline_commands("jq -c '.results[] | keys' | head -1") == ["jq", "head"]


def test_the_example_matcher_elides_only_where_asked():
    pattern = output_pattern(["first", "...", "last ... line"])
    assert pattern.fullmatch("first\nmiddle\nmore\nlast data line\n")
    assert pattern.fullmatch("first\nlast data line\n")
    assert not pattern.fullmatch("first\nlast data line\nextra\n")
    assert not output_pattern(["30"]).fullmatch("31\n")


# --- the README is a front door --------------------------------------------------------------


def test_the_readme_is_a_front_door():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    assert "make run" in text and "make test" in text
    assert "website at `/`" in text
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith(("http://", "https://")):
            assert (REPO / target).exists(), target


def test_the_citation_names_the_data_sets_licence():
    yaml = pytest.importorskip("yaml")
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert {"cff-version", "message", "title", "authors"} <= set(citation)
    assert citation["type"] == "dataset"
    assert citation["license"] == django_settings.DATASET_LICENSE["name"]
    assert "version" not in citation and "date-released" not in citation  # the data version says which
    assert (REPO / "LICENSE").read_text().startswith("MIT License")


# --- no internal ticket numbers --------------------------------------------------------------

# "issue 10", "(issue 13)", "finding 4", "ticket #7", "PR #12": numbers of a tracker readers cannot see.
TICKET = re.compile(r"\b(?:issues?|findings?|tickets?|PRs?|pull requests?)\s*#?\d+", re.IGNORECASE)


def reader_facing_files():
    files = [README, REPO / "CONTRIBUTING.md", REPO / "CITATION.cff", REPO / "mkdocs.yml"]
    files += sorted(DOCS.rglob("*.md"))
    files += sorted((REPO / "alliances" / "templates").rglob("*.html"))
    files.append(REPO / "bench" / "results" / "latest.json")  # performance.md's tables
    return [f for f in files if f.exists()]


@pytest.mark.parametrize("path", reader_facing_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_ticket_numbers_in_what_readers_see(path):
    assert TICKET.findall(path.read_text(encoding="utf-8")) == []


def test_no_ticket_numbers_in_the_api_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = json.dumps(SchemaGenerator().get_schema(request=None, public=True), ensure_ascii=False, default=str)
    assert TICKET.findall(schema) == []


def test_no_ticket_numbers_in_the_commands_help():
    for name, app in get_commands().items():
        if app == "alliances":
            parser = load_command_class(app, name).create_parser("manage.py", name)
            assert TICKET.findall(parser.format_help()) == [], name


# --- the traced request (architecture.md) ----------------------------------------------------

ARCHITECTURE = DOCS / "architecture.md"
DOTTED = re.compile(r"`((?:alliances|config|django|csp)(?:\.[A-Za-z_]\w*)+)`")


def traced_request():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    return text.split("## A traced request", 1)[1].split("\n## ", 1)[0]


def dereference(dotted):
    """The module, class, function or attribute ``dotted`` names; fails if there is none."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise AssertionError(f"{dotted} names nothing")


def test_the_traced_request_names_only_code_that_exists():
    names = DOTTED.findall(traced_request())
    assert len(names) >= 20
    for name in names:
        assert dereference(name) is not None, name


def test_the_traced_request_runs_the_middleware_in_the_settings_order():
    named = [n for n in dict.fromkeys(DOTTED.findall(traced_request())) if n in django_settings.MIDDLEWARE]
    assert len(named) >= 8
    positions = [django_settings.MIDDLEWARE.index(n) for n in named]
    assert positions == sorted(positions), named


def test_the_traced_request_follows_the_code_step_by_step():
    from alliances import selectors
    from alliances.api import answers
    from alliances.api.views import BaseViewSet, CountryViewSet
    from alliances.platform import fastpath, viewsets

    # 1. WSGI: the application is wrapped in the fast path (unless FASTPATH=0 turned it off).
    wsgi = importlib.import_module("config.wsgi")
    if os.environ.get("FASTPATH", "1") != "0":
        assert isinstance(wsgi.application, fastpath.FastPath)
    # 3. Routing: the path reaches CountryViewSet.memberships.
    match = resolve("/api/v1/countries/RO/memberships/")
    assert match.func.cls is CountryViewSet and match.func.actions["get"] == "memberships"
    # 4. The shared jobs, in the order the page gives them.
    bases = viewsets.ModelViewSetBase.__mro__
    order = [viewsets.QueryParametersMixin, viewsets.CachedReadMixin, viewsets.SnapshotMixin]
    assert [bases.index(mixin) for mixin in order] == sorted(bases.index(mixin) for mixin in order)
    # 5. The answer: the view calls what the page names, in that order, and the door chooses the path.
    source = inspect.getsource(CountryViewSet.memberships)
    at = 0
    for call in ["membership_query(", "selectors.country_resolve", "answers.periods_of(", "listing("]:
        at = source.index(call, at) + 1  # ValueError: not called, or not in this order
    door = inspect.getsource(answers.periods_of)
    at = 0
    for call in ["view.read_model()", "model.memberships(", "door.select("]:
        at = door.index(call, at) + 1
    assert answers.DOORS["country"].select is selectors.country_memberships
    assert "readmodel.current(" in inspect.getsource(BaseViewSet.read_model)
    assert "store_after_render" in inspect.getsource(viewsets.CachedReadMixin.finalize_response)


def test_the_architecture_page_names_files_that_exist():
    for path in re.findall(
        r"`((?:alliances|config|tests|docs|deploy|bench|scripts|fixtures)/[\w./]*)`",
        ARCHITECTURE.read_text(encoding="utf-8"),
    ):
        assert (REPO / path).exists(), path


# --- the configuration table (operations.md) -------------------------------------------------


def environment_variables(path):
    """Names ``path`` reads from the environment: os.environ.get/[...], os.getenv, env_bool, env_list."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", "env_bool", "env_list", "os.environ.setdefault"):
                found.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant):
                found.add(node.slice.value)
    return found - {"DJANGO_SETTINGS_MODULE"}


def test_the_configuration_table_names_every_variable_the_settings_read():
    names = set()
    for path in (REPO / "config" / "settings.py", REPO / "config" / "wsgi.py", REPO / "gunicorn.conf.py"):
        names |= environment_variables(path)
    assert len(names) > 30
    page = (DOCS / "operations.md").read_text(encoding="utf-8")
    assert sorted(n for n in names if f"`{n}`" not in page) == []


# --- the build -------------------------------------------------------------------------------


def load_hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def test_the_performance_tables_come_from_the_recorded_run():
    results = json.loads((REPO / "bench" / "results" / "latest.json").read_text())
    tables = load_hooks().bench_tables()
    row = results["fixtures"]["rows"]["countries/RO/memberships [uncached]"]
    assert f"| {row['p50_ms']:.2f} |" in tables
    assert "<!-- generated" in (DOCS / "performance.md").read_text()
    assert "```text" not in (DOCS / "performance.md").read_text()  # no pasted transcripts: the hook writes them


@pytest.mark.slow
def test_mkdocs_builds_strictly(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        if IN_CI:
            pytest.fail("mkdocs and mkdocs-material are in requirements-dev.txt; CI needs them")
        pytest.skip("mkdocs / mkdocs-material not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
