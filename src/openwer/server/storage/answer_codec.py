"""The stored form of a stage 1 answer, so a repeated stage 1 gets the very same answer.

A small JSON object of its own (not the wire format), so the wire protocol may evolve without
rewriting stored rows. Pure; thread-safe.
"""

from __future__ import annotations

from typing import Any

from openwer.errors import StoreError
from openwer.formats.protocol import DataRequest, Solution, Stage1Response
from openwer.types import DumpType

__all__ = ["answer_from_json", "answer_to_json"]


def answer_to_json(response: Stage1Response) -> dict[str, Any]:
    """The JSON-ready form of ``response``."""
    answer: dict[str, Any] = {"b": response.bucket_id, "l": response.legacy_bucket_id}
    if response.bucket_table != 1:
        answer["t"] = response.bucket_table
    request = response.data_request
    if request is not None:
        answer["d"] = [int(request.dump_type), list(request.files), request.explicit]
    if response.upload_url is not None:
        answer["u"] = response.upload_url
    if response.solution is not None:
        answer["s"] = [response.solution.message, response.solution.url]
    if response.extra:
        answer["x"] = [list(pair) for pair in response.extra]
    return answer


def answer_from_json(answer: Any) -> Stage1Response:
    """Read back what :func:`answer_to_json` wrote; raise ``StoreError`` on anything else."""
    try:
        request = None
        if "d" in answer:
            dump_type, files, explicit = answer["d"]
            request = DataRequest(DumpType(dump_type), tuple(files), bool(explicit))
        solution = None
        if "s" in answer:
            message, url = answer["s"]
            solution = Solution(str(message), None if url is None else str(url))
        return Stage1Response(
            bucket_id=str(answer["b"]),
            legacy_bucket_id=int(answer["l"]),
            bucket_table=int(answer.get("t", 1)),
            data_request=request,
            upload_url=answer.get("u"),
            solution=solution,
            extra=tuple((str(k), str(v)) for k, v in answer.get("x", ())),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StoreError(f"a stored stage 1 answer is damaged: {answer!r}") from exc
