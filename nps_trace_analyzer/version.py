"""The package version, in a module of its own so that any stage can name it without importing the package
root (whose ``__init__`` re-exports the library entry point, the top of the stack)."""

__version__ = "0.1.0"
