//! classchat-notify against real sockets: Web Push delivered to a push service of our own
//! on loopback (which checks the VAPID signature and decrypts what it receives), the
//! endpoint guard, and an independent implementation (Python's `http_ece`) decrypting
//! what we encrypt.

mod cross_check;
mod delivery;
mod digests;
mod guard;
mod mail;
mod notifier;
mod quiet_hours;
mod support;
