"""Delivering reports to a collection server: the :class:`Transport` seam and its fakes."""

from openwer.transport.base import BundleRequest, Stage1Outcome, Transport, UploadOutcome
from openwer.transport.memory import MemoryTransport

__all__ = ["BundleRequest", "MemoryTransport", "Stage1Outcome", "Transport", "UploadOutcome"]
