"""The suite's own set-up: what tests/conftest.py promises every test."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.conftest import ENGINE_INDEPENDENT, loadgroup
from tests.domain.test_fixtures import SEED_DIR, seed_text


@pytest.mark.django_db
def test_users_are_hashed_with_the_fast_test_hasher():
    user = User.objects.create_user("hasher-probe", password="x")
    assert user.password.startswith("md5$")
    assert user.check_password("x")


def test_missing_seed_article_fails_under_ci_and_is_skipped_otherwise(monkeypatch, tmp_path):
    monkeypatch.setattr("tests.domain.test_fixtures.SEED_DIR", tmp_path)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="seed article is missing"):
        seed_text()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="seed article is missing"):
        seed_text()


def test_seed_article_is_read_from_the_shared_folder():
    if not sorted(SEED_DIR.glob("*.txt")):
        pytest.skip(f"no seed article in {SEED_DIR}")
    assert "Bucharest Nine" in seed_text()


def test_every_collected_test_has_its_own_node_id_and_groups_are_tagged(request):
    """What pytest-xdist schedules by: a duplicated id would run once; an untagged group on both workers."""
    items = request.session.items
    ids = [item.nodeid for item in items]
    assert len(ids) == len(set(ids))
    fuzz = [i for i in ids if i.startswith("tests/api/test_fuzz.py::")]
    assert not fuzz or all(i.endswith("]") for i in fuzz), fuzz[:3]
    if loadgroup(request.config):
        grouped = [item for item in items if any(item.iter_markers("xdist_group"))]
        assert grouped and all("@" in item.nodeid for item in grouped)


def test_make_test_schedules_by_group():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert "pytest -q -n auto --dist loadgroup" in makefile


def test_each_engine_independent_path_names_tests_that_exist():
    """CI's PostgreSQL pass leaves these to the SQLite pass: a path that names nothing would be a dead rule."""
    root = Path(__file__).resolve().parent.parent
    for path in ENGINE_INDEPENDENT:
        assert (root / path).exists(), path
