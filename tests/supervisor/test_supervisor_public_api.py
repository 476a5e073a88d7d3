"""Guards the public names of the supervisor and of the restart/recovery/consent modules."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import openwer.supervisor

_MODULES = sorted(
    [
        "openwer.supervisor",
        *(
            f"openwer.supervisor.{m.name}"
            for m in pkgutil.iter_modules(openwer.supervisor.__path__)
        ),
        "openwer.capture.restart",
        "openwer.capture.recovery",
        "openwer.capture.consent_prompt",
        "openwer.cli.run_command",
    ]
)


@pytest.mark.parametrize("module_name", _MODULES)
def test_every_module_declares_its_public_names(module_name: str) -> None:
    """Each module has __all__, every name in it resolves, and its public classes are in it."""
    module = importlib.import_module(module_name)
    exported = set(module.__all__)
    assert all(hasattr(module, name) for name in exported)
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module_name
    }
    assert defined <= exported


def test_supervisor_package_names() -> None:
    """The package exports what openwer run and the crash path need."""
    assert {"supervise", "mirror_exit", "RestartPolicy", "SupervisorChannel"} <= set(
        openwer.supervisor.__all__
    )
