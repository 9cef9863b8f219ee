"""The repository's scripts (benchmarks/, examples/) loaded as modules for the tests.

They are not part of the package, so they are loaded by path; each is loaded once and
registered in ``sys.modules`` (dataclasses look their module up while a class is built).
"""

from __future__ import annotations

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
