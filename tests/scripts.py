"""The repository's scripts (benchmarks/, examples/) loaded as modules for the tests.

They are not part of the package, so they are loaded by path; each is loaded once and
registered in ``sys.modules`` (dataclasses look their module up while a class is built).
A script's package (benchmarks/scenariolab/) is imported from its folder, added at the end
of ``sys.path`` so that the folder's scripts never shadow the tests' own modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str) -> ModuleType:
    """The module of ``ROOT / relative``, e.g. ``load_script("benchmarks/accuracy.py")``."""
    name = "loopguard_script_" + relative.removesuffix(".py").replace("/", "_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_package(relative: str) -> ModuleType:
    """The package at ``ROOT / relative``, e.g. ``load_package("benchmarks/scenariolab")``."""
    folder = str((ROOT / relative).parent)
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module(Path(relative).name)
