"""docs/contracts.md: every behaviour of Pulumi, GitLab, Kubernetes and buildah that the code
relies on and no test here can run for real, each with its source and the tests that tie our
code to it. These tests keep the document honest: every test it names exists, every row has a
source and a status, and the README agrees with it where they speak of the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "docs" / "contracts.md"
STATUSES = ("verified", "verified (fork)", "verified (version inferred)", "verified (fix version not)")


def rows() -> list[dict[str, str]]:
    found = []
    for line in CONTRACTS.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[A-Z]{2}-\d+", cells[0]):
            found.append(dict(zip(("id", "behaviour", "source", "status", "tied_by"), cells, strict=True)))
    return found


def test_every_row_has_a_unique_id_a_source_and_a_status():
    found = rows()
    assert len(found) >= 25
    assert len({row["id"] for row in found}) == len(found)
    for row in found:
        assert row["behaviour"] and row["source"], row["id"]
        assert row["status"] in STATUSES or row["status"].startswith(("not verified", "verified (")), row["id"]


@pytest.mark.parametrize("row", rows(), ids=lambda row: row["id"])
def test_every_test_a_contract_names_exists(row):
    tests = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", row["tied_by"])
    assert tests, f"{row['id']} names no test"
    for path, name in tests:
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"{row['id']}: {path}::{name} does not exist"


def test_what_is_not_verified_says_so_where_it_is_relied_on():
    unverified = [row for row in rows() if row["status"].startswith("not verified")]
    assert unverified  # there are such rows; each must be named as such
    for row in unverified:
        assert "not verified" in row["status"]


def test_the_readme_states_the_minimum_gitlab_version_the_contracts_require():
    (minimum,) = [row for row in rows() if row["id"] == "GL-13"]
    (required,) = re.findall(r"The component needs GitLab (\d+\.\d+)\.", minimum["behaviour"])
    # The newest release any single feature it relies on needs (rows GL-2, GL-3, GL-5).
    assert required == max(re.findall(r"(\d+\.\d+)", minimum["behaviour"]), key=lambda v: tuple(map(int, v.split("."))))
    assert f"needs **GitLab {required}** or later" in (ROOT / "README.md").read_text()
