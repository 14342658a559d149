"""Passes over a .net file: quantize, partition, report."""
