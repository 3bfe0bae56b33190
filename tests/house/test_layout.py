"""The house: imports point one way, the emulators and benchmarks stay out of the product, and the product runs
without the emulators' dependencies."""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("storefront", "changeevents", "syncerrors", "connectors", "scsync_site", "emulators", "benchmarks")
PRODUCT = ("storefront", "changeevents", "syncerrors", "connectors", "scsync_site")
# who may import whom among the project's packages (besides itself)
ALLOWED = {
    "storefront": {"changeevents", "connectors"},
    "syncerrors": {"changeevents", "connectors"},
    "changeevents": {"connectors"},
    "connectors": set(),
    "scsync_site": set(),
    "emulators": set(),
    "benchmarks": {"storefront", "changeevents", "syncerrors", "connectors", "emulators"},
}


def imported_packages(package: str) -> dict[str, set[str]]:
    """{file: project packages it imports}, relative imports resolved."""
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: inside the same top-level package
                    names.add(package)
                elif node.module:
                    names.add(node.module)
        found[str(path.relative_to(ROOT))] = {n.split(".")[0] for n in names} & set(PROJECT)
    return found


def test_layout_imports_point_one_way():
    wrong = {
        f"{file} imports {', '.join(sorted(packages - ALLOWED[package] - {package}))}"
        for package in PROJECT
        for file, packages in imported_packages(package).items()
        if packages - ALLOWED[package] - {package}
    }

    assert wrong == set()


def test_layout_no_product_module_loads_an_emulator_or_a_benchmark_by_name():
    # import_module("..."), send_task paths and INSTALLED_APPS name modules in strings
    named = {
        f"{path.relative_to(ROOT)}: {node.value}"
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.split(".")[0] in ("emulators", "benchmarks")
    }

    # the one exception: settings add the benchmarks app in development (DJANGO_DEBUG=1) only
    assert named == {"scsync_site/settings.py: benchmarks"}


def test_layout_trustme_is_an_extra_not_a_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert not [d for d in project["dependencies"] if d.startswith("trustme")]
    assert [d for d in project["optional-dependencies"]["emulators"] if d.startswith("trustme")]


def test_layout_production_check_deploy_passes_without_trustme_or_the_emulators():
    # a real process in which importing trustme or the emulators fails, as in `pip install .` without extras
    script = (
        "import sys, runpy; sys.modules['trustme'] = sys.modules['emulators'] = sys.modules['benchmarks'] = None; "
        "sys.argv = ['manage.py', 'check', '--deploy', '--fail-level', 'WARNING']; "
        "runpy.run_path('manage.py', run_name='__main__')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SCSYNC_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="scsync_site.settings",
        SCSYNC_ENV_FILE="/nonexistent",
        DJANGO_SECRET_KEY="x7!" + "k" * 20 + "Q#9v" + "m" * 30 + "%zP2",
        ALLOWED_HOSTS="scsync.example.com",
    )

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
