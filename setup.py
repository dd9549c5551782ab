"""setuptools hook (the project's metadata is in pyproject.toml): the wheel also carries the
PowerShell modules and their compiled host, staged by scripts/package.py into
``pwshcompat/powershell/``, where ``pwshcompat install-module`` finds them."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithModules(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from the checkout, whose module/ pwshcompat.install uses
        spec = importlib.util.spec_from_file_location("pwshcompat_package", ROOT / "scripts" / "package.py")
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(package)
        package.stage_payload(Path(self.build_lib) / "pwshcompat" / package.PAYLOAD)


setup(cmdclass={"build_py": BuildPyWithModules})
