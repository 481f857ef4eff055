"""The package's version, in a module of its own: every layer may read it without importing the
package's face (``bandits/__init__.py``), which sits on top of the house."""

__version__ = "0.2.0"
