"""
The SMTP backend verifies the server's certificate on EMAIL_USE_TLS and
EMAIL_USE_SSL connections, against a real TLS server on 127.0.0.1 whose
certificates are made with the openssl command for each test class.
"""

import os
import shutil
import smtplib
import socketserver
import ssl
import subprocess
import tempfile
import threading
from email import message_from_bytes
from unittest import mock, skipUnless

from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.test import SimpleTestCase

OPENSSL = shutil.which("openssl")

OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no

[dn]
CN = unused

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[wrong_name]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:mail.example.invalid
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

CLIENT_NAME = "asyncorm test client"


def make_certificates(directory):
    """
    Write two CAs, "ca" (the one the tests trust) and "other_ca", and three
    certificates that "ca" signs: "server" for localhost, "wrong_name" for
    another host and "client", a client certificate. Each NAME gets NAME.pem
    and NAME.key in directory.
    """
    config = os.path.join(directory, "openssl.cnf")
    with open(config, "w") as f:
        f.write(OPENSSL_CONFIG)

    def openssl(*args):
        subprocess.run([OPENSSL, *args], cwd=directory, check=True, capture_output=True)

    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    for ca in ("ca", "other_ca"):
        openssl(
            "req", "-x509", "-new", *new_key, "-nodes", "-days", "2",
            "-config", config, "-extensions", "ca",
            "-subj", f"/CN=asyncorm test {ca}",
            "-keyout", f"{ca}.key", "-out", f"{ca}.pem",
        )  # fmt: skip
    for serial, (name, common_name) in enumerate(
        [("server", "localhost"), ("wrong_name", "mail"), ("client", CLIENT_NAME)],
        start=1,
    ):
        openssl(
            "req", "-new", *new_key, "-nodes", "-config", config,
            "-subj", f"/CN={common_name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr",
        )  # fmt: skip
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-days", "2",
            "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", str(serial),
            "-extfile", config, "-extensions", name, "-out", f"{name}.pem",
        )  # fmt: skip


class TLSSMTPRequestHandler(socketserver.BaseRequestHandler):
    """
    Just enough SMTP for the backend: EHLO/HELO, STARTTLS (unless the server
    speaks TLS from the start), MAIL, RCPT, DATA, RSET, NOOP and QUIT. Every
    command is recorded, with whether it came encrypted.
    """

    def handle(self):
        self.sock = self.request
        self.reader = None
        self.encrypted = False
        try:
            if self.server.implicit_tls and not self.start_tls():
                return
            self.reader = self.sock.makefile("rb")
            self.reply("220 localhost ESMTP test server")
            self.serve()
        except OSError:
            # The client went away.
            pass
        finally:
            if self.reader is not None:
                self.reader.close()
            # socketserver closes the plain socket; the TLS one is ours.
            if self.sock is not self.request:
                self.sock.close()

    def start_tls(self):
        try:
            self.sock = self.server.ssl_context.wrap_socket(self.sock, server_side=True)
        except OSError as exc:
            self.server.tls_errors.append(exc)
            return False
        self.encrypted = True
        self.server.client_certificates.append(self.sock.getpeercert())
        return True

    def reply(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def serve(self):
        while line := self.reader.readline():
            verb = line.decode().split(" ", 1)[0].strip().upper()
            self.server.commands.append((verb, self.encrypted))
            if verb == "EHLO":
                if self.encrypted or not self.server.offer_starttls:
                    self.reply("250 localhost")
                else:
                    self.reply("250-localhost")
                    self.reply("250 STARTTLS")
            elif verb == "STARTTLS" and self.server.starttls_refusal:
                self.reply(self.server.starttls_refusal)
            elif verb == "STARTTLS" and not self.encrypted:
                self.reply("220 Ready to start TLS")
                self.reader.close()
                self.reader = None
                if not self.start_tls():
                    return
                self.reader = self.sock.makefile("rb")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.reader.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                message = message_from_bytes(b"".join(lines))
                self.server.mailbox.append((self.encrypted, message))
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            elif verb in {"HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                self.reply("250 OK")
            else:
                self.reply("502 Command not implemented")


class TLSSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, implicit_tls):
        super().__init__(("127.0.0.1", 0), TLSSMTPRequestHandler)
        self.implicit_tls = implicit_tls
        self.reset(None)

    def reset(self, ssl_context):
        self.ssl_context = ssl_context
        # False: EHLO doesn't offer STARTTLS (as if someone in between had
        # stripped it). starttls_refusal: the reply to STARTTLS, if not 220.
        self.offer_starttls = True
        self.starttls_refusal = None
        self.commands = []
        self.mailbox = []
        self.client_certificates = []
        self.tls_errors = []


@skipUnless(OPENSSL, "The openssl command isn't installed.")
class SMTPCertificateVerificationMixin:
    # True: EMAIL_USE_SSL (TLS from the start); False: EMAIL_USE_TLS.
    implicit_tls = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cert_dir = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.cert_dir)
        # An empty certificate directory keeps the system's CAs out of the
        # trust store: only SSL_CERT_FILE's CA is trusted.
        cls.empty_dir = os.path.join(cls.cert_dir, "empty")
        os.mkdir(cls.empty_dir)
        make_certificates(cls.cert_dir)
        cls.server = TLSSMTPServer(cls.implicit_tls)
        cls.addClassCleanup(cls.server.server_close)
        thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(thread.join)
        cls.addClassCleanup(cls.server.shutdown)

    def setUp(self):
        self.server.reset(self.server_context("server"))
        self.trust("ca")

    def path(self, name):
        return os.path.join(self.cert_dir, name)

    def server_context(self, certificate):
        """
        A server context presenting the named certificate, which asks for a
        client certificate from the trusted CA and records it.
        """
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(
            self.path(f"{certificate}.pem"), self.path(f"{certificate}.key")
        )
        context.load_verify_locations(self.path("ca.pem"))
        context.verify_mode = ssl.CERT_OPTIONAL
        return context

    def trust(self, ca):
        """Make the named CA the only one the default trust store holds."""
        environ = mock.patch.dict(
            os.environ,
            {"SSL_CERT_FILE": self.path(f"{ca}.pem"), "SSL_CERT_DIR": self.empty_dir},
        )
        environ.start()
        self.addCleanup(environ.stop)

    def backend(self, host="localhost", **kwargs):
        backend = smtp.EmailBackend(
            host=host,
            port=self.server.server_address[1],
            use_ssl=self.implicit_tls,
            use_tls=not self.implicit_tls,
            timeout=10,
            **kwargs,
        )
        self.addCleanup(backend.close)
        return backend

    def send(self, backend):
        email = EmailMessage(
            "Subject", "Content", "from@example.com", ["to@example.com"]
        )
        return backend.send_messages([email])

    def assertNothingSent(self):
        self.assertEqual(self.server.mailbox, [])

    def assertNothingSentInPlainText(self):
        self.assertNothingSent()
        plain_text = [verb for verb, encrypted in self.server.commands if not encrypted]
        for verb in ("MAIL", "RCPT", "DATA"):
            self.assertNotIn(verb, plain_text)

    def test_trusted_certificate_accepted(self):
        self.assertEqual(self.send(self.backend()), 1)
        [(encrypted, message)] = self.server.mailbox
        self.assertIs(encrypted, True)
        self.assertEqual(message["Subject"], "Subject")
        # No client certificate unless one is configured.
        self.assertEqual(self.server.client_certificates, [None])

    def test_untrusted_certificate_rejected(self):
        self.trust("other_ca")
        backend = self.backend()
        # OpenSSL names the cause, which depends on whether the server sends
        # its CA along.
        msg = "certificate verify failed"
        with self.assertRaisesMessage(ssl.SSLCertVerificationError, msg):
            backend.open()
        self.assertNothingSent()

    def test_wrong_host_name_rejected(self):
        # The certificate comes from the trusted CA, for another host.
        self.server.ssl_context = self.server_context("wrong_name")
        backend = self.backend()
        msg = "Hostname mismatch, certificate is not valid for 'localhost'."
        with self.assertRaisesMessage(ssl.SSLCertVerificationError, msg):
            backend.open()
        self.assertNothingSent()

    def test_ip_address_not_in_certificate_rejected(self):
        backend = self.backend(host="127.0.0.1")
        msg = "IP address mismatch, certificate is not valid for '127.0.0.1'."
        with self.assertRaisesMessage(ssl.SSLCertVerificationError, msg):
            backend.open()
        self.assertNothingSent()

    def test_untrusted_certificate_fail_silently(self):
        self.trust("other_ca")
        self.assertEqual(self.send(self.backend(fail_silently=True)), 0)
        self.assertNothingSent()

    def test_untrusted_certificate_fail_silently_drops_connection(self):
        """
        After open() failed silently, the backend has no connection, and
        later send_messages() calls send nothing.
        """
        self.trust("other_ca")
        backend = self.backend(fail_silently=True)
        self.assertIsNone(backend.open())
        self.assertIsNone(backend.connection)
        self.assertEqual(self.send(backend), 0)
        self.assertEqual(self.send(backend), 0)
        self.assertIsNone(backend.connection)
        self.assertNothingSentInPlainText()

    def test_client_certificate_presented(self):
        backend = self.backend(
            ssl_certfile=self.path("client.pem"), ssl_keyfile=self.path("client.key")
        )
        self.assertEqual(self.send(backend), 1)
        [certificate] = self.server.client_certificates
        self.assertIn((("commonName", CLIENT_NAME),), certificate["subject"])

    def test_client_certificate_and_key_in_one_file(self):
        certfile = self.path("client-and-key.pem")
        with open(certfile, "w") as f:
            for name in ("client.pem", "client.key"):
                with open(self.path(name)) as part:
                    f.write(part.read())
        self.assertEqual(self.send(self.backend(ssl_certfile=certfile)), 1)
        [certificate] = self.server.client_certificates
        self.assertIn((("commonName", CLIENT_NAME),), certificate["subject"])

    def test_client_certificate_untrusted_server_rejected(self):
        """A client certificate doesn't turn off the server's verification."""
        self.trust("other_ca")
        backend = self.backend(
            ssl_certfile=self.path("client.pem"), ssl_keyfile=self.path("client.key")
        )
        with self.assertRaises(ssl.SSLCertVerificationError):
            backend.open()
        self.assertNothingSent()

    def test_client_certificate_wrong_host_name_rejected(self):
        self.server.ssl_context = self.server_context("wrong_name")
        backend = self.backend(
            ssl_certfile=self.path("client.pem"), ssl_keyfile=self.path("client.key")
        )
        msg = "Hostname mismatch, certificate is not valid for 'localhost'."
        with self.assertRaisesMessage(ssl.SSLCertVerificationError, msg):
            backend.open()
        self.assertNothingSent()


class StartTLSCertificateVerificationTests(
    SMTPCertificateVerificationMixin, SimpleTestCase
):
    implicit_tls = False

    def test_starttls_refused(self):
        self.server.starttls_refusal = "454 TLS not available"
        backend = self.backend()
        with self.assertRaises(smtplib.SMTPResponseException) as ctx:
            backend.open()
        self.assertEqual(ctx.exception.smtp_code, 454)
        self.assertIsNone(backend.connection)
        self.assertNothingSentInPlainText()

    def test_starttls_refused_fail_silently(self):
        self.server.starttls_refusal = "454 TLS not available"
        backend = self.backend(fail_silently=True)
        self.assertIsNone(backend.open())
        self.assertIsNone(backend.connection)
        self.assertEqual(self.send(backend), 0)
        self.assertEqual(self.send(backend), 0)
        self.assertEqual(self.server.commands.count(("STARTTLS", False)), 3)
        self.assertNothingSentInPlainText()

    def test_starttls_stripped_fail_silently(self):
        """
        Someone in between who removes STARTTLS from the server's EHLO reply
        gets no message in plain text.
        """
        self.server.offer_starttls = False
        backend = self.backend(fail_silently=True)
        self.assertIsNone(backend.open())
        self.assertIsNone(backend.connection)
        self.assertEqual(self.send(backend), 0)
        self.assertEqual(self.send(backend), 0)
        self.assertNothingSentInPlainText()


class SSLCertificateVerificationTests(SMTPCertificateVerificationMixin, SimpleTestCase):
    implicit_tls = True
