"""Providers: one subpackage per target system, all speaking the contract in ``base``."""
