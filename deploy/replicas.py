"""Run N replicas of the app behind nginx with sticky sessions, without Docker.

    python deploy/replicas.py --replicas 3 --port 8080

starts N `streamlit run app.py` on free loopback ports and Debian's nginx in
front of them (config from deploy/nginx.conf.template; its pid, logs and temp
files in a fresh folder), prints the URL, and stops everything on Ctrl-C.
`--print-config` prints the nginx config for replicas you run yourself (for
example Docker containers) instead of starting anything.

One replica is one Python process, and Python runs one page redraw at a time:
more replicas use more cores for pages. Each browser sticks to one replica
(see the template for how), so its uploads and downloads find its session.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
START_TIMEOUT = 60.0  # seconds for a replica (or nginx) to answer its health check
ROUTE_COOKIE = "playground_route"  # the template's cookie name
UPSTREAM_HEADER = "X-Upstream"  # the template's header naming the replica that answered


@dataclass
class Deployment:
    url: str  # what browsers open: nginx
    replicas: list[str]  # each replica's own base URL, behind nginx
    run_dir: Path  # nginx.conf, nginx's pid and logs, replica-<i>.log
    processes: list[subprocess.Popen] = field(default_factory=list)

    def replica_log(self, index: int) -> Path:
        return self.run_dir / f"replica-{index}.log"


def find_nginx() -> str | None:
    # Debian puts nginx in /usr/sbin, which is not on a normal user's PATH.
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def render_config(listen: str, upstreams: list[str], run_dir: Path) -> str:
    """The nginx config: listen on `listen` ("host:port"), balance `upstreams`."""
    servers = "\n".join(f"        server {address};" for address in upstreams)
    text = TEMPLATE.read_text(encoding="utf-8")
    fields = {"@LISTEN@": listen, "@SERVERS@": servers, "@RUN_DIR@": str(run_dir)}
    for name, value in fields.items():
        text = text.replace(name, value)
    return text


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{proc.args[0]} exited with code {proc.returncode}; "
                               f"see {log}:\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}/_stcore/health did not answer within {timeout:.0f} s; "
                               f"see {log}")
        time.sleep(0.25)


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        # Own process group, so stop() also reaches what it starts (a replica's
        # fork server and training processes, nginx's worker).
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def start_replica(port: int, log: Path) -> subprocess.Popen:
    return _spawn([
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ], log)


def start_nginx(nginx: str, conf: Path, run_dir: Path) -> subprocess.Popen:
    # -p: nginx's prefix (relative paths); -e: errors before the config is read;
    # daemon off: it stays our child, so we stop it by its pid.
    return _spawn([nginx, "-p", str(run_dir), "-c", str(conf), "-e", str(run_dir / "error.log"),
                   "-g", "daemon off;"], run_dir / "nginx.out")


def stop(proc: subprocess.Popen) -> None:
    """Stop a process we started, then anything left in its process group."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@contextlib.contextmanager
def deployment(n: int, *, host: str = "127.0.0.1", port: int = 0, nginx: str | None = None,
               run_dir: Path | None = None) -> Iterator[Deployment]:
    """Start n replicas and nginx; yield the Deployment; stop them all on exit
    (and remove the run folder, unless it was given)."""
    nginx = nginx or find_nginx()
    if nginx is None:
        raise RuntimeError("nginx not found; install it with `apt-get install nginx`")
    temporary = run_dir is None
    run_dir = Path(run_dir or tempfile.mkdtemp(prefix="playground-nginx-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    # nginx started by root runs its worker as `nobody`: it must reach its temp files.
    run_dir.chmod(0o711)
    ports = [free_port() for _ in range(n)]
    port = port or free_port(host)
    dep = Deployment(f"http://{host}:{port}", [f"http://127.0.0.1:{p}" for p in ports], run_dir)
    try:
        for i, p in enumerate(ports):
            dep.processes.append(start_replica(p, dep.replica_log(i)))
        for i, (url, proc) in enumerate(zip(dep.replicas, dep.processes)):
            wait_healthy(url, proc, dep.replica_log(i))
        conf = run_dir / "nginx.conf"
        conf.write_text(render_config(f"{host}:{port}", [f"127.0.0.1:{p}" for p in ports], run_dir))
        dep.processes.append(start_nginx(nginx, conf, run_dir))
        wait_healthy(dep.url, dep.processes[-1], run_dir / "error.log")
        yield dep
    finally:
        for proc in reversed(dep.processes):  # nginx first: no request reaches a stopped replica
            stop(proc)
        if temporary:
            shutil.rmtree(run_dir, ignore_errors=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 2,
                        help="how many `streamlit run` processes (default: one per core)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="nginx's address; 0.0.0.0 serves the whole network (a classroom)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port")
    parser.add_argument("--nginx", default=None, help="the nginx binary (default: from PATH)")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="folder for nginx.conf, pids and logs, kept after the end "
                             "(default: a temp folder, removed at the end)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the nginx config for --upstream servers and exit")
    parser.add_argument("--upstream", nargs="+", default=["127.0.0.1:8501"],
                        help="with --print-config: the replicas' host:port addresses")
    return parser.parse_args(argv)


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # stop cleanly on `kill` as on Ctrl-C


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.print_config:
        run_dir = args.run_dir or Path("/var/lib/playground-nginx")
        print(render_config(f"{args.host}:{args.port}", args.upstream, run_dir), end="")
        return 0
    if args.replicas < 1:
        print("--replicas must be 1 or more", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with deployment(args.replicas, host=args.host, port=args.port, nginx=args.nginx,
                        run_dir=args.run_dir) as dep:
            shown = dep.url.replace("0.0.0.0", socket.gethostname())
            print(f"{args.replicas} replicas behind nginx: open {shown}", flush=True)
            print(f"config and logs: {dep.run_dir}   (Ctrl-C stops everything)", flush=True)
            while all(proc.poll() is None for proc in dep.processes):
                time.sleep(1)
            # The run folder may go with the rest: show why here.
            logs = [dep.replica_log(i) for i in range(args.replicas)] + [dep.run_dir / "error.log"]
            for proc, log in zip(dep.processes, logs):
                if proc.poll() is not None:
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    print(f"{' '.join(proc.args[:4])} exited with code {proc.returncode}; "
                          f"the end of {log.name}:\n{tail}", file=sys.stderr)
            print("stopping everything", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
