"""Seeing what the platform does: HTTP and messaging metrics, traces over OTLP, and the trace
context that travels with every CloudEvent (``shared.observability.tracing``)."""
