"""amip: open steering and controlling for German Jobcenter (SGB II)."""

__version__ = "0.1.0"
