import importlib.util
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]


def _plugin_module():
    spec = importlib.util.spec_from_file_location(
        "fuelopt_plugin", ROOT / "plugins/fuelopt_plugin.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_runbook_link_points_at_the_dags_runbook():
    module = _plugin_module()
    link = module.FuelOptPlugin.global_operator_extra_links[0]
    url = link.get_link(None, ti_key=SimpleNamespace(dag_id="optimize_fleet"))
    assert url.startswith("http") and url.endswith("/fuelopt/runbooks/optimize_fleet")
    assert (ROOT / "docs" / "runbooks" / "optimize_fleet.md").is_file()


def test_plugin_serves_the_runbooks_where_the_link_points():
    module = _plugin_module()
    (app,) = module.FuelOptPlugin.fastapi_apps
    assert app["url_prefix"] == "/fuelopt/runbooks"
