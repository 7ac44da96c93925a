"""The ``amip`` command; click's own texts in German (:mod:`amip.cli.click_de`)."""

from amip.cli import click_de

click_de.install()
