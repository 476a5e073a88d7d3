"""openwer's version, in a module of its own so any layer can name it without loading the rest."""

__all__ = ["__version__"]

__version__ = "0.1.0"
