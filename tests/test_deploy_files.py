"""The sample deployment files of deploy/ (README, Deployment) against the code, so they cannot
rot: every systemd unit parses, every command it runs exists (a ``flask`` command resolves in
the application's CLI with its arguments, ``python -m`` finds its module, gunicorn is a
requirement, its WSGI target imports and its settings file is valid gunicorn configuration),
every variable of the environment file is one the application reads, a timer starts a unit
that exists, and nginx lets through the request size the app accepts."""
import configparser
import importlib.util
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted(
    (DEPLOY / "systemd").glob("*.timer"))
#: where the units expect the checkout and its virtualenv (WorkingDirectory=).
CHECKOUT, VENV_BIN = "/opt/kaosheng", "/opt/kaosheng/venv/bin/"
EXEC_KEYS = ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop")


def parse(path):
    """A unit file as configparser reads it: case kept, no interpolation, no key twice."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser


def commands(line):
    """The argument lists an Exec line runs (systemd's ``%%`` is a ``%``; a ``sh -c`` script
    is split into its commands at ``&&`` and ``;``)."""
    argv = shlex.split(line.replace("%%", "%"))
    if Path(argv[0]).name == "sh" and argv[1] == "-c":
        for part in re.split(r"&&|;", argv[2]):
            yield [a for a in shlex.split(part) if a != "exec"]
    else:
        yield argv


def exec_lines():
    for path in UNITS:
        unit = parse(path)
        if unit.has_section("Service"):
            for key in EXEC_KEYS:
                if unit.has_option("Service", key):
                    yield path.name, unit["Service"][key]


def all_commands():
    return [(name, argv) for name, line in exec_lines() for argv in commands(line)]


def requirements():
    names = set()
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.add(re.split(r"[=<>~!\[ ;]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_the_units_parse_and_say_what_starts_them():
    assert {p.name for p in UNITS} >= {"kaosheng-web.service", "kaosheng-worker@.service",
                                      "kaosheng-backup.service", "kaosheng-backup.timer",
                                      "kaosheng-upgrade.service"}
    for path in UNITS:
        unit = parse(path)
        assert unit.has_section("Unit") and unit["Unit"].get("Description"), path.name
        if path.suffix == ".service":
            service = unit["Service"]
            assert service.get("WorkingDirectory") == CHECKOUT, path.name
            assert service.get("EnvironmentFile") == "/etc/kaosheng/kaosheng.env", path.name
            assert service.get("User") == "kaosheng", path.name
            assert unit.has_section("Install") or service.get("Type") == "oneshot", path.name


def test_a_timer_starts_a_unit_that_exists():
    timer = parse(DEPLOY / "systemd" / "kaosheng-backup.timer")
    assert (DEPLOY / "systemd" / timer["Timer"]["Unit"]).is_file()
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


def test_every_flask_command_resolves_in_the_apps_cli(app):
    """``flask kaosheng backup PATH``, ``flask db upgrade``…: the command exists and accepts
    the arguments given (parsed by click, not run)."""
    flask_commands = [argv for _n, argv in all_commands() if Path(argv[0]).name == "flask"]
    assert {tuple(a[1:3]) for a in flask_commands} >= {("kaosheng", "backup"),
                                                       ("db", "upgrade"), ("kaosheng", "init")}
    for argv in flask_commands:
        command, args = app.cli, argv[1:]
        while args and hasattr(command, "commands") and args[0] in command.commands:
            command, args = command.commands[args[0]], args[1:]
        assert not hasattr(command, "commands"), f"{argv}: no such flask command"
        with app.app_context():
            command.make_context(argv[-1 - len(args)], list(args))


def test_every_other_program_exists():
    for name, argv in all_commands():
        program = argv[0]
        if program.startswith(VENV_BIN):
            tool = program[len(VENV_BIN):]
            if tool == "python":
                assert argv[1] == "-m", (name, argv)
                module = argv[2]
                spec = importlib.util.find_spec(module)
                assert spec is not None, (name, module)
                assert "def main(" in Path(spec.origin).read_text(encoding="utf-8"), module
            else:
                assert tool in requirements(), f"{name}: {tool} is not in requirements.txt"
        elif Path(program).name != "flask":
            assert Path(program).is_absolute() and shutil.which(Path(program).name), (name, argv)


def test_gunicorn_settings_and_wsgi_target(tmp_path):
    [argv] = [a for n, a in all_commands() if n == "kaosheng-web.service"
              and a[0].endswith("/gunicorn")]
    config_file = argv[argv.index("--config") + 1]
    target = argv[-1]
    assert "gunicorn" in requirements()
    # Every name of the settings file is a gunicorn setting whose value gunicorn accepts.
    from gunicorn.config import Config

    settings, config = runpy.run_path(str(ROOT / config_file)), Config()
    for key, value in settings.items():
        if not key.startswith("_") and not callable(value) and not hasattr(value, "__file__"):
            assert key in config.settings, f"{config_file}: {key} is no gunicorn setting"
            config.set(key, value)
    for hook in ("on_starting", "child_exit"):
        assert callable(settings[hook]) and hook in config.settings
    # on_starting empties the metrics directory's files, not the directory (systemd's).
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"x")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    try:
        settings["on_starting"](None)
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert metrics_dir.is_dir() and not list(metrics_dir.iterdir())
    # The WSGI target imports (in a fresh process, with the default settings) and is an app.
    module, attribute = target.split(":")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env["KAOSHENG_INSTANCE"] = str(tmp_path / "instance")
    out = subprocess.run([sys.executable, "-c", f"import {module}; "
                          f"print(callable({module}.{attribute}.wsgi_app))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr[-2000:]


def _read_names():
    """Every environment variable the application or the library it configures reads."""
    sources = [ROOT / "config.py", *sorted((ROOT / "app").rglob("*.py"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    return set(re.findall(r"environ(?:\.get\(|\[)\s*[\"']([A-Z_][A-Z0-9_]*)[\"']", text))


def env_assignments():
    """{name: value} of the env file and of every unit's Environment= lines."""
    found = {}
    for line in (DEPLOY / "kaosheng.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _eq, value = line.partition("=")
            found[name.strip()] = value.strip()
    for path in UNITS:
        unit = parse(path)
        if unit.has_option("Service", "Environment"):
            for pair in shlex.split(unit["Service"]["Environment"]):
                name, _eq, value = pair.partition("=")
                found[name] = value
    return found


def test_every_variable_set_is_read_by_the_app():
    read = _read_names() | {"FLASK_APP", "PROMETHEUS_MULTIPROC_DIR", "PATH"}
    assigned = env_assignments()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FILE_STORE", "PROXY_FIX_HOPS",
            "PROMETHEUS_MULTIPROC_DIR", "METRICS_WORKER_DIRS"} <= set(assigned)
    assert sorted(set(assigned) - read) == []
    from app.filestore import BACKENDS

    assert assigned["FILE_STORE"] in BACKENDS
    assert assigned["KAOSHENG_ENV"] == "production"
    assert assigned["FLASK_APP"].removesuffix(".py") == "run"


def test_nginx_accepts_the_largest_request_the_app_does():
    site = (DEPLOY / "nginx" / "kaosheng.conf").read_text(encoding="utf-8")
    size = re.search(r"^\s*client_max_body_size\s+(\d+)m;", site, re.M)
    default_mb = re.search(r'"MAX_REQUEST_MB", "(\d+)"', (ROOT / "config.py").read_text())
    assert size and default_mb and int(size.group(1)) >= int(default_mb.group(1))
    assert re.search(r"location ~ \^/\(metrics\|readyz\)\$ \{ deny all; \}", site)
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in site
