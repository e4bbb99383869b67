//! The example programs run as a user runs them: servers on port 0, `sse-cat` against them.
//! Every child process is killed when its test ends, passed or failed, and every wait is
//! bounded.

#[path = "../../tests/tests/common/process.rs"]
mod process;
#[path = "../../tests/tests/common/tinyproxy.rs"]
mod tinyproxy;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use process::{finish, listening_url, run_bounded, spawn_first_line, Running};

use serde_json::Value;

const TICKER: &str = env!("CARGO_BIN_EXE_ticker");
const PROGRESS: &str = env!("CARGO_BIN_EXE_progress");
const LOGS: &str = env!("CARGO_BIN_EXE_logs");
const SSE_CAT: &str = env!("CARGO_BIN_EXE_sse-cat");

/// The longest any one program may take in these tests.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A server started on a free port, and the URL it printed (`http://127.0.0.1:PORT/`).
struct Server {
    process: Running,
    url: String,
}

impl Server {
    fn start(program: &str, args: &[&str]) -> Server {
        Self::start_with(program, args, Stdio::null())
    }

    fn start_with(program: &str, args: &[&str], stdin: Stdio) -> Server {
        let (process, line) = spawn_first_line(
            Command::new(program)
                .args(["--addr", "127.0.0.1:0"])
                .args(args)
                .stdin(stdin)
                .stderr(Stdio::inherit()),
            TIMEOUT,
        );
        let url = listening_url(&line);
        Server { process, url }
    }

    fn stdin(&mut self) -> ChildStdin {
        self.process.0.stdin.take().unwrap()
    }
}

/// Runs `program` to its end, within [`TIMEOUT`]; panics (killing it) if it takes longer.
fn run(program: &str, args: &[&str]) -> Output {
    run_bounded(Command::new(program).args(args), TIMEOUT)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON objects `sse-cat --json` printed, one a line.
fn json_lines(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// The `id` of an event `sse-cat --json` printed, as a number.
fn id(event: &Value) -> u64 {
    event["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{event}"))
}

/// The exit code and stderr of `sse-cat`, for the error cases.
fn fails(args: &[&str]) -> (Option<i32>, String) {
    let output = run(SSE_CAT, args);
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    (output.status.code(), text(&output.stderr))
}

#[test]
fn sse_cat_prints_ticker_events_as_json() {
    let ticker = Server::start(TICKER, &["--interval-ms", "20"]);
    let url = format!("{}events", ticker.url);
    let output = run(SSE_CAT, &["-n", "3", "--json", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let events = json_lines(&output);
    assert_eq!(events.len(), 3, "{}", text(&output.stdout));
    for event in &events {
        match event["event"].as_str() {
            Some("price-update") => {
                let data: Value = serde_json::from_str(event["data"].as_str().unwrap()).unwrap();
                assert!(
                    data["symbol"].is_string() && data["price"].is_f64(),
                    "{data}"
                );
            }
            // The market note, every 10th tick.
            Some("message") => assert!(event["data"].as_str().unwrap().starts_with("tick ")),
            _ => panic!("{event}"),
        }
    }
    // The hub numbers every event: consecutive IDs, none lost.
    assert_eq!(id(&events[1]), id(&events[0]) + 1);
    assert_eq!(id(&events[2]), id(&events[1]) + 1);
    assert!(text(&output.stderr).contains("sse-cat: connected to"));
}

#[test]
fn sse_cat_gives_up_on_a_refused_connection() {
    // A port nobody listens on: bound, then released.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/events");
    let (code, stderr) = fails(&["--max-retries", "0", &url]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("sse-cat: connecting failed: "), "{stderr}");
    assert!(stderr.contains("retry budget exhausted"), "{stderr}");
    // With retries: one error per attempt, then the same end.
    let (code, stderr) = fails(&["--max-retries", "2", "--reconnect-ms", "10", &url]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(stderr.matches("connecting failed").count(), 3, "{stderr}");
}

/// `sse-cat` with the proxy variables of the environment, as curl reads them, and with
/// `--proxy` and `--noproxy`, which override them.
#[test]
fn sse_cat_goes_through_the_proxy_it_is_told_of() {
    let ticker = Server::start(TICKER, &["--interval-ms", "20"]);
    let url = format!("{}events", ticker.url);
    let proxy = tinyproxy::Tinyproxy::start(None);
    let nowhere = format!("http://127.0.0.1:{}", tinyproxy::free_port());
    let sse_cat = |env: &[(&str, &str)], args: &[&str]| {
        let mut command = Command::new(SSE_CAT);
        for name in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
            command.env_remove(name);
        }
        command.env_remove("no_proxy").env_remove("NO_PROXY");
        command
            .envs(env.iter().copied())
            .args(["-n", "1", "--max-retries", "0"]);
        run_bounded(command.args(args).arg(&url), TIMEOUT)
    };
    let output = sse_cat(&[("http_proxy", &proxy.url())], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(proxy.logged(&format!("GET {url} HTTP/1.1")));
    // A proxy that is not there: the typed error, then the budget.
    let output = sse_cat(&[("HTTP_PROXY", &nowhere)], &[]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("connecting to the proxy failed"));
    // no_proxy from the environment, --noproxy, and --proxy '' each go direct.
    for (env, args) in [
        (
            vec![("http_proxy", nowhere.as_str()), ("NO_PROXY", "127.0.0.1")],
            vec![],
        ),
        (
            vec![("http_proxy", nowhere.as_str())],
            vec!["--noproxy", "*"],
        ),
        (vec![("http_proxy", nowhere.as_str())], vec!["--proxy", ""]),
    ] {
        let output = sse_cat(&env, &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{env:?} {args:?}: {}",
            text(&output.stderr)
        );
    }
    // --proxy wins over the environment's.
    let output = sse_cat(&[("http_proxy", &nowhere)], &["-x", &proxy.url()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn sse_cat_fails_on_what_is_not_a_stream() {
    let ticker = Server::start(TICKER, &[]);
    // The page: 200, but HTML.
    let (code, stderr) = fails(&[&ticker.url]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("sse-cat: response is not text/event-stream"),
        "{stderr}"
    );
    let (code, stderr) = fails(&[&format!("{}missing", ticker.url)]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("sse-cat: server answered status 404"),
        "{stderr}"
    );
}

#[test]
fn bad_command_lines_exit_2() {
    // What clap finds (a missing URL, a bad value, an unknown flag) it reports as usual, with
    // where to look; what sse-cat finds after it (a URL it cannot request), in its own name.
    for (args, start) in [
        (&["ftp://example.com/"][..], "sse-cat: "),
        (&["http://"], "sse-cat: "),
        (
            &[],
            "error: the following required arguments were not provided",
        ),
        (
            &["-n", "0", "http://127.0.0.1:1/"],
            "error: invalid value '0' for '--count <N>'",
        ),
        (
            &["--nope", "http://127.0.0.1:1/"],
            "error: unexpected argument '--nope'",
        ),
    ] {
        let (code, stderr) = fails(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with(start), "{args:?}: {stderr}");
        if start.starts_with("error: ") {
            assert!(stderr.contains("try '--help'"), "{args:?}: {stderr}");
        }
    }
    for program in [TICKER, PROGRESS, LOGS] {
        let output = run(program, &["--interval", "x"]);
        assert_eq!(output.status.code(), Some(2), "{program}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("unexpected argument '--interval'"),
            "{program}: {stderr}"
        );
        let help = run(program, &["--help"]);
        assert_eq!(help.status.code(), Some(0), "{program}");
        assert!(text(&help.stdout).contains("--addr <ADDR>"), "{program}");
    }
    let help = run(SSE_CAT, &["--help"]);
    assert!(text(&help.stdout).contains("Exit status:"));
}

/// `POST /jobs` over a plain socket; the job's events URL.
fn start_job(base: &str) -> String {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut socket = TcpStream::connect(authority).unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        socket,
        "POST /jobs HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201 "), "{response}");
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    let job: Value = serde_json::from_str(body).unwrap();
    format!(
        "{base}{}",
        job["events"].as_str().unwrap().trim_start_matches('/')
    )
}

/// The steps of a job's stream as `sse-cat --json` printed them: `progress` events, then
/// `done`; their IDs (the steps' numbers) rising, the percentages never falling. The `done`.
fn job_steps(output: &Output) -> Value {
    let events = json_lines(output);
    let (done, steps) = events.split_last().unwrap();
    assert_eq!(done["event"], "done", "{done}");
    let (mut percent, mut last) = (0, 0);
    for event in steps {
        assert_eq!(event["event"], "progress", "{event}");
        let data: Value = serde_json::from_str(event["data"].as_str().unwrap()).unwrap();
        let now = data["percent"].as_u64().unwrap();
        assert!(now >= percent && now <= 100, "{data}");
        percent = now;
        assert!(id(event) > last, "{event}");
        last = id(event);
    }
    assert!(id(done) > last, "{done}");
    done.clone()
}

#[test]
fn progress_streams_a_job_to_its_end() {
    let progress = Server::start(PROGRESS, &["--step-ms", "30", "--retry-ms", "50"]);
    let url = start_job(&progress.url);
    // No --count: sse-cat stops when the server answers 204 to the reconnection after `done`.
    let output = run(SSE_CAT, &["--json", &url]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("204"), "{stderr}");
    // One connection: the stream ended after `done`, and the reconnection got the 204.
    assert_eq!(stderr.matches("sse-cat: connected").count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("sse-cat: reconnected").count(),
        0,
        "{stderr}"
    );
    let done = job_steps(&output);
    // The job's state when sse-cat came (a job of ~20 steps of 30 ms), then the steps live.
    assert!(json_lines(&output).len() >= 2, "{}", text(&output.stdout));
    let data: Value = serde_json::from_str(done["data"].as_str().unwrap()).unwrap();
    assert_eq!(
        (data["id"].as_u64(), data["result"].as_str()),
        (Some(1), Some("ok"))
    );

    // Coming after the end: the job's state, `done`, alone; then the 204.
    let output = run(SSE_CAT, &["--json", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(json_lines(&output), std::slice::from_ref(&done));
    // Seen the end: 204 at once. An unknown job: 404.
    let last = id(&done).to_string();
    let (code, stderr) = fails(&["-q", "--last-event-id", &last, &url]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = fails(&[&url.replace("/jobs/1/", "/jobs/99/")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("status 404"), "{stderr}");
}

/// `logs --token-file`: its async router lets in a token listed in the file, by header or
/// query, and answers 401 to the rest; the file is read at each request.
#[test]
fn logs_asks_for_a_token() {
    let dir = std::env::temp_dir().join(format!("ssewire-logs-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, "good\nother\n").unwrap();
    let mut logs = Server::start_with(
        LOGS,
        &["--token-file", tokens.to_str().unwrap()],
        Stdio::piped(),
    );
    let mut input = logs.stdin();
    let url = format!("{}events", logs.url);
    for args in [vec![], vec!["-H", "Authorization: Bearer bad"]] {
        let mut all = args.clone();
        all.push(url.as_str());
        let (code, stderr) = fails(&all);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("status 401"), "{stderr}");
    }
    let by_query = format!("{url}?token=other");
    for args in [
        vec!["-H", "Authorization: Bearer good", url.as_str()],
        vec![by_query.as_str()],
    ] {
        let child = Command::new(SSE_CAT)
            .args(["-n", "1", "--raw"])
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut cat = Running(child);
        let mut stderr = BufReader::new(cat.0.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        assert!(
            line.starts_with("sse-cat: connected to"),
            "{args:?}: {line}"
        );
        input.write_all(b"let in\n").unwrap();
        input.flush().unwrap();
        let output = finish(cat, "sse-cat", TIMEOUT);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert_eq!(text(&output.stdout), "let in\n", "{args:?}");
    }
    // Revoked: the file no longer lists it.
    std::fs::write(&tokens, "other\n").unwrap();
    let (code, stderr) = fails(&["-H", "Authorization: Bearer good", &url]);
    assert_eq!(code, Some(1), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn logs_streams_stdin_lines() {
    let mut logs = Server::start_with(LOGS, &[], Stdio::piped());
    let mut input = logs.stdin();
    let url = format!("{}events", logs.url);
    let child = Command::new(SSE_CAT)
        .args(["-n", "3", "--json", &url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut cat = Running(child);
    // Lines are sent to the clients connected when they arrive: wait for sse-cat's notice.
    let mut stderr = BufReader::new(cat.0.stderr.take().unwrap());
    let (connected, notice) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = stderr.read_line(&mut line);
        let _ = connected.send(line);
    });
    let line = notice
        .recv_timeout(TIMEOUT)
        .expect("sse-cat did not connect");
    assert!(line.starts_with("sse-cat: connected to"), "{line}");
    input
        .write_all("first\nsecond \"quoted\"\r\n\n".as_bytes())
        .unwrap();
    input.flush().unwrap();
    let output = finish(cat, "sse-cat", TIMEOUT);
    assert_eq!(output.status.code(), Some(0));
    let events = json_lines(&output);
    let got: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["data"].as_str().unwrap(),
                e["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("line", "first", "1"),
            ("line", "second \"quoted\"", "2"),
            ("line", "", "3")
        ]
    );
}

/// Reads one request from `stream`: the head, then `Content-Length` bytes of body.
fn read_request(stream: &mut TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        if reader.read_line(&mut head).unwrap() == 0 {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .map_or(0, |n| n.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    head + &String::from_utf8(body).unwrap()
}

/// `sse-cat -d` POSTs its body on every connection, and `--read-timeout-ms` gives up on a
/// stream gone silent and resumes with `Last-Event-ID`: against a server written here that
/// sends one event on each connection and then says nothing.
#[test]
fn sse_cat_posts_a_body_and_reconnects_a_silent_stream() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/chat", listener.local_addr().unwrap());
    let (requests, received) = mpsc::channel();
    let server = thread::spawn(move || {
        let mut held = Vec::new();
        for event in ["id: 1\ndata: a\n\n", "data: b\n\n"] {
            let (mut stream, _) = listener.accept().unwrap();
            requests.send(read_request(&mut stream)).unwrap();
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
            stream
                .write_all(format!("{head}{event}").as_bytes())
                .unwrap();
            // Silent from now on, until sse-cat goes.
            held.push(stream);
        }
    });
    let body = r#"{"stream":true}"#;
    let output = run(
        SSE_CAT,
        &[
            "--json",
            "-n",
            "2",
            "-d",
            body,
            "-H",
            "Content-Type: application/json",
            "--read-timeout-ms",
            "300",
            "--reconnect-ms",
            "10",
            &url,
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let data: Vec<_> = json_lines(&output)
        .iter()
        .map(|event| event["data"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(data, ["a", "b"], "{stderr}");
    assert!(
        stderr.contains("sse-cat: no byte of the stream received in time"),
        "{stderr}"
    );
    assert!(stderr.contains("sse-cat: reconnecting in "), "{stderr}");
    server.join().unwrap();
    let requests: Vec<String> = received.try_iter().collect();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches("/v1/chat");
    let request = |id: &str| {
        format!(
            "POST /v1/chat HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\
             Cache-Control: no-cache\r\n{id}Content-Length: {}\r\n\
             Accept-Encoding: gzip, deflate\r\nContent-Type: application/json\r\n\r\n{body}",
            body.len()
        )
    };
    assert_eq!(requests, [request(""), request("Last-Event-ID: 1\r\n")]);
}

const LLM_STREAM: &str = env!("CARGO_BIN_EXE_llm-stream");

/// `llm-stream` against a mock of an OpenAI-style API over HTTPS, written here: a rustls
/// server on loopback with a certificate from a CA made for the test (trusted through
/// `--cacert`). The mock checks the request (a POST, the bearer token, the JSON body with
/// `"stream": true`) and streams three chunks and `[DONE]`; the program prints the text.
#[test]
fn llm_stream_prints_the_streamed_text_of_a_chat_completion() {
    use futures_rustls::pki_types::pem::PemObject;
    use futures_rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use futures_rustls::rustls::{self, ServerConfig, ServerConnection, StreamOwned};
    use std::sync::Arc;

    let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("ssewire-llm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(cert.pem().as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap(),
        )
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mock = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let connection = ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = StreamOwned::new(connection, tcp);
        let mut reader = BufReader::new(&mut tls);
        let mut head = String::new();
        while !head.ends_with("\r\n\r\n") {
            assert!(reader.read_line(&mut head).unwrap() > 0, "{head}");
        }
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let chunk = |text: &str| {
            let delta = serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}}]});
            format!("data: {delta}\n\n")
        };
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
             data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\"}}}}]}}\n\n\
             {}{}: keep-alive\n\n{}data: [DONE]\n\n",
            chunk("Hello"),
            chunk(", "),
            chunk("world!"),
        );
        tls.write_all(answer.as_bytes()).unwrap();
        tls.flush().unwrap();
        tls.conn.send_close_notify();
        let _ = tls.flush();
        (head, String::from_utf8(body).unwrap())
    });
    let url = format!("https://localhost:{port}/v1/chat/completions");
    let output = run_bounded(
        Command::new(LLM_STREAM)
            .env("OPENAI_API_KEY", "test-key")
            .args(["--url", &url, "--model", "mock-1"])
            .args(["--cacert", ca_file.to_str().unwrap(), "Say hello"]),
        TIMEOUT,
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&output.stdout), "Hello, world!\n", "{stderr}");
    let (head, body) = mock.join().unwrap();
    assert!(
        head.starts_with("POST /v1/chat/completions HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nAuthorization: Bearer test-key\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nContent-Type: application/json\r\n"),
        "{head}"
    );
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["model"], "mock-1");
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["content"], "Say hello");
    let _ = std::fs::remove_dir_all(&dir);
}
