"""The systemd units in conf/systemd: each service passes `systemd-analyze
security --offline=true` with an overall exposure of at most 2.0 (DESIGN
§10), has no directive systemd does not know, and makes the folders the
example configuration uses; the socket unit is nginx's group's only."""
import configparser
import glob
import os
import re
import subprocess

from harness import TOP

UNITS = os.path.join(TOP, "conf", "systemd")
THRESHOLD = 2.0
# What a unit without hardening would have left: the options the units set
# to lower their exposure.
HARDENING = {
    "UMask", "NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities",
    "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "DevicePolicy",
    "PrivateMounts", "PrivateUsers", "ProtectKernelTunables", "ProtectKernelModules",
    "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
    "ProtectProc", "ProcSubset", "RestrictAddressFamilies", "RestrictNamespaces",
    "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute",
    "RemoveIPC", "KeyringMode", "SystemCallArchitectures", "SystemCallFilter",
    "SystemCallErrorNumber",
}


def services():
    found = sorted(glob.glob(os.path.join(UNITS, "*.service")))
    # fcgi (socket-activated), fcgi standalone, mailer, logd
    assert len(found) == 4, found
    return found


def exposure(path):
    """The overall exposure systemd-analyze gives the unit file at path."""
    r = subprocess.run(["systemd-analyze", "security", "--offline=true",
                        f"--threshold={int(THRESHOLD * 10)}", path],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) ", r.stdout)
    assert m, (r.returncode, r.stdout[-2000:], r.stderr)
    level = float(m.group(1))
    # --threshold: a non-zero exit above it, zero at or below it
    assert (r.returncode != 0) == (level > THRESHOLD), (level, r.returncode)
    return level


def settings(path):
    """The unit's key = value settings, by section (repeated keys joined)."""
    out = {}
    section = None
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = out.setdefault(line.strip("[]"), {})
            continue
        k, v = line.split("=", 1)
        section[k] = (section[k] + " " + v) if k in section else v
    return out


def test_every_service_exposure_at_most_two():
    for path in services():
        level = exposure(path)
        assert level <= THRESHOLD, f"{os.path.basename(path)}: exposure {level}"


def test_a_service_without_the_hardening_scores_above_two(tmp_path):
    """The check above can fail: the same units with the hardening lines
    taken out are far above the threshold."""
    for path in services():
        stripped = tmp_path / os.path.basename(path)
        kept = [line for line in open(path)
                if line.split("=", 1)[0].strip() not in HARDENING]
        assert len(kept) < len(open(path).readlines()) - 20
        stripped.write_text("".join(kept))
        assert exposure(str(stripped)) > THRESHOLD + 3


def test_units_have_only_known_directives(tmp_path):
    """systemd-analyze verify warns about an unknown or unparsable setting
    (the binaries it also looks for are not installed here)."""
    paths = services() + glob.glob(os.path.join(UNITS, "*.socket"))
    bad = tmp_path / "bad.service"
    bad.write_text(open(paths[0]).read().replace("[Service]\n", "[Service]\nProtectSytem=strict\n"))
    for path, good in [(p, True) for p in paths] + [(str(bad), False)]:
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                           capture_output=True, text=True, timeout=60)
        complaints = [line for line in (r.stdout + r.stderr).splitlines()
                      if re.search(r"Unknown (key|lvalue|section)|Failed to parse|"
                                   r"Invalid|not valid", line)]
        assert (complaints == []) == good, (path, complaints)


def test_units_make_the_folders_the_configuration_uses():
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string("[x]\n" + open(os.path.join(TOP, "conf", "callin.conf.example")).read())
    data_dir, listen = conf["x"]["data_dir"], conf["x"]["listen"]
    for path in services():
        s = settings(path)["Service"]
        if path.endswith("callin-logd.service"):
            # log_dir, which nginx reads; data_dir made by the others.
            assert "/var/lib/" + s["StateDirectory"] == "/var/lib/callin-log"
            assert (s["StateDirectoryMode"], s["UMask"]) == ("0755", "0022")
            assert s["ReadWritePaths"] == "-" + data_dir
            assert s["ExecStart"].split()[0] == "/usr/local/bin/callin-logd"
            continue
        assert s["UMask"] == "0077"
        assert "/var/lib/" + s["StateDirectory"] == data_dir, path
        assert s["StateDirectoryMode"] == "0700", path
        assert s["ExecStart"].split()[0] in ("/usr/local/bin/callin-fcgi",
                                             "/usr/local/bin/callin-mailer")
        assert "ReadWritePaths" not in s     # StateDirectory= makes it writable
    standalone = settings(os.path.join(UNITS, "callin-fcgi-standalone.service"))["Service"]
    assert "/run/" + standalone["RuntimeDirectory"] == os.path.dirname(listen)
    assert standalone["RuntimeDirectoryMode"] == "0750"
    assert standalone["Group"] == "www-data"        # nginx's: the socket's group
    sock = settings(os.path.join(UNITS, "callin-fcgi.socket"))["Socket"]
    assert sock["ListenStream"] == listen
    assert (sock["SocketGroup"], sock["SocketMode"]) == ("www-data", "0660")
    activated = settings(os.path.join(UNITS, "callin-fcgi.service"))["Service"]
    assert "RuntimeDirectory" not in activated      # it would remove the socket at stop
