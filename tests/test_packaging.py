"""The package's metadata: what `make install` reads."""

from __future__ import annotations

import tomllib

from tests.support.servers import REPO


def test_the_licence_is_an_spdx_string_so_the_first_install_is_quiet() -> None:
    # A `license = {text = ...}` table makes setuptools print a long deprecation notice on
    # every build; an SPDX string needs setuptools 77 or later.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    requires = project["build-system"]["requires"]
    assert any(item.replace(" ", "").startswith("setuptools>=77") for item in requires)
