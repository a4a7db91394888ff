//! The CPE hook: hands a customer's new ToS value to the customer's CPE, as the 2015
//! deployment's portal pushed it to the Juniper vSRX over NETCONF (paper §5).
//!
//! Two kinds, both bounded by a timeout:
//! - **command**: a program run directly (no shell) with `{customer}`, `{tos}`, `{tos_hex}`,
//!   `{dscp}`, `{services}` and `{actor}` in its arguments replaced, the same values in the
//!   environment (`FLOWFALL_CUSTOMER`, `FLOWFALL_TOS`, ...); exit status 0 is success. At most
//!   4 KiB of its stdout and stderr are kept for the report.
//! - **webhook**: an HTTP/1.1 `POST` of a JSON [`CpePush`] to an `http://` URL; any 2xx is
//!   success. Redirects are not followed.
//!
//! A failed hook does not undo the flow change: see [`crate`] docs, "CPE hook failures".

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, Uri, header};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;

use crate::config::CpeHook;

/// Most bytes of a hook's output (each of stdout, stderr, response body) kept for the report.
pub const OUTPUT_CAP: usize = 4096;

/// What the hook is told: the JSON body of a webhook, the placeholders of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpePush {
    /// The customer.
    pub customer: String,
    /// The ToS byte the CPE must now mark.
    pub tos: u8,
    /// The services that value encodes.
    pub services: Vec<String>,
    /// Who made the change (`customer:ex01`, `operator:alice`).
    pub actor: String,
}

impl CpePush {
    /// The values of the command placeholders, by name.
    fn variables(&self) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("customer", self.customer.clone()),
            ("tos", self.tos.to_string()),
            ("tos_hex", format!("0x{:02x}", self.tos)),
            ("dscp", (self.tos >> 2).to_string()),
            ("services", self.services.join(",")),
            ("actor", self.actor.clone()),
        ])
    }
}

/// The placeholder names a command argument may use.
pub const PLACEHOLDERS: [&str; 6] = ["customer", "tos", "tos_hex", "dscp", "services", "actor"];

/// A malformed command-argument template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{name}` with a name that is not one of [`PLACEHOLDERS`].
    #[error("unknown placeholder {{{name}}} at byte {offset} (known: {known})", known = PLACEHOLDERS.join(", "))]
    Unknown {
        /// The name found.
        name: String,
        /// Byte offset of its `{`.
        offset: usize,
    },
    /// A `{` without its `}`.
    #[error("unclosed `{{` at byte {offset} (write `{{{{` for a literal brace)")]
    Unclosed {
        /// Byte offset of the `{`.
        offset: usize,
    },
    /// A lone `}`.
    #[error("unmatched `}}` at byte {offset} (write `}}}}` for a literal brace)")]
    Unmatched {
        /// Byte offset of the `}`.
        offset: usize,
    },
}

/// Replaces `{name}` in `template` with `vars[name]`; `{{` and `}}` are literal braces.
pub(crate) fn expand(
    template: &str,
    vars: &BTreeMap<&'static str, String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template.char_indices().peekable();
    while let Some((i, c)) = rest.next() {
        match c {
            '{' if rest.peek().map(|&(_, n)| n) == Some('{') => {
                rest.next();
                out.push('{');
            }
            '}' if rest.peek().map(|&(_, n)| n) == Some('}') => {
                rest.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for (_, n) in rest.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    name.push(n);
                }
                if !closed {
                    return Err(TemplateError::Unclosed { offset: i });
                }
                match vars.get(name.as_str()) {
                    Some(v) => out.push_str(v),
                    None => return Err(TemplateError::Unknown { name, offset: i }),
                }
            }
            '}' => return Err(TemplateError::Unmatched { offset: i }),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Checks a template against the placeholder names (configuration validation).
pub(crate) fn check_template(template: &str) -> Result<(), TemplateError> {
    let sample = CpePush {
        customer: String::new(),
        tos: 0,
        services: Vec::new(),
        actor: String::new(),
    };
    expand(template, &sample.variables()).map(|_| ())
}

/// Why a hook failed.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// An argument template did not expand (configuration validation prevents this).
    #[error("argument {index}: {source}")]
    Template {
        /// 0-based argument index.
        index: usize,
        /// What is wrong with it.
        source: TemplateError,
    },
    /// The program could not be started.
    #[error("cannot run {program:?}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The program ran and failed.
    #[error("{program:?} exited with {status}{}", detail_suffix(stderr))]
    Exit {
        /// The program.
        program: String,
        /// Its exit status, as the OS describes it.
        status: String,
        /// The start of its stderr (at most [`OUTPUT_CAP`] bytes).
        stderr: String,
    },
    /// The hook took longer than its timeout (a command is killed).
    #[error("no answer within {timeout_ms} ms")]
    Timeout {
        /// The configured timeout.
        timeout_ms: u64,
    },
    /// The webhook URL does not parse or is not `http://host[:port]/path`.
    #[error("webhook url {url:?}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Connecting to or talking with the webhook failed.
    #[error("webhook {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The webhook answered with a status other than 2xx.
    #[error("webhook {url} answered {status}{}", detail_suffix(body))]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: StatusCode,
        /// The start of the response body (at most [`OUTPUT_CAP`] bytes).
        body: String,
    },
}

fn detail_suffix(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() {
        String::new()
    } else {
        format!(": {t}")
    }
}

/// The result of one hook run, as the portal reports it to the user and the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookOutcome {
    /// Whether the CPE accepted the value.
    pub ok: bool,
    /// `command <program>` or `webhook <url>`.
    pub target: String,
    /// The program's first output line / the response status on success; the error on
    /// failure.
    pub detail: String,
    /// How long it took, milliseconds.
    pub elapsed_ms: u64,
}

impl CpeHook {
    /// `command <program>` or `webhook <url>`.
    pub fn target(&self) -> String {
        match self {
            CpeHook::Command { program, .. } => format!("command {program}"),
            CpeHook::Webhook { url, .. } => format!("webhook {url}"),
        }
    }

    fn timeout(&self) -> Duration {
        match self {
            CpeHook::Command { timeout_ms, .. } | CpeHook::Webhook { timeout_ms, .. } => {
                Duration::from_millis(*timeout_ms)
            }
        }
    }

    /// Hands `push` to the CPE; `Ok` carries a short success detail.
    pub async fn push(&self, push: &CpePush) -> Result<String, HookError> {
        let timeout_ms = u64::try_from(self.timeout().as_millis()).unwrap_or(u64::MAX);
        match self {
            CpeHook::Command { program, args, .. } => {
                run_command(program, args, push, self.timeout(), timeout_ms).await
            }
            CpeHook::Webhook { url, .. } => {
                match tokio::time::timeout(self.timeout(), post_json(url, push)).await {
                    Ok(r) => r,
                    Err(_) => Err(HookError::Timeout { timeout_ms }),
                }
            }
        }
    }

    /// Runs [`push`](Self::push) and describes the result.
    pub async fn run(&self, push: &CpePush) -> HookOutcome {
        let started = Instant::now();
        let result = self.push(push).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (ok, detail) = match result {
            Ok(d) => (true, d),
            Err(e) => (false, e.to_string()),
        };
        HookOutcome {
            ok,
            target: self.target(),
            detail,
            elapsed_ms,
        }
    }
}

/// Reads `r` to its end, keeping at most [`OUTPUT_CAP`] bytes and discarding the rest (so the
/// writer never blocks on a full pipe).
async fn read_capped<R: AsyncRead + Unpin>(r: Option<R>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut r) = r else { return kept };
    let mut buf = [0u8; 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                kept.extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
            }
        }
    }
    kept
}

async fn run_command(
    program: &str,
    args: &[String],
    push: &CpePush,
    timeout: Duration,
    timeout_ms: u64,
) -> Result<String, HookError> {
    let vars = push.variables();
    let mut argv = Vec::with_capacity(args.len());
    for (index, a) in args.iter().enumerate() {
        argv.push(expand(a, &vars).map_err(|source| HookError::Template { index, source })?);
    }
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in &vars {
        cmd.env(format!("FLOWFALL_{}", name.to_ascii_uppercase()), value);
    }
    let mut child = cmd.spawn().map_err(|source| HookError::Spawn {
        program: program.to_owned(),
        source,
    })?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let finished = tokio::time::timeout(timeout, async {
        tokio::join!(read_capped(stdout), read_capped(stderr), child.wait())
    })
    .await;
    let Ok((out, err, status)) = finished else {
        // Dropping the wait future leaves the child running: kill it and reap it.
        let _ = child.kill().await;
        return Err(HookError::Timeout { timeout_ms });
    };
    let status = status.map_err(|source| HookError::Spawn {
        program: program.to_owned(),
        source,
    })?;
    if status.success() {
        let out = String::from_utf8_lossy(&out);
        let first = out.lines().next().unwrap_or("").trim();
        Ok(if first.is_empty() {
            "exit status 0".to_owned()
        } else {
            first.to_owned()
        })
    } else {
        Err(HookError::Exit {
            program: program.to_owned(),
            status: status.to_string(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
        })
    }
}

/// Where a webhook URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebhookTarget {
    host: String,
    port: u16,
    authority: String,
    path: String,
}

/// Parses `http://host[:port][/path][?query]`. `https` is refused: the built-in client speaks
/// plain HTTP only (use a command hook, e.g. `curl`, for TLS).
pub(crate) fn parse_webhook_url(url: &str) -> Result<WebhookTarget, String> {
    let uri: Uri = url.parse().map_err(|e| format!("not a URL ({e})"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(
                "https is not supported by the built-in webhook client; use a command \
                        hook (e.g. curl) for TLS"
                    .into(),
            );
        }
        Some(other) => return Err(format!("scheme {other:?} is not http")),
        None => return Err("no scheme: expected http://host[:port]/path".into()),
    }
    let authority = uri.authority().ok_or("no host")?;
    if authority.as_str().contains('@') {
        return Err("user info in the URL is not supported".into());
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    if host.is_empty() {
        return Err("empty host".into());
    }
    Ok(WebhookTarget {
        host: host.to_owned(),
        port: authority.port_u16().unwrap_or(80),
        authority: authority.as_str().to_owned(),
        path: uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
    })
}

async fn post_json(url: &str, push: &CpePush) -> Result<String, HookError> {
    let target = parse_webhook_url(url).map_err(|reason| HookError::Url {
        url: url.to_owned(),
        reason,
    })?;
    let http_err = |reason: String| HookError::Http {
        url: url.to_owned(),
        reason,
    };
    let body = serde_json::to_vec(push).map_err(|e| http_err(e.to_string()))?;
    let stream = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| http_err(format!("connect: {e}")))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| http_err(format!("handshake: {e}")))?;
    let driver = tokio::spawn(connection);
    let request = Request::post(target.path.as_str())
        .header(header::HOST, target.authority.as_str())
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::USER_AGENT,
            concat!("flowfall-portal/", env!("CARGO_PKG_VERSION")),
        )
        .header(header::CONNECTION, "close")
        .body(Body::from(body))
        .map_err(|e| http_err(e.to_string()))?;
    let result = sender.send_request(request).await;
    let outcome = match result {
        Err(e) => Err(http_err(format!("request: {e}"))),
        Ok(response) => {
            let status = response.status();
            let body = read_body_capped(Body::new(response.into_body())).await;
            if status.is_success() {
                Ok(format!("answered {status}"))
            } else {
                Err(HookError::Status {
                    url: url.to_owned(),
                    status,
                    body,
                })
            }
        }
    };
    driver.abort();
    outcome
}

/// The start of a response body, at most [`OUTPUT_CAP`] bytes, lossily decoded.
async fn read_body_capped(body: Body) -> String {
    use axum::body::HttpBody;
    let mut body = body;
    let mut kept = Vec::new();
    while kept.len() < OUTPUT_CAP {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    let room = OUTPUT_CAP.saturating_sub(kept.len());
                    kept.extend_from_slice(data.get(..data.len().min(room)).unwrap_or_default());
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn push() -> CpePush {
        CpePush {
            customer: "ex01".into(),
            tos: 0x18,
            services: vec!["fw".into(), "dpi".into()],
            actor: "customer:ex01".into(),
        }
    }

    #[test]
    fn templates_expand_every_placeholder_and_escapes() {
        let v = push().variables();
        assert_eq!(
            expand("--customer={customer}", &v).ok().as_deref(),
            Some("--customer=ex01")
        );
        assert_eq!(
            expand("{tos} {tos_hex} {dscp} {services} {actor}", &v)
                .ok()
                .as_deref(),
            Some("24 0x18 6 fw,dpi customer:ex01")
        );
        assert_eq!(expand("{{literal}}", &v).ok().as_deref(), Some("{literal}"));
        // The JSON-in-an-argument example of docs/portal.md.
        assert_eq!(
            expand("{{\"tos\": {tos}}}", &v).ok().as_deref(),
            Some("{\"tos\": 24}")
        );
        assert_eq!(expand("plain", &v).ok().as_deref(), Some("plain"));
    }

    #[test]
    fn bad_templates_name_the_offset() {
        let v = push().variables();
        assert_eq!(
            expand("x{nope}", &v),
            Err(TemplateError::Unknown {
                name: "nope".into(),
                offset: 1
            })
        );
        assert_eq!(
            expand("ab{tos", &v),
            Err(TemplateError::Unclosed { offset: 2 })
        );
        assert_eq!(
            expand("a}b", &v),
            Err(TemplateError::Unmatched { offset: 1 })
        );
        let msg = check_template("{x}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("{x}") && msg.contains("tos_hex"), "{msg}");
    }

    #[test]
    fn webhook_urls_parse_or_say_why_not() {
        let t = parse_webhook_url("http://cpe-mgr:8080/tos?x=1");
        assert_eq!(
            t,
            Ok(WebhookTarget {
                host: "cpe-mgr".into(),
                port: 8080,
                authority: "cpe-mgr:8080".into(),
                path: "/tos?x=1".into()
            })
        );
        assert_eq!(
            parse_webhook_url("http://[::1]/").map(|t| t.host),
            Ok("::1".into())
        );
        assert_eq!(
            parse_webhook_url("http://h").map(|t| (t.port, t.path)),
            Ok((80, "/".into()))
        );
        assert!(parse_webhook_url("https://h/").is_err_and(|e| e.contains("command hook")));
        assert!(parse_webhook_url("ftp://h/").is_err());
        assert!(parse_webhook_url("h/x").is_err());
        assert!(parse_webhook_url("http://u:p@h/").is_err());
        assert!(parse_webhook_url("not a url").is_err());
    }

    fn command(program: &str, args: &[&str], timeout_ms: u64) -> CpeHook {
        CpeHook::Command {
            program: program.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            timeout_ms,
        }
    }

    #[tokio::test]
    async fn command_gets_arguments_and_environment() {
        let hook = command(
            "/bin/sh",
            &[
                "-c",
                "echo \"$1 $2 $FLOWFALL_SERVICES\"",
                "sh",
                "{customer}",
                "{tos_hex}",
            ],
            5000,
        );
        let out = hook.run(&push()).await;
        assert!(out.ok, "{out:?}");
        assert_eq!(out.detail, "ex01 0x18 fw,dpi");
        assert_eq!(out.target, "command /bin/sh");
    }

    #[tokio::test]
    async fn command_failure_reports_status_and_stderr() {
        let hook = command("/bin/sh", &["-c", "echo refused >&2; exit 3"], 5000);
        let out = hook.run(&push()).await;
        assert!(!out.ok);
        assert!(out.detail.contains("exit status: 3"), "{}", out.detail);
        assert!(out.detail.ends_with(": refused"), "{}", out.detail);
    }

    #[tokio::test]
    async fn command_output_is_capped() {
        let hook = command(
            "/bin/sh",
            &["-c", "head -c 100000 /dev/zero | tr '\\0' x >&2; exit 1"],
            5000,
        );
        let Err(HookError::Exit { stderr, .. }) = hook.push(&push()).await else {
            panic!("expected an exit error");
        };
        assert_eq!(stderr.len(), OUTPUT_CAP);
    }

    #[tokio::test]
    async fn command_is_killed_at_its_timeout() {
        let hook = command("/bin/sleep", &["5"], 100);
        let started = Instant::now();
        let r = hook.push(&push()).await;
        assert!(
            matches!(r, Err(HookError::Timeout { timeout_ms: 100 })),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[tokio::test]
    async fn missing_program_is_a_spawn_error() {
        let hook = command("/nonexistent/flowfall-hook", &[], 1000);
        let r = hook.push(&push()).await;
        assert!(matches!(r, Err(HookError::Spawn { .. })), "{r:?}");
    }

    /// A one-route HTTP server on 127.0.0.1 that records bodies and answers `status`.
    async fn receiver(status: StatusCode) -> (String, Arc<Mutex<Vec<CpePush>>>) {
        use axum::routing::post;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let app = axum::Router::new().route(
            "/tos",
            post(move |axum::Json(p): axum::Json<CpePush>| async move {
                if let Ok(mut v) = s.lock() {
                    v.push(p);
                }
                (status, "cpe says hi")
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await;
        let listener = listener.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/tos"), seen)
    }

    fn webhook(url: &str, timeout_ms: u64) -> CpeHook {
        CpeHook::Webhook {
            url: url.into(),
            timeout_ms,
        }
    }

    #[tokio::test]
    async fn webhook_posts_the_push_as_json() {
        let (url, seen) = receiver(StatusCode::OK).await;
        let out = webhook(&url, 5000).run(&push()).await;
        assert!(out.ok, "{out:?}");
        assert_eq!(out.detail, "answered 200 OK");
        assert_eq!(seen.lock().map(|v| v.clone()).ok(), Some(vec![push()]));
    }

    #[tokio::test]
    async fn webhook_error_status_is_a_failure_with_the_body() {
        let (url, _) = receiver(StatusCode::BAD_GATEWAY).await;
        let out = webhook(&url, 5000).run(&push()).await;
        assert!(!out.ok);
        assert!(
            out.detail.contains("502") && out.detail.ends_with("cpe says hi"),
            "{}",
            out.detail
        );
    }

    #[tokio::test]
    async fn webhook_refused_connection_and_silence_fail() {
        // A port nobody listens on: bind, learn it, close.
        let port = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            l.local_addr().expect("addr").port()
        };
        let r = webhook(&format!("http://127.0.0.1:{port}/"), 2000)
            .push(&push())
            .await;
        assert!(matches!(r, Err(HookError::Http { .. })), "{r:?}");

        // A listener that accepts and never answers.
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = l.local_addr().expect("addr");
        let _keep = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = l.accept().await {
                held.push(s);
            }
        });
        let r = webhook(&format!("http://{addr}/"), 150).push(&push()).await;
        assert!(
            matches!(r, Err(HookError::Timeout { timeout_ms: 150 })),
            "{r:?}"
        );
    }
}
