"""Reporting layer: figures and text output."""
