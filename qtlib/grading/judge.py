"""The judge: scores one submission in the grader's own clean process.

For each exercise, a fresh worker (:mod:`qtlib.grading.worker`, forked by the notebook's
sandboxed host, :mod:`qtlib.grading.hosts`; or a sandboxed process of its own where the sandbox
has no pid namespace, :mod:`qtlib.grading.sandbox`) runs the prelude and the learner's answer
cell. The judge then executes the INSTRUCTOR's test cells (visible and hidden parts, from
solutions/) with ``exec`` in a namespace of its own where each name the answer defines is a
proxy of the worker (:class:`AnswerFunction`, :class:`AnswerObject`) or a plain value. Values
cross only as plain data (:mod:`qtlib.grading.wire`); objects of the test cell (a model, a
loader, a fake clock) go to the worker as handles whose operations run here, on the real
object. The checks the tests call are this process's ``qtlib.grading.checks``: nothing the
learner's code does reaches them.

Each test cell scores all or nothing; a failing cell keeps one sentence (the first failing
check's message and hint, or the reason the worker stopped), never code or an expected value.

Run as ``python -m qtlib.grading.judge SOURCE.ipynb SUBMISSION.ipynb OUT.json`` (what
:mod:`qtlib.grading.classroom` does, one process per student).
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

from qtlib.grading import probes, wire
from qtlib.grading.checks import CheckFailed
from qtlib.grading.exercises import PRELUDE, Exercise, answer_sources, read_exercises
from qtlib.grading.hosts import HostedWorker, HostLost, WorkerHosts
from qtlib.grading.sandbox import Limits, hosts_supported, kill_worker, sandbox_mode, start_worker

#: Bumped whenever a change of the judge may change a score (verdict files carry it).
GRADER_VERSION = "judge-2"  # judge-2: workers forked by a host per notebook
#: Exceptions a worker may report under their own name; any other becomes AnswerError.
_ALLOWED_EXCEPTIONS = {name: getattr(builtins, name) for name in (
    "ValueError", "TypeError", "IndexError", "KeyError", "RuntimeError", "AttributeError",
    "ZeroDivisionError", "NotImplementedError", "ArithmeticError", "LookupError",
    "OverflowError", "MemoryError", "UnicodeError", "NameError")}
_REFUSED_HANDLES = (types.ModuleType, type, types.CodeType, types.FrameType,
                    types.TracebackType)


class AnswerError(Exception):
    """The learner's code raised an exception of a kind not passed through by name."""


class WorkerLost(BaseException):
    """The worker is gone or unusable; a BaseException so that a test's ``except Exception``
    cannot swallow it. ``str(err)`` is the learner-facing reason."""


class _Session:
    """One exercise's worker, its handle table and its deadline.

    With ``hosts`` the worker is forked by the notebook's host (:mod:`qtlib.grading.hosts`),
    else it is a sandboxed process of its own.
    """

    def __init__(self, exercise: Exercise, limits: Limits, deadline: float, scratch: Path | None,
                 mode: str, hosts: WorkerHosts | None = None) -> None:
        self.exercise, self.deadline, self.limits = exercise, deadline, limits
        self.handles: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        self.lost: str | None = None
        if hosts is not None:
            self._spawn(hosts)
            return
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        self.proc = start_worker(scratch, (to_worker_r, from_worker_w), limits, mode)
        os.close(to_worker_r)
        os.close(from_worker_w)
        self.fd_out, self.fd_in = to_worker_w, from_worker_r

    # --- lifecycle -------------------------------------------------------------------------------
    def _spawn(self, hosts: WorkerHosts) -> None:
        """Ask the host for a worker; if none comes, the first request reports why."""
        self.proc: subprocess.Popen | HostedWorker | None = None
        self.fd_out = self.fd_in = -1
        try:
            self.proc = hosts.spawn(self.deadline)
            self.fd_out = self.fd_in = self.proc.fd
        except HostLost:
            self.lost = (f"your answer took longer than the {self._budget()} s allowed for "
                         f"this exercise" if time.monotonic() >= self.deadline else
                         "the grader could not start a worker for your answer")

    def _kill(self) -> None:
        if isinstance(self.proc, HostedWorker):
            self.proc.end()
        elif self.proc is not None:
            kill_worker(self.proc)

    def close(self) -> None:
        for fd in {self.fd_out, self.fd_in} - {-1}:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._kill()

    def _lose(self, reason: str) -> WorkerLost:
        if self.lost is None:
            self.lost = reason
        self._kill()
        return WorkerLost(self.lost)

    def _reason_for_exit(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except Exception:  # noqa: BLE001 -- still running: it broke the protocol
            return "your answer broke the grader's protocol with its process"
        if 128 < code < 160:  # bwrap reports a child killed by signal N as exit code 128 + N
            code = 128 - code
        if code == -24 or code == -9 and time.monotonic() >= self.deadline:
            return f"your answer used more than {self.limits.cpu_seconds} s of CPU time"
        if code == -25:
            return (f"your answer wrote a file larger than "
                    f"{self.limits.file_size // 2**20} MB")
        if code < 0:
            return f"your answer's process was stopped by signal {-code}"
        return f"your answer ended its own process (exit code {code})"

    # --- talking to the worker -------------------------------------------------------------------
    def request(self, message: dict) -> Any:
        """Send a request, serve the worker's handle requests, return the decoded reply."""
        if self.lost:
            raise WorkerLost(self.lost)
        try:
            wire.write_message(self.fd_out, message)
            while True:
                reply = wire.read_message(self.fd_in, self.deadline)
                if not isinstance(reply, dict):
                    raise wire.ProtocolError("a reply that is not an object")
                if reply.get("op") == "h":
                    wire.write_message(self.fd_out, self._serve_handle(reply))
                    continue
                return self._reply_value(reply)
        except wire.WireTimeout:
            raise self._lose(f"your answer took longer than the {self._budget()} s allowed "
                             f"for this exercise") from None
        except (wire.ProtocolError, BrokenPipeError, OSError):
            if self.proc.poll() is None and not isinstance(sys.exc_info()[1], wire.ProtocolError):
                raise self._lose("your answer broke the grader's protocol") from None
            raise self._lose(self._reason_for_exit()) from None

    def _described(self, described: dict) -> dict[str, tuple[str, Any]]:
        out: dict[str, tuple[str, Any]] = {}
        for name in self.exercise.names:
            info = described.get(name)
            kind = info.get("kind") if isinstance(info, dict) else None
            if kind == "plain":
                out[name] = ("plain", wire.decode(info.get("value")))
            elif kind in ("callable", "object"):
                out[name] = (kind, None)
        return out

    def _budget(self) -> int:
        return self.limits.cpu_seconds

    def _reply_value(self, reply: dict) -> Any:
        if "ok" in reply:
            return wire.decode(reply["ok"], self._resolve)
        if "raised" in reply:
            raised = reply["raised"] if isinstance(reply["raised"], dict) else {}
            kind, msg = str(raised.get("type", "Exception"))[:60], str(raised.get("msg", ""))
            if kind == "MemoryError" or "allocate" in msg and "memory" in msg:
                raise MemoryError("your answer ran out of memory (the limit is "
                                  f"{self.limits.memory // 2**30} GB)")
            cls = _ALLOWED_EXCEPTIONS.get(kind)
            if cls is not None:
                raise cls(msg[:300])
            raise AnswerError(f"{kind}: {msg[:300]}")
        if "notplain" in reply:
            raise AnswerError(f"it returned {str(reply['notplain'])[:80]}, which is not plain "
                              f"data (return numbers, strings, lists, dicts or tensors)")
        if "object" in reply and isinstance(reply["object"], dict):
            return {"callable": reply["object"].get("callable") is True,
                    "type": str(reply["object"].get("type"))[:80]}
        if "described" in reply and isinstance(reply["described"], dict):
            return self._described(reply["described"])
        raise wire.ProtocolError("a reply of an unknown kind")

    # --- handles: the test's objects, used by the worker -----------------------------------------
    def handle_of(self, obj: Any) -> dict:
        if isinstance(obj, _REFUSED_HANDLES) or (
                isinstance(obj, types.BuiltinFunctionType)
                and isinstance(getattr(obj, "__self__", None), types.ModuleType | type(None))):
            raise wire.NotPlainData(f"a {type(obj).__name__} (not shared with answers)")
        key = id(obj)
        if key not in self.ids:
            self.ids[key] = len(self.handles) + 1
            self.handles[self.ids[key]] = obj
        return {"t": "handle", "id": self.ids[key], "type": type(obj).__name__}

    def _resolve(self, tag: dict) -> Any:
        handle_id = tag.get("id")
        if type(handle_id) is not int or handle_id not in self.handles:
            raise wire.ProtocolError("a handle the judge never gave out")
        return self.handles[handle_id]

    def encode(self, value: Any) -> Any:
        return wire.encode(value, self.handle_of)

    def _serve_handle(self, request: dict) -> dict:
        import torch

        obj = self._resolve(request)
        do = request.get("do")
        grad, inference = request.get("grad") is not False, request.get("inference") is True
        try:
            with torch.inference_mode(inference), torch.set_grad_enabled(grad):
                if do == "call":
                    args = wire.decode(request.get("args"), self._resolve)
                    kwargs = wire.decode(request.get("kwargs"), self._resolve)
                    if not isinstance(args, list) or not isinstance(kwargs, dict) or not all(
                            isinstance(k, str) for k in kwargs):
                        raise wire.ProtocolError("call arguments must be a list and a dict")
                    value = obj(*args, **kwargs)
                elif do == "getattr":
                    name = request.get("name")
                    if not isinstance(name, str) or not name.isidentifier() or name[0] == "_":
                        raise AttributeError("only public attributes of the test's objects "
                                             "are shared")
                    value = getattr(obj, name)
                elif do == "iter":
                    value = iter(obj)
                elif do == "next":
                    try:
                        value = next(obj)
                    except StopIteration:
                        return {"stop": True}
                elif do == "len":
                    value = len(obj)
                elif do == "getitem":
                    value = obj[wire.decode(request.get("key"), self._resolve)]
                elif do == "bool":
                    value = bool(obj)
                else:
                    raise wire.ProtocolError("an unknown handle operation")
                return {"ok": self.encode(value)}
        except wire.ProtocolError:
            raise
        except Exception as err:  # noqa: BLE001 -- reported to the learner's code
            return {"raised": {"type": type(err).__name__, "msg": str(err)[:300]}}


class AnswerFunction:
    """A function (or other callable) the learner's answer defines; calls run in the worker."""

    def __init__(self, session: _Session, path: list[str]) -> None:
        self._session, self._path = session, path

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        s = self._session
        name = ".".join(self._path)
        try:
            return s.request({"op": "call", "path": self._path,
                              "args": s.encode(list(args)), "kwargs": s.encode(kwargs)})
        except AnswerError as err:
            raise AnswerError(f"{name}: {err}") from None
        except Exception as err:  # raised by the learner's code, under its own name
            err.qtlib_answer = name  # type: ignore[attr-defined]  # for the feedback sentence
            raise

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _attribute(self._session, [*self._path, name])

    def __repr__(self) -> str:
        return f"<answer {'.'.join(self._path)}>"


class AnswerObject:
    """A non-callable object the learner's answer defines; public attributes are read in the
    worker (plain data, or another proxy)."""

    def __init__(self, session: _Session, path: list[str]) -> None:
        self._session, self._path = session, path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _attribute(self._session, [*self._path, name])

    def __repr__(self) -> str:
        return f"<answer {'.'.join(self._path)}>"


def _attribute(session: _Session, path: list[str]) -> Any:
    value = session.request({"op": "getattr", "path": path})
    if isinstance(value, dict) and set(value) == {"callable", "type"}:
        return (AnswerFunction if value["callable"] else AnswerObject)(session, path)
    return value


def _message(err: BaseException, exercise: Exercise) -> str:
    """The one sentence a learner reads for a failed cell."""
    if isinstance(err, CheckFailed | WorkerLost | AnswerError | MemoryError):
        text = str(err)
    elif isinstance(err, AssertionError):
        text = str(err) or "a visible test of this cell failed"
    elif getattr(err, "qtlib_answer", None):
        text = f"calling {err.qtlib_answer} raised {type(err).__name__}: {str(err)[:200]}"
    elif isinstance(err, NameError) and getattr(err, "name", None) in exercise.names:
        text = f"your answer cell does not define {err.name}"
    else:
        text = f"the test could not use your answer ({type(err).__name__}: {str(err)[:150]})"
    return " ".join(text.split())[:400]


def judge_exercise(exercise: Exercise, answer: str | None, limits: Limits,
                   deadline: float, mode: str, hosts: WorkerHosts | None = None
                   ) -> dict[str, dict]:
    """Score every test cell of ``exercise`` for the learner's ``answer`` source (in a worker
    forked by ``hosts``, or else in a sandboxed process of its own)."""
    scores: dict[str, dict] = {}

    def fail_all(reason: str) -> dict[str, dict]:
        return {t.grade_id: {"score": 0.0, "max_score": t.points, "message": reason}
                for t in exercise.tests}

    if answer is None:
        return fail_all("the answer cell of this exercise is missing from the notebook")
    # a hosted worker gets its folder from the host; a lone worker needs one here
    scratch = None if hosts is not None else Path(
        tempfile.mkdtemp(prefix=f"qtlib-worker-{exercise.name}-"))
    session = None
    try:
        session = _Session(exercise, limits, deadline, scratch, mode, hosts)
        try:
            session.request({"op": "setup", "prelude": PRELUDE, "answer": answer})
            described = session.request({"op": "describe", "names": list(exercise.names)})
            if not isinstance(described, dict):
                raise WorkerLost("your answer broke the grader's protocol")
        except WorkerLost as err:
            return fail_all(str(err))
        except MemoryError as err:
            return fail_all(str(err))
        except Exception as err:  # noqa: BLE001 -- the answer cell itself raised
            return fail_all(f"your answer cell raised {' '.join(str(err).split())[:200]}"
                            if isinstance(err, AnswerError) else
                            f"your answer cell raised {type(err).__name__}: "
                            f"{' '.join(str(err).split())[:200]}")
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        for name, (kind, value) in described.items():
            if kind == "plain":
                namespace[name] = value
            else:
                namespace[name] = (AnswerFunction if kind == "callable" else AnswerObject)(
                    session, [name])
        for test in exercise.tests:
            try:
                with probes.runner(lambda source, args: session.request(
                        {"op": "probe", "source": source, "args": session.encode(args)})), \
                        contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(test.source, f"<{test.grade_id}>", "exec"), namespace)
                scores[test.grade_id] = {"score": test.points, "max_score": test.points,
                                         "message": None}
            except (Exception, WorkerLost) as err:  # noqa: BLE001 -- any failure scores 0
                scores[test.grade_id] = {"score": 0.0, "max_score": test.points,
                                         "message": _message(err, exercise)}
        return scores
    except wire.ProtocolError:
        return fail_all("your answer broke the grader's protocol")
    finally:
        if session is not None:
            session.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def judge_notebook(source: Path, submission: Path, *, limits: Limits | None = None,
                   notebook_seconds: int = 900, mode: str | None = None) -> dict:
    """Score every autograded cell of ``submission`` against the exercises of ``source``.

    Returns ``{"cells": {grade_id: {"exercise", "score", "max_score", "message"}},
    "sandbox": mode, "hosts": int | None, "seconds": float}`` (``hosts``: how many worker
    hosts were started, None where the mode has none). Each exercise's worker gets
    ``limits.cpu_seconds`` of wall-clock time, and the notebook ``notebook_seconds`` in all.
    """
    if not isinstance(notebook_seconds, int) or notebook_seconds < 1:
        raise ValueError(f"notebook_seconds must be a positive int, got {notebook_seconds!r}")
    limits = limits or Limits()
    mode = mode or sandbox_mode()
    start = time.monotonic()
    notebook_deadline = start + notebook_seconds
    exercises = read_exercises(Path(source))
    answers = answer_sources(Path(submission), exercises)
    cells: dict[str, dict] = {}
    hosts = WorkerHosts(limits, mode) if hosts_supported(mode) else None
    for ex in exercises:
        deadline = min(time.monotonic() + limits.cpu_seconds, notebook_deadline)
        if deadline <= time.monotonic():
            result = {t.grade_id: {"score": 0.0, "max_score": t.points,
                                   "message": f"the notebook used up its {notebook_seconds} s "
                                              f"before this exercise"} for t in ex.tests}
        else:
            result = judge_exercise(ex, answers[ex.name], limits, deadline, mode, hosts)
        for gid, row in result.items():
            cells[gid] = {"exercise": ex.name, **row}
    if hosts is not None:
        hosts.close()
    return {"cells": cells, "sandbox": mode, "hosts": hosts and hosts.started,
            "seconds": round(time.monotonic() - start, 3)}


def main(argv: list[str] | None = None) -> int:
    """Judge one submission and write the verdict JSON atomically (tmp file + rename)."""
    parser = argparse.ArgumentParser(prog="python -m qtlib.grading.judge")
    parser.add_argument("source", type=Path)
    parser.add_argument("submission", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--meta", default="{}", help="JSON merged into the verdict")
    parser.add_argument("--cell-seconds", type=int, default=Limits().cpu_seconds)
    parser.add_argument("--notebook-seconds", type=int, default=900)
    parser.add_argument("--memory-gb", type=float, default=Limits().memory / 2**30)
    args = parser.parse_args(argv)
    # the judge itself runs test objects on the learner's behalf: cap its memory too
    cap = 8 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    limits = Limits(memory=int(args.memory_gb * 2**30), cpu_seconds=args.cell_seconds)
    verdict = judge_notebook(args.source, args.submission, limits=limits,
                             notebook_seconds=args.notebook_seconds)
    verdict.update(json.loads(args.meta))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(verdict, indent=1, sort_keys=True))
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
