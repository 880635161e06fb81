"""docker-compose.yml and the Dockerfile, read against the outside interface.

No Docker engine runs here, so these read the files: the services, their ports, wiring,
volumes, health checks and commands, and that the image holds everything the services import.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import shlex
import tomllib
from importlib import import_module
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from starlette.routing import Match

REPO = Path(__file__).resolve().parents[1]
APPS = {
    # compose service: (its ASGI app, its port in the interface)
    "api": ("api.main:app", 8000),
    "voice_backend": ("voice_backend.app:app", 6000),
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """`environment:` in either of compose's forms (a mapping, or a list of `K=V`)."""
    value = service.get("environment") or {}
    if isinstance(value, list):
        return dict(item.split("=", 1) for item in value)
    return {key: str(item) for key, item in value.items()}


def _interpolated(value: str) -> str:
    """A compose value with `${VAR:-default}` read as its default (no .env in the test)."""
    return re.sub(r"\$\{[A-Z_]+:?-([^}]*)\}", r"\1", value)


def _published(service: dict[str, Any]) -> set[tuple[int, int]]:
    """(host port, container port) pairs, from the short (`"8000:8000"`) or long syntax."""
    pairs = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            pairs.add((int(port["published"]), int(port["target"])))
        else:
            *_, host, container = str(port).split(":")
            pairs.add((int(host), int(container.split("/")[0])))
    return pairs


def _volume_targets(service: dict[str, Any]) -> dict[str, str]:
    """Mount target → source."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume.get("source", "")
        else:
            source, target, *_ = str(volume).split(":")
            mounts[target] = source
    return mounts


def _health_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    assert test[0] in {"CMD", "CMD-SHELL"}, test
    return " ".join(test[1:])


def _serves(target: str, path: str) -> bool:
    """Whether the app answers `GET path` with one of its routes (routers included)."""
    module_name, attribute = target.split(":")
    app = getattr(import_module(module_name), attribute)
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] is Match.FULL for route in app.routes)


def test_three_services(services: dict[str, dict[str, Any]]) -> None:
    assert {"api", "voice_backend", "postgres"} <= set(services)


@pytest.mark.parametrize("name", APPS)
def test_app_services_run_uvicorn_on_the_interface_ports(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    target, port = APPS[name]
    service = services[name]
    command = service["command"]
    command = shlex.split(command) if isinstance(command, str) else command

    assert command[:2] == ["uvicorn", target]
    assert command[command.index("--port") + 1] == str(port)
    assert command[command.index("--host") + 1] == "0.0.0.0"  # reachable from the host
    assert (port, port) in _published(service)
    # ... and published on the host's loopback only: the outside goes through a TLS proxy.
    assert [str(entry) for entry in service["ports"]] == [f"127.0.0.1:{port}:{port}"]
    assert "build" in service
    env_files = service.get("env_file")
    assert env_files, f"{name} does not read .env"


def test_the_api_believes_the_tls_proxy_in_front_of_it(
    services: dict[str, dict[str, Any]],
) -> None:
    # The proxy's connections come from Docker's gateway, not 127.0.0.1: without these the API
    # would take an HTTPS request for plain HTTP and its session cookie would not be Secure.
    api = services["api"]
    assert "--proxy-headers" in api["command"]
    assert api["environment"]["FORWARDED_ALLOW_IPS"] == "${FORWARDED_ALLOW_IPS:-*}"


def test_postgres_is_not_published(services: dict[str, dict[str, Any]]) -> None:
    assert _published(services["postgres"]) == set()


@pytest.mark.parametrize("name", APPS)
def test_app_services_share_one_database(services: dict[str, dict[str, Any]], name: str) -> None:
    url = _interpolated(_environment(services[name])["DATABASE_URL"])
    postgres = _environment(services["postgres"])

    parts = urlsplit(url)
    assert parts.scheme == "postgresql" and parts.hostname == "postgres" and parts.port == 5432
    assert (parts.username, parts.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert parts.path == f"/{postgres['POSTGRES_DB']}"
    assert (
        _environment(services[name])["DATABASE_URL"]
        == _environment(services["voice_backend"])["DATABASE_URL"]
    )


def test_data_volume_for_sqlite_and_pending_results(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    voice = _volume_targets(services["voice_backend"])
    assert "/app/data" in voice
    assert voice["/app/data"] in compose["volumes"]  # a named volume, kept across rebuilds
    # The API opens the same SQLite file when DATABASE_URL is sqlite:///./data/….
    assert _volume_targets(services["api"]).get("/app/data") == voice["/app/data"]
    assert "/var/lib/postgresql/data" in _volume_targets(services["postgres"])


def test_the_api_reaches_the_voice_service_by_its_compose_name(
    services: dict[str, dict[str, Any]],
) -> None:
    url = urlsplit(_environment(services["api"])["CALL_BACKEND_URL"])

    assert (url.scheme, url.hostname, url.port) == ("http", "voice_backend", 6000)


@pytest.mark.parametrize("name", APPS)
def test_app_health_checks_ask_a_real_route_on_the_service_port(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    target, port = APPS[name]
    command = _health_command(services[name])

    (url,) = re.findall(r"https?://[^'\" )]+", command)
    parts = urlsplit(url)
    assert parts.hostname in {"localhost", "127.0.0.1"} and parts.port == port
    assert _serves(target, parts.path), f"{target} has no GET {parts.path}"
    # Readiness where the service offers it, the interface's liveness route otherwise.
    liveness = {"api": "/api/health", "voice_backend": "/healthz"}[name]
    assert _serves(target, liveness)
    assert parts.path == ("/readyz" if _serves(target, "/readyz") else liveness)
    assert "python" in command  # the slim image has no curl


def test_postgres_health_check(services: dict[str, dict[str, Any]]) -> None:
    command = _health_command(services["postgres"])
    postgres = _environment(services["postgres"])

    assert "pg_isready" in command and postgres["POSTGRES_USER"] in command


def test_every_service_has_a_health_check_with_limits(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("api", "voice_backend", "postgres"):
        check = services[name]["healthcheck"]
        assert check["test"] and check["interval"] and check["retries"], name


def test_start_order_waits_for_health(services: dict[str, dict[str, Any]]) -> None:
    def conditions(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert conditions("api") == {
        "postgres": "service_healthy",
        "voice_backend": "service_healthy",
    }
    assert conditions("voice_backend") == {"postgres": "service_healthy"}


# --- the image ------------------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            steps.append((instruction.upper(), rest.strip()))
    return steps


def _copied() -> dict[str, str]:
    """COPY source → destination, each source on its own."""
    copied = {}
    for instruction, rest in _dockerfile():
        if instruction == "COPY":
            *sources, destination = shlex.split(rest)
            for source in sources:
                copied[source.rstrip("/")] = destination
    return copied


def _local_packages_imported() -> set[str]:
    """Top-level packages of this repository that the services' code imports."""
    local = {path.name for path in REPO.iterdir() if path.is_dir()} | {
        path.stem for path in REPO.glob("*.py")
    }
    imported = set()
    for package in ("api", "voice_backend", "shared"):
        for source in (REPO / package).rglob("*.py"):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
    return imported & local


def test_the_image_copies_every_package_the_services_import() -> None:
    copied = _copied()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packaged = {
        pattern.rstrip("*")
        for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }

    needed = _local_packages_imported() | packaged | {"migrations"}
    assert {"api", "voice_backend", "shared"} <= needed
    for package in needed:
        assert package in copied, f"the Dockerfile does not copy {package}/"
        assert copied[package].rstrip("/") in {f"./{package}", f"/app/{package}", package}
    assert {"pyproject.toml", "README.md"} <= set(copied)  # what `pip install .` reads


def test_the_image_installs_the_project_and_has_a_writable_data_dir() -> None:
    steps = _dockerfile()
    runs = " ".join(rest for instruction, rest in steps if instruction == "RUN")

    assert ("WORKDIR", "/app") in steps  # ./data is /app/data, the compose volume
    assert re.search(r"pip install (--[\w-]+ )*\.(\s|$|&)", runs), runs
    assert "/app/data" in runs
    install_at = next(i for i, (ins, rest) in enumerate(steps) if "pip install" in rest)
    copy_at = max(i for i, (ins, _) in enumerate(steps) if ins == "COPY")
    assert copy_at < install_at  # every package is in place before it is installed
    assert any(ins == "USER" and rest != "root" for ins, rest in steps)


def _package_data() -> dict[str, list[str]]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    data: dict[str, list[str]] = pyproject["tool"]["setuptools"].get("package-data", {})
    return data


def _shipped(file: Path, package_data: dict[str, list[str]]) -> bool:
    """Whether setuptools puts `file` in the wheel: a package-data glob matches it, relative
    to its own directory (for `"*"`) or to the named package's directory."""
    for package, patterns in package_data.items():
        base = file.parent if package == "*" else REPO / package.replace(".", "/")
        if not file.is_relative_to(base):
            continue
        relative = PurePosixPath(file.relative_to(base).as_posix())
        for pattern in patterns:
            parts = len(PurePosixPath(pattern).parts)
            if len(relative.parts) == parts and fnmatch.fnmatch(str(relative), pattern):
                return True
    return False


def test_data_files_of_the_packages_are_installed_too() -> None:
    package_data = _package_data()
    data_files = [
        path
        for package in ("api", "voice_backend", "shared")
        for path in (REPO / package).rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]

    personas = [path for path in data_files if path.parent.name == "personas"]
    assert personas, "the simulated providers' persona files are gone"
    missing = [
        str(path.relative_to(REPO)) for path in data_files if not _shipped(path, package_data)
    ]
    assert missing == [], "not in [tool.setuptools.package-data]"
