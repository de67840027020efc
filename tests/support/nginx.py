"""The repository's nginx configuration (deploy/nginx/assistant.conf), run for real in front
of test workers: the same file, with the workers' ports, free listening ports and a
self-signed certificate put in. Needs Debian's nginx binary (`nginx` on PATH, or
NGINX_BINARY=/path/to/nginx)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.processes import ROOT, free_port

CONFIG = ROOT / "deploy" / "nginx" / "assistant.conf"


def nginx_binary() -> str | None:
    return (
        os.environ.get("NGINX_BINARY") or shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    )


@dataclass(frozen=True)
class Nginx:
    http_port: int
    https_port: int

    @property
    def public_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def rendered(worker_ports: Sequence[int], http: int, https: int, cert: Path, key: Path) -> str:
    """The repository's file with this test's ports and certificate; nothing else changes."""
    text = CONFIG.read_text()
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=2 fail_timeout=5s;\n" for port in worker_ports
    )
    text, count = re.subn(r"(    server 127\.0\.0\.1:\d+ [^\n]*\n)+", servers, text)
    assert count == 1, "the upstream block of deploy/nginx/assistant.conf changed shape"
    text = re.sub(r"\n\s*listen \[::\]:[^\n]*", "", text)  # loopback IPv4 only in tests
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    text = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", text)
    return re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", text)


@contextmanager
def nginx_in_front(worker_ports: Sequence[int], directory: Path) -> Iterator[Nginx]:
    binary = nginx_binary()
    assert binary, "no nginx binary"
    http, https = free_port(), free_port()
    cert, key = self_signed(directory)
    site = directory / "assistant.conf"
    site.write_text(rendered(worker_ports, http, https, cert, key))
    temp = directory / "temp"
    temp.mkdir()
    main = directory / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\n"
        + f"error_log {directory}/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n"
        + "".join(
            f"  {kind}_temp_path {temp}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {site};\n}}\n"
    )
    command = [binary, "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(main)]
    subprocess.run([*command, "-t"], check=True, capture_output=True)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(http, process, directory)
        yield Nginx(http, https)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], directory: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((directory / "error.log").read_text())
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError("nginx did not start")
