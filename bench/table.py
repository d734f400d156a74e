#!/usr/bin/env python3
"""Turns a classchat-bench JSONL file into a Markdown table (one row per result)."""
import json
import sys

KEYS = {
    "idle": ["opened", "failed", "connect_per_s", "rss_per_conn_kib", "server_alive"],
    "send": ["transport", "pairs", "window", "acked_per_s", "errors"],
    "latency": ["rate", "achieved_rate", "nodes", "idle", "delivery_p50_us", "delivery_p95_us",
                "delivery_p99_us", "delivery_max_us", "lost", "pairs", "graphql_delivery_p50_us",
                "graphql_delivery_p95_us", "graphql_delivery_p99_us", "graphql_delivery_max_us",
                "graphql_lost", "graphql_p99_ratio"],
    "history": ["messages", "reads_per_s", "read_p50_us", "read_p99_us", "read_max_us",
                "writes_per_s"],
    "login-flood": ["shape", "tasks", "attempts_per_s", "answers_401", "answers_429",
                    "answers_503", "rss_peak_mib", "rss_after_mib",
                    "base_healthz_p50_us", "flood_healthz_p50_us", "base_read_p50_us",
                    "flood_read_p50_us", "base_send_p50_us", "flood_send_p50_us",
                    "base_login_p50_us", "flood_login_p50_us", "flood_login_max_us",
                    "login_after_stop", "device_known", "flood_device_login_p50_us",
                    "flood_device_login_max_us", "device_after_stop"],
    "roster": ["users", "enrolments", "cli_import_ms", "cli_import_peak_rss_kib",
               "cli_reimport_ms", "cli_dry_run_ms", "server_import_ms",
               "server_peak_after_import_kib", "announce_post_p50_us", "announce_post_p99_us",
               "announce_delivery_p50_us", "announce_delivery_p99_us", "copies_lost"],
    "redis-restart": ["nodes", "idle", "idle_closed", "pairs", "sender_reconnects",
                      "recipient_reconnects", "redis_down_ms", "acked", "lost", "duplicates",
                      "closed_after_back_p50_us", "closed_after_back_max_us",
                      "whole_after_ms", "after_restart_p50_us", "after_restart_p99_us"],
    "registry": ["shards", "idle", "recipients", "publishers", "rate", "delivered_per_s",
                 "deliver_p50_ns", "deliver_p99_ns", "queued_p50_us", "queued_p99_us", "lost"],
}


def fmt(value):
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def main(path):
    print("| scenario | target | load | figures |")
    print("|---|---|---|---|")
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            keys = KEYS.get(r["scenario"], [])
            figures = ", ".join(f"{k}={fmt(r[k])}" for k in keys if k in r)
            print(f"| {r['scenario']} | {r['target']} | {r.get('loadavg', '')} | {figures} |")


if __name__ == "__main__":
    main(sys.argv[1])
