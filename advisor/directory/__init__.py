"""Organisations' own data: directory and device exports read, proposed as groups, and measured
against the plan."""
