"""Civilian harm in Mali: sourced data, validation and reports."""
