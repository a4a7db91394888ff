//! Running external commands with a deadline: no test may hang on a stuck tool.

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long to wait for a finished command's output pipes to close. A daemon the command
/// started may keep them open; its output is then given up rather than waited for.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Why a command could not be run to completion.
#[derive(Debug)]
pub enum RunError {
    /// The program could not be started.
    Spawn {
        /// The command line.
        command: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The deadline passed; the process was killed.
    Timeout {
        /// The command line.
        command: String,
        /// The deadline it was given.
        after: Duration,
        /// What it had printed on stderr by then, if anything.
        stderr: String,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Spawn { command, source } => write!(f, "cannot start {command}: {source}"),
            RunError::Timeout {
                command,
                after,
                stderr,
            } => {
                write!(f, "{command} timed out after {after:?} and was killed")?;
                if !stderr.is_empty() {
                    write!(f, "; stderr: {}", stderr.trim())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RunError {}

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct CmdOutput {
    /// The command line, for messages.
    pub command: String,
    /// Its exit status.
    pub status: ExitStatus,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl CmdOutput {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Its exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// The command line of `cmd`, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Start `cmd` with its output piped; also returns its command line.
fn spawn(cmd: &mut Command, stdin: Stdio) -> Result<(Child, String), RunError> {
    let command = describe(cmd);
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match cmd.spawn() {
        Ok(child) => Ok((child, command)),
        Err(source) => Err(RunError::Spawn { command, source }),
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut buf = Vec::new();
            // A read error ends the capture; what was read so far is still reported.
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
    }
    rx
}

fn collect(rx: &mpsc::Receiver<Vec<u8>>, grace: Duration) -> String {
    rx.recv_timeout(grace)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// Run `cmd` to completion, feeding it `stdin`, killing it after `timeout`.
pub fn run(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<CmdOutput, RunError> {
    let piped = if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    let (mut child, command) = spawn(cmd, piped)?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let input = input.to_vec();
        // A writer thread: a child that fills its stdout before reading all its stdin must not
        // deadlock against us. A write error means the child stopped reading; its exit says why.
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let mut nap = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) | Err(_) if Instant::now() >= deadline => {
                // Kill errors mean it already exited; wait reaps it either way.
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::Timeout {
                    command,
                    after: timeout,
                    stderr: collect(&err, PIPE_GRACE),
                });
            }
            Ok(None) => {
                thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(20));
            }
            Err(source) => return Err(RunError::Spawn { command, source }),
        }
    };
    Ok(CmdOutput {
        command,
        status,
        stdout: collect(&out, PIPE_GRACE),
        stderr: collect(&err, PIPE_GRACE),
    })
}

/// A background process (an echo server) that is killed when dropped.
#[derive(Debug)]
pub struct Background {
    child: Child,
    command: String,
}

impl Background {
    /// Start `cmd` and wait up to `timeout` for it to print the line `ready` on stdout.
    pub fn start_when_ready(cmd: &mut Command, timeout: Duration) -> Result<Background, RunError> {
        let (mut child, command) = spawn(cmd, Stdio::null())?;
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            thread::spawn(move || wait_for_ready(stdout, &tx));
        }
        let err = drain(child.stderr.take());
        let mut bg = Background { child, command };
        match rx.recv_timeout(timeout) {
            Ok(()) => Ok(bg),
            Err(_) => {
                bg.stop();
                Err(RunError::Timeout {
                    command: bg.command.clone(),
                    after: timeout,
                    stderr: collect(&err, PIPE_GRACE),
                })
            }
        }
    }

    /// Kill the process (if still running) and reap it.
    pub fn stop(&mut self) {
        // Errors mean it has already exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for_ready(stdout: ChildStdout, ready: &mpsc::Sender<()>) {
    for line in BufReader::new(stdout).lines() {
        match line {
            Ok(line) if line.trim() == "ready" => {
                let _ = ready.send(());
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}
