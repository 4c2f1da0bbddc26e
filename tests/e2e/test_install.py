"""`cmake --install BUILD --prefix P` puts the programs, what nginx serves,
the nginx site and its includes, the systemd units and the example
configuration where the README says (P standing for /usr/local, P/etc for
/etc), each program runs from there, every file the nginx site and the
units name is in the tree, and the modes let nginx read what it serves."""
import filecmp
import glob
import os
import re
import stat
import subprocess

from harness import BUILD, TOP

GOVUK = os.path.join(TOP, "node_modules", "govuk-frontend", "dist", "govuk")


def install(prefix):
    r = subprocess.run(["cmake", "--install", BUILD, "--prefix", str(prefix)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return str(prefix)


def programs():
    """callin-<name> for each src/<name>_main.c, as CMakeLists.txt names them."""
    mains = glob.glob(os.path.join(TOP, "src", "*_main.c"))
    return sorted(os.path.basename(m)[:-len("_main.c")].replace("_", "-") for m in mains)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def where(prefix, path):
    """Where an absolute production path of the site or the units lies in the tree."""
    for prod, inst in (("/usr/local/", ""), ("/etc/", "etc/")):
        if path.startswith(prod):
            return os.path.join(prefix, inst + path[len(prod):])
    raise AssertionError(f"{path}: neither under /usr/local nor /etc")


def test_tree(tmp_path):
    p = install(tmp_path / "usr-local")
    assert sorted(os.listdir(os.path.join(p, "bin"))) == programs()
    assert len(programs()) == 5
    for prog in programs():
        assert mode(os.path.join(p, "bin", prog)) == 0o755, prog
    same = {
        "share/callin/govuk/govuk-frontend.min.css": f"{GOVUK}/govuk-frontend.min.css",
        "share/callin/govuk/govuk-frontend.min.js": f"{GOVUK}/govuk-frontend.min.js",
        "share/callin/static/init.js": f"{TOP}/src/pages/static/init.js",
        "share/callin/public/.well-known/security.txt":
            f"{TOP}/public/.well-known/security.txt",
        "etc/nginx/sites-available/callin": f"{TOP}/conf/nginx-site.conf",
        "etc/nginx/callin/nginx-fastcgi.conf": f"{TOP}/conf/nginx-fastcgi.conf",
        "etc/nginx/callin/nginx-security-headers.conf":
            f"{TOP}/conf/nginx-security-headers.conf",
        "etc/nginx/callin/ffdhe2048.pem": f"{TOP}/conf/ffdhe2048.pem",
        "etc/callin/callin.conf.example": f"{TOP}/conf/callin.conf.example",
    }
    for unit in os.listdir(os.path.join(TOP, "conf", "systemd")):
        same[f"lib/systemd/system/{unit}"] = f"{TOP}/conf/systemd/{unit}"
    assert len(same) == 14
    for rel, src in same.items():
        path = os.path.join(p, rel)
        assert filecmp.cmp(path, src, shallow=False), rel
        assert mode(path) == 0o644, rel
    # Every font and image of GOV.UK Frontend, readable by nginx's user.
    assets = os.path.join(p, "share/callin/govuk/assets")
    srcs = sorted(os.path.relpath(f, f"{GOVUK}/assets")
                  for f in glob.glob(f"{GOVUK}/assets/**/*", recursive=True)
                  if os.path.isfile(f))
    got = sorted(os.path.relpath(f, assets)
                 for f in glob.glob(f"{assets}/**/*", recursive=True) if os.path.isfile(f))
    assert got == srcs and len(got) > 5
    for d, _, _ in os.walk(p):
        assert mode(d) == 0o755, d


def test_what_the_site_and_units_name_is_installed(tmp_path):
    p = install(tmp_path / "usr-local")
    site = open(os.path.join(p, "etc/nginx/sites-available/callin")).read()
    named = re.findall(r"^\s*(?:alias|root|include|ssl_dhparam)\s+(/\S+);", site, re.M)
    ours = [n for n in named if n.startswith(("/usr/local/", "/etc/nginx/callin/"))]
    assert len(ours) >= 10, named
    for n in ours:
        assert os.path.exists(where(p, n)), n
    assert os.path.isdir(where(p, "/usr/local/share/callin/govuk/assets/"))
    execs = 0
    for unit in glob.glob(os.path.join(p, "lib/systemd/system/*.service")):
        for m in re.finditer(r"^ExecStart(?:Pre)?=(\S+)(.*)$", open(unit).read(), re.M):
            assert os.access(where(p, m.group(1)), os.X_OK), (unit, m.group(1))
            execs += 1
            # The configuration file the unit names sits beside the example.
            conf = re.search(r"-c (\S+)", m.group(2))
            assert conf and os.path.exists(where(p, conf.group(1) + ".example"))
    assert execs == 6


def test_programs_run(tmp_path):
    p = install(tmp_path / "usr-local")
    bin = os.path.join(p, "bin")

    def run(*argv):
        return subprocess.run([os.path.join(bin, argv[0]), *argv[1:]],
                              capture_output=True, text=True, timeout=60)

    for prog in ("callin-keygen", "callin-verify"):
        r = run(prog, "--help")
        assert r.returncode == 0 and r.stdout.startswith(f"usage: {prog} "), r
    for prog in ("callin-fcgi", "callin-mailer", "callin-logd"):
        r = run(prog, "--no-such-option")
        assert r.returncode == 2 and f"usage: {prog} " in r.stderr, r
    # The installed keygen makes a pair that the installed verify reads.
    r = run("callin-keygen", str(tmp_path / "signing.pem"), str(tmp_path / "public"))
    assert r.returncode == 0, r
    pubs = os.listdir(tmp_path / "public")
    assert len(pubs) == 1 and pubs[0].endswith(".pem")
    assert mode(tmp_path / "signing.pem") == 0o600
    (tmp_path / "receipt.txt").write_text("not a receipt\n")
    r = run("callin-verify", "--key", str(tmp_path / "public" / pubs[0]),
            str(tmp_path / "receipt.txt"))
    assert r.returncode == 2, r         # malformed, as the README says
