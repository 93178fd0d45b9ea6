"""Optional compiled kernels for the int8 fast path (``torch.ops.qtlib.*``), with a clean fallback.

The C++ source ``qtlib/nn/csrc/int8_linear.cpp`` registers, with ``torch.library``:

- ``torch.ops.qtlib.quantize_per_token_int8(x f32 [M, K]) -> (q int8 [M, K], scale f32 [M, 1])``
- ``torch.ops.qtlib.dynamic_int8_linear(x f32 [M, K], weight_int8 int8 [N, K],
  weight_scale f32 [N], bias f32 [N] | None, gemm="auto") -> y f32 [M, N]``. The int8 GEMM is
  oneDNN's ``qlinear_pointwise`` on a copy of the weight prepacked once
  (``onednn::qlinear_prepack``, cached inside the library per weight tensor, repacked when the
  weight changes in place, dropped when it is freed) or ``torch._int_mm``; ``gemm="auto"``
  picks by the number of rows (``_int_mm`` below 64, oneDNN from 64; measured on MiniLM),
  ``"int_mm"`` / ``"onednn"`` force one (tests compare them). Only ordinary tensors cross the
  op's boundary, so it has a shape-only fake and ``torch.compile`` traces through it.
- ``torch.ops.qtlib.int4_weight_only_linear(...)``: see :mod:`qtlib.nn.weight_only`.

They compute the same integers and (to float32 rounding) the same outputs as the readable path
in :mod:`qtlib.nn._int8`, which the chapters teach; the kernel only fuses the passes.

Building: ``make setup`` (and so ``make lab`` / ``make test``) calls :func:`main`
once, which compiles the source with the system C++ compiler against the installed torch's
headers (no download) into ``<sys.prefix>/share/qtlib-kernels/`` (the project's ``.venv``), or
``~/.cache/qtlib/kernels`` when that is not writable. The file name carries a hash of the source,
the torch version and the Python version, so a changed source or torch is rebuilt, never loaded
stale. Importing qtlib never compiles anything: without a compiler, or before the build, or with
``QTLIB_DISABLE_KERNELS=1``, :func:`available` is False and the modules use the pure-torch path,
silently (nothing on stderr).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import torch

SOURCE = Path(__file__).resolve().parent / "csrc" / "int8_linear.cpp"

_state: dict[str, object] = {}


def _tag() -> str:
    h = hashlib.sha256(SOURCE.read_bytes())
    h.update(f"{torch.__version__}|{sys.version_info[:2]}|{platform.machine()}".encode())
    return h.hexdigest()[:16]


def _candidate_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("QTLIB_KERNEL_DIR"):
        dirs.append(Path(os.environ["QTLIB_KERNEL_DIR"]))
    dirs.append(Path(sys.prefix) / "share" / "qtlib-kernels")
    dirs.append(Path.home() / ".cache" / "qtlib" / "kernels")
    return dirs


def library_path() -> Path | None:
    """The built shared library for this source/torch/Python, if one exists, else None."""
    name = f"qtlib_kernels_{_tag()}{sysconfig.get_config_var('SHLIB_SUFFIX') or '.so'}"
    for d in _candidate_dirs():
        if (d / name).is_file():
            return d / name
    return None


def _compile_command(out: Path, native: bool) -> list[str]:
    from torch.utils import cpp_extension

    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        raise FileNotFoundError("no C++ compiler (c++ / g++ / $CXX) found")
    abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
    cmd = [cxx, "-O3", "-std=c++17", "-shared", "-fPIC", "-fopenmp", "-fno-math-errno", "-w",
           f"-D_GLIBCXX_USE_CXX11_ABI={abi}"]
    if native:
        cmd.append("-march=native")
    for inc in cpp_extension.include_paths():
        cmd += ["-isystem", inc]
    cmd.append(str(SOURCE))
    for lib in cpp_extension.library_paths():
        cmd += [f"-L{lib}", f"-Wl,-rpath,{lib}"]
    cmd += ["-lc10", "-ltorch_cpu", "-ltorch", "-o", str(out)]
    return cmd


def build(verbose: bool = True) -> Path | None:
    """Compile the kernels if not built yet; returns the library path, or None on failure.

    Failure (no compiler, a compile error) is reported on stdout when ``verbose`` and never
    raises: the pure-torch path keeps working.
    """
    found = library_path()
    if found is not None:
        if verbose:
            print(f"qtlib kernels: up to date ({found})")
        return found
    name = f"qtlib_kernels_{_tag()}{sysconfig.get_config_var('SHLIB_SUFFIX') or '.so'}"
    last_error = ""
    for d in _candidate_dirs():
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if not os.access(d, os.W_OK):
            continue
        out = d / name
        tmp = d / (name + f".tmp{os.getpid()}")
        for native in (True, False):
            try:
                cmd = _compile_command(tmp, native)
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            except (OSError, subprocess.SubprocessError) as e:
                last_error = str(e)
                break
            if proc.returncode == 0:
                os.replace(tmp, out)
                if verbose:
                    print(f"qtlib kernels: built {out}")
                return out
            last_error = proc.stderr[-2000:]
        tmp.unlink(missing_ok=True)
        break
    if verbose:
        print("qtlib kernels: not built; the pure-torch int8 path will be used.\n" + last_error)
    return None


def available() -> bool:
    """True when ``torch.ops.qtlib.dynamic_int8_linear`` is loaded (loads it on first call)."""
    if "ok" in _state:
        return bool(_state["ok"])
    ok = False
    if os.environ.get("QTLIB_DISABLE_KERNELS", "") in ("", "0"):
        path = library_path()
        if path is not None:
            try:
                if not hasattr(torch.ops.qtlib, "dynamic_int8_linear"):
                    torch.ops.load_library(str(path))
                _register_fakes()
                ok = True
            except (OSError, RuntimeError):
                ok = False
    _state["ok"] = ok
    return ok


def _register_fakes() -> None:
    """Shape-only ("fake") implementations of the ops, so ``torch.compile`` traces through them.

    Without them dynamo cannot run the C++ ops on fake tensors and breaks the graph at every
    linear; with them the whole quantized model is one graph, inductor fuses the float parts
    (attention, LayerNorm, GELU, residuals) and calls the C++ op for each linear. Idempotent.
    """
    if _state.get("fakes"):
        return
    _state["fakes"] = True
    lib = torch.library
    try:
        _define_fakes(lib)
    except RuntimeError:  # already registered (the library was loaded by another copy of qtlib)
        pass


def _define_fakes(lib) -> None:
    """Register one fake per op that takes only ordinary tensors (see :func:`_register_fakes`)."""
    @lib.register_fake("qtlib::quantize_per_token_int8")
    def _quantize_fake(x):
        return (x.new_empty(x.shape, dtype=torch.int8), x.new_empty((x.shape[0], 1)))

    @lib.register_fake("qtlib::dynamic_int8_linear")
    def _linear_fake(x, weight_int8, weight_scale, bias, gemm="auto"):
        torch._check(x.shape[1] == weight_int8.shape[1])
        return x.new_empty((x.shape[0], weight_int8.shape[0]), dtype=torch.float32)

    @lib.register_fake("qtlib::int4_weight_only_linear")
    def _int4_fake(x, packed_weight, group_size, scales_and_zeros, bias):
        return x.new_empty((x.shape[0], scales_and_zeros.shape[1]), dtype=torch.float32)


_DISABLED = [0]  # nesting depth of disabled()


def version_key(*tensors: torch.Tensor) -> tuple:
    """Identity + version of ``tensors``: changes when any is replaced or modified in place.

    For caches derived from buffers (prepacked weights). Inference tensors have no version
    counter; for them only the storage address counts.
    """
    key: list = []
    for t in tensors:
        key.append(t.data_ptr())
        try:
            key.append(t._version)
        except RuntimeError:
            key.append(None)
    return tuple(key)


def fast_paths_enabled() -> bool:
    """False inside :func:`disabled` or with ``QTLIB_DISABLE_KERNELS=1``: readable paths only.

    Covers every fast path of qtlib.nn, compiled (int8) or not (the int4 bfloat16 kernel).
    """
    return _DISABLED[0] == 0 and os.environ.get("QTLIB_DISABLE_KERNELS", "") in ("", "0")


def active() -> bool:
    """True when the compiled kernels are loaded and not switched off by :func:`disabled`."""
    return fast_paths_enabled() and available()


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run the block on the readable pure-torch path (tests and benchmarks compare the two)."""
    _DISABLED[0] += 1
    try:
        yield
    finally:
        _DISABLED[0] -= 1


def main(argv: list[str] | None = None) -> int:
    """``make setup``'s step: build; exit 0 on success, or always with ``--optional``."""
    argv = sys.argv[1:] if argv is None else argv
    return 0 if build(verbose=True) is not None or "--optional" in argv else 1
