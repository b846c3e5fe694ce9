"""A fork server that runs pytest for mutmut without paying Python's start-up and the heavy imports per mutant.

    python tools/mutation_server.py serve SOCKET          # imports pytest, numpy, torch ... once, then waits
    python tools/mutation_server.py run SOCKET ARGS...    # mutmut's runner: exit 0 = tests passed, 1 = failed

For every `run`, the server forks a clean child (it has never imported the project: only third-party
libraries), the child runs ``pytest.main(ARGS)`` in the client's working directory and so imports the module
mutmut has just written to disk. The client's exit status is the tests' (any failure is 1, as mutmut 2.5.1
expects). When mutmut kills a client for taking too long, the server sees the connection close and kills the
child's whole process group, so no test keeps running behind the next mutant.

Byte-code is never written (PYTHONDONTWRITEBYTECODE): a mutant of the same size written within the same second
as a cached ``.pyc`` could otherwise be skipped and scored a survivor.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys

PRELOAD = ("pytest", "numpy", "scipy.signal", "soundfile", "torch")


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optional library the tests import themselves (or skip on)
            pass
    _share_panphon_table()


def _share_panphon_table() -> None:
    """panphon's default feature table takes ~2.6 s to build, in every child that reads a rare segment: build it
    once here and hand the same (read-only) table to every ``FeatureTable()`` call without arguments."""
    try:
        import panphon.featuretable as pft
    except Exception:  # noqa: BLE001 - panphon is optional
        return
    table, original = pft.FeatureTable(), pft.FeatureTable

    class SharedFeatureTable(original):
        def __new__(cls, *args, **kwargs):
            return table if not args and not kwargs else super().__new__(cls)

        def __init__(self, *args, **kwargs):
            if args or kwargs:
                super().__init__(*args, **kwargs)

    pft.FeatureTable = SharedFeatureTable


def _child(request: dict) -> None:
    """Runs in the forked test process; never returns."""
    code = 1
    try:
        os.setsid()
        os.chdir(request["cwd"])
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        sys.argv = ["pytest", *request["args"]]
        import pytest

        code = int(pytest.main(request["args"]))  # _handle tells the client 0 or 1
    except BaseException:  # noqa: BLE001 - whatever happens, the mutant was not passed
        code = 1
    finally:
        os._exit(code)


def _handle(conn: socket.socket) -> None:
    """Runs in a forked handler per connection: starts the test child and waits for it or for the client to
    go away."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            os._exit(0)
        data += chunk
    request = json.loads(data)
    pid = os.fork()
    if pid == 0:
        conn.close()
        _child(request)
    status = None
    while status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
        readable, _, _ = select.select([conn], [], [], 0.05)
        if readable and not conn.recv(1):  # the client was killed (mutmut's timeout)
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            os._exit(0)
    try:
        conn.sendall(f"{0 if status == 0 else 1}\n".encode())
    except OSError:
        pass
    os._exit(0)


def serve(path: str) -> None:
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = True
    _preload()
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    signal.signal(signal.SIGCHLD, lambda *_: _reap())
    print("ready", flush=True)
    while True:
        try:
            conn, _ = server.accept()
        except InterruptedError:
            continue
        pid = os.fork()
        if pid == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _handle(conn)
        conn.close()


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def run(path: str, args: list[str]) -> int:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall((json.dumps({"cwd": os.getcwd(), "args": args}) + "\n").encode())
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = client.recv(16)
        if not chunk:
            return 1
        reply += chunk
    return int(reply)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit("usage: mutation_server.py serve SOCKET | run SOCKET PYTEST_ARGS...")
