"""What the site tells its operator: Prometheus metrics and a JSON log, without PHI.

The only importer of prometheus_client and structlog. Each app owns its registry (not
the library's global one), so any number of apps can live in one process. Labels and
log fields are route templates (``/clinic/patients/<uuid:patient_id>``), methods,
status classes, store roles and outcomes: never a concrete path, a query string, a
form value or a header a client wrote, so no patient id or name can reach either.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator

import structlog
from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from phr_share.sharing import Services, StoreRole, queue_depths

__all__ = [
    "CONTENT_TYPE",
    "REQUEST_ID_HEADER",
    "WebMetrics",
    "configure_logging",
    "install",
    "json_formatter",
    "metrics_of",
    "route_template",
]

REQUEST_ID_HEADER = "X-Request-ID"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A client's request id is kept only when it is an id: 32 hex digits, dashed as a UUID
# or not (nginx's $request_id). Anything else, a name typed there among others, is
# replaced by a fresh one and never logged.
_REQUEST_ID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
_UNMATCHED = "<unmatched>"  # the route of a request no rule matched (404, 405)
_EXTENSION = "phr_share.metrics"
_log = structlog.get_logger("phr_share.web")


class WebMetrics:
    """The app's metrics in its own registry; the use cases' counters (sharing's
    Metrics) among them."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "phr_http_request_duration_seconds",
            "Time to answer a request, by method, route template and status class.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.documents = Counter(
            "phr_documents_ingested",
            "C-CDA documents stored (a re-upload of a stored one is not counted).",
            registry=self.registry,
        )
        self.runs = Counter(
            "phr_release_runs",
            "Research release runs, by outcome (published, empty, refused, failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.items = Counter(
            "phr_release_items",
            "Segments of published releases, by outcome (published, suppressed, no-data).",
            ["outcome"],
            registry=self.registry,
        )
        self.store_errors = Counter(
            "phr_store_errors",
            "Storage errors, by store (private: Swift, public: S3) and operation.",
            ["store", "operation"],
            registry=self.registry,
        )

    def ingested(self, documents: int) -> None:
        """Count stored documents."""
        self.documents.inc(documents)

    def release_ran(self, outcome: str) -> None:
        """Count one release run."""
        self.runs.labels(outcome=outcome).inc()

    def release_items(self, outcome: str, count: int) -> None:
        """Count a release's segments by what became of them."""
        self.items.labels(outcome=outcome).inc(count)

    def store_error(self, store: StoreRole, operation: str) -> None:
        """Count one failed store operation."""
        self.store_errors.labels(store=store.value, operation=operation).inc()

    def watch_queues(self, svc: Services) -> None:
        """Report the background queues' depths, read at each scrape."""
        self.registry.register(_Queues(svc))

    def exposition(self) -> bytes:
        """Everything, in the Prometheus text format."""
        return generate_latest(self.registry)


class _Queues(Collector):
    """phr_job_queue_depth{queue}: the work waiting, asked of the use cases at scrape."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def describe(self) -> Iterator[Metric]:
        # Named without asking the use cases: registering must not open anything.
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        for queue, depth in sorted(queue_depths(self.svc).items()):
            family.add_metric([queue], depth)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "phr_job_queue_depth", "Jobs waiting in each background queue.", labels=["queue"]
        )


# --- logging ----------------------------------------------------------------------

_configured = threading.Lock()
_handler: logging.Handler | None = None
_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def json_formatter() -> logging.Formatter:
    """One JSON object a line: timestamp, level, logger, event and the bound fields
    (the request id among them), for structlog's events and the standard library's."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    )


def configure_logging() -> None:
    """Send the ``phr_share`` loggers' records to stderr as JSON (once per process).

    Records still propagate, so whatever the host process attaches to the root logger
    sees them too.
    """
    global _handler
    with _configured:
        if _handler is not None:
            return
        structlog.configure(
            processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
        _handler = logging.StreamHandler()
        _handler.setFormatter(json_formatter())
        logger = logging.getLogger("phr_share")
        logger.addHandler(_handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


# --- per request -------------------------------------------------------------------


def route_template() -> str:
    """The URL rule this request matched, e.g. ``/me/grants/<id:grant_id>``, never the path."""
    rule = request.url_rule
    return rule.rule if rule is not None else _UNMATCHED


def _request_id() -> str:
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    return sent if _REQUEST_ID.fullmatch(sent) else str(uuid.uuid4())


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = _request_id()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a request that failed before the first hook
        return response
    seconds = time.perf_counter() - started
    route, status = route_template(), f"{response.status_code // 100}xx"
    metrics: WebMetrics = current_app.extensions[_EXTENSION]
    metrics.requests.labels(method=request.method, route=route, status=status).observe(seconds)
    response.headers[REQUEST_ID_HEADER] = g.request_id
    _log.info(
        "request",
        method=request.method,
        route=route,
        status=response.status_code,
        duration_ms=round(seconds * 1000, 1),
    )
    return response


def _end(_error: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()


def install(app: Flask, svc: Services) -> WebMetrics:
    """Give the app its registry (and the use cases its counters), and time, label and
    log each request under a request id."""
    configure_logging()
    metrics = WebMetrics()
    metrics.watch_queues(svc)
    svc.metrics = metrics
    app.extensions[_EXTENSION] = metrics
    # First of the hooks, so the id is bound before sign-in and CSRF are looked at.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_end)
    return metrics


def metrics_of(app: Flask) -> WebMetrics:
    """The app's metrics."""
    metrics: WebMetrics = app.extensions[_EXTENSION]
    return metrics
