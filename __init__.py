"""stylegraph: neural 'fusion' paintings as node graphs."""

__version__ = "0.1.0"
