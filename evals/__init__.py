"""Eval suites: labelled datasets, scorers, the runner, reports, comparison and the regression gate."""

from auditgraph.evals.compare import compare_reports
from auditgraph.evals.dataset import EvalCase, load_dataset, suite_path
from auditgraph.evals.gate import check, make_baseline
from auditgraph.evals.report import build_report, write_reports
from auditgraph.evals.runner import run_suite

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
