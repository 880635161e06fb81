"""The layout ARCHITECTURE.md describes, as far as a test can see it: no import cycle at run time,
and no product module over 400 lines (a sign it does two jobs). The layers themselves are
import-linter's contracts, run by `make lint`."""

from __future__ import annotations

import subprocess

import grimp

from tests.support.servers import REPO

PACKAGES = ("cli", "api", "voice_backend", "pricing", "shared")


def test_no_module_imports_itself_back_at_run_time() -> None:
    # Imports under `if TYPE_CHECKING:` are annotations only; any other import, even inside a
    # function, would make a cycle that only the order of imports keeps from failing.
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    cycles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert cycles == []


def test_no_product_module_is_over_400_lines() -> None:
    files = subprocess.run(
        ["git", "ls-files", *(f"{package}/*.py" for package in PACKAGES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(files) > 100
    long = {name: n for name in files if (n := len((REPO / name).read_text().splitlines())) > 400}
    assert long == {}
