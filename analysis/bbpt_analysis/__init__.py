"""bbpt's analysis of sweep stores: tables, curves and query efficiency (see analysis/README.md)."""
