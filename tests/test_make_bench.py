"""`make bench`, the README's main command, runs the profile the README documents."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess

import pytest

from scenarios.orchestrate import hosts

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def tox_call(*make_args: str) -> list[str]:
    """The tox command line `make bench` would run (make -n prints it, runs nothing)."""
    out = subprocess.run(["make", "-n", "bench", "TOX=tox", *make_args], capture_output=True,
                         text=True, check=True, cwd=hosts.PROJECT_ROOT).stdout
    (line,) = [x for x in out.splitlines() if x.startswith("tox ")]
    return line.split()


def default_profile() -> str:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(hosts.PROJECT_ROOT / "tox.ini")
    match = re.search(r"\{posargs:([^}]*)\}", ini["testenv:bench"]["commands"])
    assert match, "the bench environment has no default profile"
    return match.group(1)


def test_without_args_tox_gets_no_arguments_so_the_default_profile_applies() -> None:
    # a bare "--" would hand tox empty arguments and replace the profile with pyperf's
    # defaults (20 processes per benchmark, hours)
    assert tox_call() == ["tox", "-e", "bench"]


def test_args_replace_the_profile() -> None:
    assert tox_call("ARGS=--fast --runtime python") == [
        "tox", "-e", "bench", "--", "--fast", "--runtime", "python"]


def test_the_readme_documents_the_default_profile() -> None:
    readme = (hosts.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{default_profile()}`" in " ".join(readme.split())
