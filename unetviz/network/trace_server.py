"""The app's trace process: reads request pickles on stdin, answers each on stdout — ("trace", config, shapes,
device) with its trace, ("kept", config) with the bytes autograd keeps for backward in a meta training forward
(`network/saved_tensors`, the GPU memory tab's check).

It imports torch and no Qt (the app's `gui/tracer.TraceProcess` starts it); the answer's classes live in
`network/trace_records`, which the app unpickles without torch.
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import IO, Any


def serve() -> None:
    """The child: answer each request read from stdin with ("ok", whether torch sees CUDA, the answer) or
    ("error", the exception's class name, its text)."""
    # Answers go to the real stdout; anything else that prints (torch, C code) goes to stderr instead.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    try:
        from unetviz.network.trace import cuda_available, trace
    except ImportError as exc:  # no (working) torch: every trace says so, and the rest of the app works
        broken = ("error", "TraceError", f"torch cannot be loaded ({exc}); sizes, table and diagram need none")
        while _next_request(requests) is not None:
            _send(answers, broken)
        return
    from unetviz.network.meta_speed import warm_up_meta

    warm_up_meta()  # torch's first-forward imports now, while the app starts, not in the first verdict
    from unetviz.network.saved_tensors import kept_for_backward

    while (request := _next_request(requests)) is not None:
        try:
            if request[0] == "kept":
                _send(answers, ("ok", cuda_available(), kept_for_backward(request[1])))
            else:
                _kind, cfg, shapes, device = request
                _send(answers, ("ok", cuda_available(), trace(cfg, shapes, device)))
        except Exception as exc:  # sent back as text: the app shows it; a traceback here would reach no one
            _send(answers, ("error", type(exc).__name__, str(exc)))


def _next_request(requests: IO[bytes]) -> Any:
    try:
        return pickle.load(requests)
    except EOFError:  # the app has gone
        return None


def _send(answers: IO[bytes], answer: tuple[Any, ...]) -> None:
    pickle.dump(answer, answers)
    answers.flush()
