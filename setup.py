"""Package layout that pyproject.toml cannot express: ``reproductions/`` (a top-level folder of the
repository) is installed as ``statlearn.reproductions``, so that no package named ``reproductions``
lands in site-packages. Everything else is declared in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["statlearn", "statlearn.*", "wirg", "wirg.*"]), "statlearn.reproductions"],
    package_dir={"statlearn.reproductions": "reproductions"},
)
