"""Eval suites: labelled datasets, scorers, the runner, reports, comparison and the regression gate."""

from evals.compare import compare_reports
from evals.dataset import EvalCase, load_dataset, suite_path
from evals.gate import check, make_baseline
from evals.report import build_report, write_reports
from evals.runner import run_suite

__all__ = [
    "EvalCase",
    "build_report",
    "check",
    "compare_reports",
    "load_dataset",
    "make_baseline",
    "run_suite",
    "suite_path",
    "write_reports",
]
