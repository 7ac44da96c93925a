"""The synthetic Jobcenter: a person-level simulation written as an amip extract."""

from amip.synth.generator import generate

__all__ = ["generate"]
