"""Everything about the package is in pyproject.toml. This file only makes an editable install
(``pip install -e .``, as the Makefile and environment.yml do) install the files of
``[tool.setuptools.data-files]`` too, as a regular install does: JupyterLab's settings (the
chapters open as notebooks) and the fonts extension. setuptools' editable build asks the
distribution for ``has_data``, which does not exist (the method is ``has_data_files``), and so
skips them (pypa/setuptools#3399); tests/test_jupyterlab_setup.py checks they are installed.
"""

from setuptools import setup
from setuptools.command.editable_wheel import editable_wheel


class EditableWheelWithDataFiles(editable_wheel):
    def _run_install(self, category: str) -> None:
        super()._run_install(category)
        if (category == "data" and not hasattr(self.distribution, "has_data")
                and self.distribution.has_data_files()):
            self.run_command("install_data")


setup(cmdclass={"editable_wheel": EditableWheelWithDataFiles})
