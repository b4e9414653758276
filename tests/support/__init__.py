"""Test helpers: source stand-ins and fixtures (load with pytest_plugins)."""

import pytest

pytest.register_assert_rewrite("tests.support.sources", "tests.support.settings")
