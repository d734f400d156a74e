//! Running the real `classchat` binary from a test: a command to completion, or a server
//! until the test stops it, and plain HTTP calls to it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitStatus, Output, Stdio};

/// The binary under test, built by cargo for this test run.
pub const BINARY: &str = env!("CARGO_BIN_EXE_classchat");

/// `classchat` with a quiet log and no secret inherited from the developer's shell.
pub fn classchat() -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_remove("CLASSCHAT_JWT_SECRET")
        .env_remove("CLASSCHAT_JWT_SECRET_FILE")
        .env("RUST_LOG", "warn");
    command
}

/// Runs `command` to completion, feeding it `stdin` (then end of input).
pub fn run(command: &mut Command, stdin: Option<&str>) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start classchat");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("classchat output")
}

/// The command's stdout, after asserting it exited 0 (its stderr otherwise).
#[track_caller]
pub fn succeeds(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A running `classchat serve`/`demo`, the address it printed and everything it printed up
/// to that line; killed on drop unless terminated first.
pub struct Running {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The lines printed before and including the listening line.
    pub banner: String,
}

impl Running {
    /// Starts `command` and waits for its "classchat listening on" line.
    pub fn start(command: &mut Command) -> Running {
        Self::start_with_stderr(command, Stdio::inherit())
    }

    /// Like [`Self::start`], with the log (stderr) written to the file `log`.
    pub fn start_logging(command: &mut Command, log: &std::path::Path) -> Running {
        let file = std::fs::File::create(log).expect("create the log file");
        Self::start_with_stderr(command, Stdio::from(file))
    }

    fn start_with_stderr(command: &mut Command, stderr: Stdio) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start classchat");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut banner = String::new();
        for line in lines.by_ref() {
            let line = line.expect("stdout");
            banner.push_str(&line);
            banner.push('\n');
            if let Some(url) = line.strip_prefix("classchat listening on ") {
                // Keep draining stdout so the child never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return Running {
                    child,
                    base: url.to_owned(),
                    banner,
                };
            }
        }
        let _ = child.kill();
        let status = child.wait();
        panic!("classchat exited before listening ({status:?}); stdout: {banner}");
    }

    /// The process id (of `sh` if it was started through `sh -c 'exec …'`, which is then
    /// the same process).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, as a service manager stops it, and the exit status.
    pub fn terminate(self) -> ExitStatus {
        self.signal("TERM")
    }

    /// SIGINT, as Ctrl-C in a terminal stops it, and the exit status.
    pub fn interrupt(self) -> ExitStatus {
        self.signal("INT")
    }

    /// Sends the signal named `name` (`TERM`, `INT`, …) and waits for the exit.
    fn signal(mut self, name: &str) -> ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([&format!("-{name}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        self.child.wait().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP call: status and JSON body (`Null` when the body is not JSON).
pub async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}
