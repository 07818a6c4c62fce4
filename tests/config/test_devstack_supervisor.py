"""`make run` supervises the web server, worker and beat (scripts/devstack.py): a child that dies is
restarted with exponential back-off and the console says so; stopping ends every child. Real child
processes (small Python programs) stand in for gunicorn and Celery, whose start-up would cost
seconds each."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def devstack():
    spec = importlib.util.spec_from_file_location("devstack_under_test", ROOT / "scripts" / "devstack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _run_until(supervisor, condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the supervisor did not get there in time"
        supervisor.poll_once()
        time.sleep(0.01)


@pytest.fixture
def supervise(devstack):
    made = []

    def make(commands, **options):
        lines = []
        supervisor = devstack.Supervisor(commands, say=lines.append, **options)
        supervisor.lines = lines
        made.append(supervisor)
        supervisor.start()
        return supervisor

    yield make
    for supervisor in made:
        supervisor.stop()


def test_a_dead_child_is_restarted_with_doubling_back_off_and_the_console_says_so(supervise):
    supervisor = supervise({"web server": _python("import sys; sys.exit(3)"),
                            "worker": _python("import time; time.sleep(60)")},
                           first_delay=0.05, max_delay=0.2, stable_after=30)
    _run_until(supervisor, lambda: sum("stopped" in line for line in supervisor.lines) >= 5)

    stops = [line for line in supervisor.lines if "stopped" in line]
    assert stops[:5] == [f"web server stopped (exit 3); restarting in {delay:g} s"
                         for delay in (0.05, 0.1, 0.2, 0.2, 0.2)]  # doubling, capped
    restarts = [line for line in supervisor.lines if "restarted" in line]
    assert len(restarts) >= 4 and all(line.startswith("web server restarted (pid ") for line in restarts)
    # The healthy child was left alone.
    worker = supervisor.children[1]
    assert worker.process.poll() is None and worker.restarts_in_a_row == 0


def test_the_back_off_starts_again_after_a_child_stayed_up_a_while(supervise):
    supervisor = supervise({"beat": _python("import time, sys; time.sleep(0.3); sys.exit(1)")},
                           first_delay=0.05, max_delay=5, stable_after=0.2)
    _run_until(supervisor, lambda: sum("stopped" in line for line in supervisor.lines) >= 3)
    assert [line for line in supervisor.lines if "stopped" in line][:3] == \
        ["beat stopped (exit 1); restarting in 0.05 s"] * 3


def test_a_child_killed_by_a_signal_is_reported_as_such_and_restarted(supervise):
    supervisor = supervise({"worker": _python("import time; time.sleep(60)")}, first_delay=0.05)
    first = supervisor.children[0].process
    first.kill()
    _run_until(supervisor, lambda: any("restarted" in line for line in supervisor.lines))
    assert supervisor.lines[0] == "worker stopped (signal 9); restarting in 0.05 s"
    assert supervisor.children[0].process.pid != first.pid and supervisor.children[0].process.poll() is None


def test_stop_ends_every_child_even_one_that_ignores_sigterm_and_nothing_restarts(supervise):
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); " \
               "time.sleep(60)"
    supervisor = supervise({"web server": _python("import time; time.sleep(60)"),
                            "worker": _python(stubborn)}, first_delay=0.01, stop_timeout=1.5)
    time.sleep(0.5)  # let the stubborn child install its handler
    processes = [child.process for child in supervisor.children]
    started = time.monotonic()
    supervisor.stop()
    assert time.monotonic() - started < 10
    assert [process.poll() for process in processes] == [-15, -9]
    assert supervisor.lines[-1] == "Stopped web server, worker."
    supervisor.poll_once()
    assert all(child.process is process for child, process in zip(supervisor.children, processes))
    assert not any("restart" in line for line in supervisor.lines)


def test_make_run_starts_gunicorn_with_the_shared_config_when_there_is_one_and_logs_access(devstack):
    commands = devstack._child_commands(8123)
    assert set(commands) == {"web server", "worker", "beat"}
    web = commands["web server"]
    assert "--access-logfile" in web and web[web.index("--access-logfile") + 1] == "-"
    assert ("-c" in web) == (ROOT / "config" / "gunicorn_conf.py").exists()


def test_sigterm_during_make_run_stops_the_children_it_started(tmp_path):
    """The real `run()` loop: a supervised child is ended when the supervisor gets SIGTERM."""
    marker = tmp_path / "child.pid"
    program = f"""
import sys, time
sys.path.insert(0, {str(ROOT / 'scripts')!r})
import devstack, signal
signal.signal(signal.SIGTERM, devstack._interrupt)
child = "import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
supervisor = devstack.Supervisor({{"web server": [sys.executable, "-c", child]}}, stop_timeout=5)
try:
    supervisor.start()
    supervisor.run()
except KeyboardInterrupt:
    pass
finally:
    supervisor.stop()
"""
    parent = subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not (marker.exists() and marker.read_text()):
        assert time.monotonic() < deadline and parent.poll() is None
        time.sleep(0.05)
    child_pid = int(marker.read_text())
    parent.terminate()
    output, _ = parent.communicate(timeout=20)
    assert "Stopped web server." in output
    assert not Path(f"/proc/{child_pid}").exists() or "zombie" in Path(f"/proc/{child_pid}/status").read_text()


def test_importing_devstack_starts_no_service_so_the_services_it_starts_are_its_own_to_stop():
    """`make test` and `make run` stop the embedded PostgreSQL and Redis they started. Had importing
    `config` loaded the settings (which start them when no URL is given), devstack would take them
    for external ones and leave the Redis server running after every run."""
    import os

    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    probe = ("import os, sys; sys.path.insert(0, 'scripts'); import devstack; "
             "print(os.environ.get('DATABASE_URL'), os.environ.get('CELERY_BROKER_URL'))")
    shown = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)

    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.split() == ["None", "None"]
