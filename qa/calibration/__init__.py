"""Calibration sessions: several graders score the same interactions blind, then the agreement is measured."""
