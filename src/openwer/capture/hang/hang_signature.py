"""The hang signature: a stable hash of where a hung program is blocked.

WER's ``AppHangB1`` carries a short ``Hang Signature`` (4 hex digits) and a longer ``Additional
Hang Signature 1``; openwer computes both from the blocked stack (docs/hangs.md):

* each frame is described as the exception signature describes frames
  (:func:`~openwer.capture.frames.describe_frame`: module, qualified function, line offset from
  the function's first line — never a path or an address), as ``module!function+offset``;
* openwer's own innermost frames (a tracked lock's ``acquire``) are dropped; of the rest, the
  application's frames are kept, plus the innermost frame (where it blocks), named without its
  offset when it is library or standard-library code (whose lines change between versions); a
  stack with no application frame keeps every frame; at most the 16 innermost kept frames;
* when the thread was spinning in Python, its innermost frame's offset is left out (it moves);
* a deadlock's signature joins the stacks of every thread of the cycle, sorted, so it does not
  depend on which of them was found first.

The SHA-1 of that text gives ``Hang Signature`` (its first 4 hex digits) and ``Additional Hang
Signature 1`` (the first 32). Same hang, same values, on every machine and install path. Pure;
never raises.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from openwer.capture.config import CaptureConfig
from openwer.capture.frames import FrameEntry, FrameInfo, FrameOrigin, describe_frame
from openwer.capture.source_layout import SourceLayout

__all__ = ["MAX_SIGNATURE_FRAMES", "HangSignature", "hang_signature"]

MAX_SIGNATURE_FRAMES = 16


@dataclass(frozen=True, slots=True)
class HangSignature:
    """``short`` (4 hex digits, P3), ``long`` (32 hex digits) and the blocking frame."""

    short: str
    long: str
    frame: FrameInfo | None


_OWN_PREFIX = "openwer."


def _kept(frames: list[FrameInfo]) -> tuple[list[FrameInfo], bool]:
    """The frames that make the signature, and whether only application frames were kept."""
    end = len(frames)
    while end > 1 and frames[end - 1].module.startswith(_OWN_PREFIX):
        end -= 1
    frames = frames[:end]
    if not frames:
        return [], False
    application = [f for f in frames[:-1] if f.origin is FrameOrigin.APPLICATION]
    if not application:
        return frames[-MAX_SIGNATURE_FRAMES:], False
    return [*application, frames[-1]][-MAX_SIGNATURE_FRAMES:], True


def _stack_text(frames: list[FrameInfo], selective: bool, moving: bool) -> str:
    lines = []
    for index, frame in enumerate(frames):
        innermost = index == len(frames) - 1
        if innermost and moving:
            offset = "+?"
        elif innermost and selective and frame.origin is not FrameOrigin.APPLICATION:
            offset = ""
        else:
            offset = f"+{frame.line_offset:x}"
        lines.append(f"{frame.module}!{frame.function}{offset}")
    return "\n".join(lines)


def hang_signature(
    stacks: Sequence[Sequence[FrameEntry]],
    config: CaptureConfig,
    layout: SourceLayout,
    *,
    moving: bool = False,
) -> HangSignature:
    """The signature of a hang blocked in ``stacks`` (outermost frame first in each).

    ``moving`` says the thread was busy in Python (its innermost line is not stable).
    """
    texts = []
    blocking: FrameInfo | None = None
    for entries in stacks:
        frames = [describe_frame(frame, line, config, layout) for frame, line in entries]
        kept, selective = _kept(frames)
        if kept and blocking is None:
            application = [f for f in kept if f.origin is FrameOrigin.APPLICATION]
            blocking = application[-1] if application else kept[-1]
        texts.append(_stack_text(kept, selective, moving))
    text = "\n--\n".join(sorted(texts)) or "<no Python frames>"
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    hexdigest = digest.hexdigest()
    return HangSignature(hexdigest[:4], hexdigest[:32], blocking)
