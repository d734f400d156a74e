"""An SMTP server that keeps what it is sent, for classchat-notify's email tests.

It is aiosmtpd's threaded `Controller` on 127.0.0.1, with these choices, and why:
- It binds the port the kernel picks (port 0, on a socket of our own the controller then
  serves) and writes the real one to --port-file, so the test script never races another
  process for a "free" port.
- Every message it accepts goes into the Maildir at --maildir (Python's
  `mailbox.Maildir`: written under tmp/, then renamed into new/, so a reader never sees
  half a message), preceded by two headers of its own with the SMTP envelope:
  `X-Sink-Mail-From` and `X-Sink-Rcpt-To` (comma-separated). Tests read it with
  `classchat_notify::testing::SmtpSink`, each with recipients of its own, so they can
  share one sink.
- A recipient whose local part starts with `reject` is refused with a permanent 550, and
  one starting with `defer` with a transient 451, so tests can see how a sender treats a
  relay's refusals.
"""

import argparse
import mailbox
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    """The aiosmtpd handler: refuses reject*@ and defer*@, stores everything else."""

    def __init__(self, maildir: mailbox.Maildir):
        self.maildir = maildir
        # Handlers run on the controller's one event loop thread; the lock only guards
        # against that ever changing.
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 Mailbox unavailable (the sink rejects reject*@)"
        if local.startswith("defer"):
            return "451 4.3.0 Try again later (the sink defers defer*@)"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        head = (
            f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
            f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode("utf-8")
        with self.lock:
            self.maildir.add(head + envelope.content)
        return "250 OK: stored"


class LoopbackController(Controller):
    """A controller serving a socket bound before it starts, on the port the kernel chose."""

    def __init__(self, handler, **kwargs):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        port = self.listener.getsockname()[1]
        super().__init__(handler, hostname="127.0.0.1", port=port, **kwargs)

    def _create_server(self):
        # The hook aiosmtpd documents for subclasses ("MUST refer the _factory_invoker()").
        return self.loop.create_server(self._factory_invoker, sock=self.listener)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", required=True, help="write the bound port here once listening")
    parser.add_argument("--maildir", required=True, help="store every accepted message in this Maildir")
    args = parser.parse_args()

    maildir = mailbox.Maildir(args.maildir, create=True)
    controller = LoopbackController(Sink(maildir), enable_SMTPUTF8=True)
    controller.start()

    partial = args.port_file + ".tmp"
    with open(partial, "w") as out:
        out.write(f"{controller.port}\n")
    os.replace(partial, args.port_file)
    print(f"SMTP sink listening on 127.0.0.1:{controller.port}, storing into {args.maildir}", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
