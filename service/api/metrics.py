"""Prometheus metrics: this process's requests and audits, and the record's state.

Request counts and latencies, audits and decider usage are counted by this process as it
serves (with several workers, each process exposes its own; sum them in Prometheus).
Runs by status and decision, open escalations by queue, escalations by reason, the work
queue of runs (queued, leased, expired leases, failed, oldest wait) and the checkpoint
tables' size are read from the database at each scrape, so every process reports the
same record.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from auditgraph.store.dispatch import DispatchStore
from auditgraph.store.stats import ModelUsage, checkpoint_bytes, count_record

__all__ = ["MAX_REASONS", "ApiMetrics"]

MAX_REASONS = 40
"""Reason labels kept per scrape (the most frequent); the rest are summed as "other"."""

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _RecordCollector(Collector):
    """Reads the record's counts when scraped."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        counts = count_record(self.engine)
        runs = GaugeMetricFamily(
            "auditgraph_runs",
            "Runs in the record, by status and final decision.",
            labels=["status", "decision"],
        )
        for (status, decision), n in sorted(counts.runs.items()):
            runs.add_metric([status, decision or "none"], n)
        yield runs
        queues = GaugeMetricFamily(
            "auditgraph_open_escalations", "Open escalations, by queue.", labels=["queue"]
        )
        for queue, n in sorted(counts.open_escalations.items()):
            queues.add_metric([queue], n)
        yield queues
        reasons = GaugeMetricFamily(
            "auditgraph_escalations_by_reason",
            "Escalations in the record, by each reason given (a case may give several).",
            labels=["reason"],
        )
        ranked = sorted(counts.escalation_reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        for reason, n in ranked[:MAX_REASONS]:
            reasons.add_metric([reason], n)
        if len(ranked) > MAX_REASONS:
            reasons.add_metric(["other"], sum(n for _, n in ranked[MAX_REASONS:]))
        yield reasons


class _WorkCollector(Collector):
    """Reads the work queue of runs and the checkpoint tables' size when scraped."""

    def __init__(self, engine: Engine) -> None:
        self.dispatch = DispatchStore(engine)
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        stats = self.dispatch.stats()
        runs = GaugeMetricFamily(
            "auditgraph_dispatch_runs",
            "Runs handed to the workers, by state (queued, leased, done, failed).",
            labels=["state"],
        )
        for state, n in (
            ("queued", stats.queued),
            ("leased", stats.leased),
            ("done", stats.done),
            ("failed", stats.failed),
        ):
            runs.add_metric([state], n)
        yield runs
        yield GaugeMetricFamily(
            "auditgraph_dispatch_expired_leases",
            "Runs whose worker's lease has expired (it died or stalled); the sweep hands them on.",
            value=stats.expired,
        )
        yield GaugeMetricFamily(
            "auditgraph_dispatch_oldest_queued_seconds",
            "How long the oldest queued run has waited for a worker (0 when none waits).",
            value=stats.oldest_queued_seconds or 0.0,
        )
        size = checkpoint_bytes(self.engine)
        if size is not None:
            yield GaugeMetricFamily(
                "auditgraph_checkpoint_bytes", "Bytes LangGraph's checkpoint tables take on disk.", value=size
            )


class ApiMetrics:
    """One process's metrics registry."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "auditgraph_http_requests",
            "HTTP requests served, by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "auditgraph_http_request_duration_seconds",
            "Time to answer an HTTP request, by route and method.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.audits = Counter(
            "auditgraph_audits",
            "Audits and reviews this process ran, by the run's resulting status and decision.",
            ["status", "decision"],
            registry=self.registry,
        )
        self.model_calls = Counter(
            "auditgraph_model_calls",
            "Decider model call attempts in audits this process ran.",
            registry=self.registry,
        )
        self.tokens = Counter(
            "auditgraph_model_tokens",
            "Model tokens in audits this process ran, by direction.",
            ["direction"],
            registry=self.registry,
        )
        self.cost = Counter(
            "auditgraph_model_cost_usd",
            "Priced model cost in audits this process ran (USD).",
            registry=self.registry,
        )
        self.registry.register(_RecordCollector(engine))
        self.registry.register(_WorkCollector(engine))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def observe_run(self, status: str, decision: str | None, usage: ModelUsage) -> None:
        """Count one audit or review this process ran, with its model usage."""
        self.audits.labels(status, decision or "none").inc()
        if usage.calls:
            self.model_calls.inc(usage.calls)
            self.tokens.labels("in").inc(usage.tokens_in)
            self.tokens.labels("out").inc(usage.tokens_out)
            self.cost.inc(usage.cost_usd)

    def render(self) -> bytes:
        """The registry in Prometheus's text format (reads the record's counts)."""
        return generate_latest(self.registry)
