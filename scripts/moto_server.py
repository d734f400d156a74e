"""Runs moto's DynamoDB emulator for classchat's tests.

Differences from `moto_server`, and why:
- It binds the port the kernel picks (port 0) and writes the real one to --port-file, so
  the test script never races another process for a "free" port.
- Requests are served one at a time (a lock around the app; connections are still
  accepted concurrently). moto's backend is not thread-safe: TransactWriteItems deep-copies
  the tables and, on a cancelled transaction, restores that copy, which would silently undo
  writes made by other threads in between. Real DynamoDB serialises conflicting writes,
  so a serialised emulator is the faithful one.
- A transaction backs up only the items it touches, not whole tables. moto deep-copies
  every table a transaction names, which makes each message append cost O(messages
  stored) and a long test run quadratic; the result of a committed or cancelled
  transaction is the same either way.
- With --state FILE it survives being killed: moto's recorder logs every request to FILE
  (before serving it, inside the lock, so in the order they were applied) and a start
  with the same FILE replays the log into the fresh backend before listening. moto keeps
  its data in memory only; this is what lets a test kill the emulator (SIGKILL, like a
  crashed DynamoDB endpoint), start it again on the same --port, and check that nothing
  acknowledged was lost.
"""

import argparse
import base64
import json
import logging
import os
import sys
import threading
from urllib.parse import urlsplit


class Serialized:
    """A WSGI app that runs `app` for one request at a time."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()


def replay(app, path: str) -> int:
    """Replays the request log at `path` into `app` (not recording it again) and returns
    how many requests it held.

    A kill can tear the last line; the request it began was never served (it is logged
    before it runs), so the log is cut back to its complete lines before new ones are
    appended after them.
    """
    from moto.moto_api import recorder
    from werkzeug.test import Client

    try:
        with open(path, "rb") as log:
            raw = log.read()
    except FileNotFoundError:
        return 0
    entries = []
    kept = 0
    for line in raw.split(b"\n"):
        if not line.strip():
            kept += len(line) + 1
            continue
        try:
            entries.append(json.loads(line))
        except ValueError:
            break
        kept += len(line) + 1
    if kept < len(raw):
        with open(path, "r+b") as log:
            log.truncate(kept)

    client = Client(app)
    recorder.stop_recording()
    try:
        for entry in entries:
            body = entry.get("body") or b""
            if entry.get("body_encoded"):
                body = base64.b64decode(body)
            url = urlsplit(entry["url"])
            target = url.path + (f"?{url.query}" if url.query else "")
            headers = {
                name: value
                for name, value in entry.get("headers", {}).items()
                if name.lower() not in ("content-length", "transfer-encoding")
            }
            client.open(target, method=entry["method"], headers=headers, data=body)
    finally:
        recorder.start_recording()
    return len(entries)


def back_up_only_touched_items() -> None:
    """Replaces moto's whole-table backup in TransactWriteItems by a per-item one."""
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    state = {"whole_tables": False}

    def deepcopy(value, memo=None):
        if isinstance(value, Table) and not state["whole_tables"]:
            return value  # restored item by item below instead
        return copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy)
    original = models.DynamoDBBackend.transact_write_items

    def snapshot(backend, transact_items):
        saved = []
        for entry in transact_items:
            for op_type, op in entry.items():
                name = op["TableName"]
                table = backend.get_table(name)
                if op_type == "Put":
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    key = op["Key"]
                current = backend.get_item(name, key)
                attributes = None if current is None else current.to_json()["Attributes"]
                saved.append((name, key, copy.deepcopy(attributes)))
        return saved

    def transact_write_items(self, transact_items):
        try:
            saved = snapshot(self, transact_items)
        except Exception:
            # A malformed request: let moto validate it, with its own full backup.
            state["whole_tables"] = True
            try:
                return original(self, transact_items)
            finally:
                state["whole_tables"] = False
        try:
            return original(self, transact_items)
        except Exception:
            for name, key, attributes in reversed(saved):
                if attributes is not None:
                    self.put_item(name, attributes)
                elif self.get_item(name, key) is not None:
                    self.delete_item(name, key)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--log-requests", action="store_true", help="log every request")
    parser.add_argument(
        "--state",
        help="log every request here and replay the log at start: the data outlives a kill",
    )
    args = parser.parse_args()
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.state:
        # moto's recorder reads these when moto is first imported, just below.
        os.environ["MOTO_ENABLE_RECORDING"] = "true"
        os.environ["MOTO_RECORDER_FILEPATH"] = args.state

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    back_up_only_touched_items()
    app = DomainDispatcherApplication(create_backend_app)
    if args.state:
        replayed = replay(app, args.state)
        if replayed:
            print(f"moto replayed {replayed} requests from {args.state}", flush=True)
    server = make_server(
        args.host,
        args.port,
        Serialized(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    port = server.socket.getsockname()[1]
    if args.port_file:
        partial = args.port_file + ".tmp"
        with open(partial, "w") as out:
            out.write(f"{port}\n")
        os.replace(partial, args.port_file)
    print(f"moto listening on http://{args.host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
